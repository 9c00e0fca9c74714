"""Opening the database: one function, the same pragmas in every process.

A SQLite file is opened by its name with ``mode=rw``: no connection (any thread's, later)
creates a missing file, so a service never goes on with a fresh, empty database where
the box's was.  Only ``appliance init`` (``create=True``) makes one.  The file's identity
(device and inode) is recorded when it is opened: :func:`database_problem` says when the
file at that name was deleted or replaced since, while this process still writes into
the old one (whose rows nobody will ever read).
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from urllib.parse import quote

from peewee import Database, OperationalError, SqliteDatabase

from appliance.config import ConfigError

from appliance.helpdesk import dialect, migrations
from appliance.helpdesk.models import db


class WriteLock:
    """Writers take turns on a lock file beside the database before BEGIN IMMEDIATE.

    SQLite's own wait for its write lock sleeps 1, 2, 5, 10, 15 ... ms between tries, so
    two intake workers that each hold the lock most of the time hand it over badly (the
    second one mostly sleeps while the lock is free, then finds it taken again): two
    workers filed no faster than one.  ``flock`` tries every 50 us to 1 ms instead, one
    file descriptor per thread (so threads take turns too), for at most ``patience``
    seconds; after that the transaction goes on and SQLite's busy timeout decides."""

    def __init__(self, path: Path, patience: float = 10.0) -> None:
        self.path, self.patience = path, patience
        self.local = threading.local()

    def _fd(self) -> int | None:
        fd = getattr(self.local, "fd", None)
        if fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                return None   # a read-only look at someone else's box: SQLite alone
            self.local.fd = fd
        return fd

    def acquire(self) -> None:
        fd = self._fd()
        if fd is None:
            return
        deadline, pause = time.monotonic() + self.patience, 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.local.held = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            except OSError:
                return

    def release(self) -> None:
        if getattr(self.local, "held", False):
            self.local.held = False
            fcntl.flock(self.local.fd, fcntl.LOCK_UN)


class SqliteImmediateDatabase(SqliteDatabase):
    """Every transaction begins IMMEDIATE: it waits (busy_timeout) for the write lock at
    its start.  A deferred one that reads, then writes after another connection committed
    fails at once with "database is locked" (no wait is possible there); under mixed load
    (intake, the delivery thread, the panel) that made intake fail.  With a
    :class:`WriteLock` the writers of every process take turns on it first."""

    write_lock: WriteLock | None = None

    def begin(self, lock_type=None):
        if self.write_lock is not None:
            self.write_lock.acquire()
        try:
            return super().begin(lock_type or "IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self):
        try:
            return super().commit()
        finally:
            self._release()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._release()

    def _release(self) -> None:
        if self.write_lock is not None:
            self.write_lock.release()


# The SQLite file this process opened and its (st_dev, st_ino) then; None for
# PostgreSQL and :memory:.
_opened: tuple[Path, tuple[int, int]] | None = None


def open_database(path: str | Path, migrate: bool = True, create: bool = True) -> Database:
    """Bind the models to the SQLite file at ``path`` (WAL, foreign keys, busy timeout),
    or to the PostgreSQL database a ``postgresql://`` URL names, and bring its schema up
    to date.  ``create=False`` (the services and commands of an initialised box): a
    missing SQLite file is a :class:`ConfigError`, never a new empty database."""
    global _opened
    _opened = None
    name, file = str(path), None
    if dialect.is_url(name):
        database = dialect.connect(name)
    else:
        if name != ":memory:":
            file = Path(os.path.abspath(name))
            if not create and not file.exists():
                raise ConfigError(missing_message(file))
            make_private(file, create)
            name = f"file:{quote(str(file), safe='/')}?mode=rw"
        database = SqliteImmediateDatabase(
            name, uri=True,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": "full",   # a committed item survives a power cut
                "busy_timeout": 10000,
                "cache_size": -16000,
            },
            timeout=10,
        )
        if file is not None:
            database.write_lock = WriteLock(file.with_name(file.name + ".writelock"))
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the database {dialect.shown(str(path))}: {exc} "
                          f"(does its directory exist, and may the service user write "
                          f"there?)") from None
    if file is not None:
        st = file.stat()
        _opened = (file, (st.st_dev, st.st_ino))
    if migrate:
        migrations.migrate(database)
    return database


def missing_message(file: Path) -> str:
    return (f"the database file {file} is missing; a service never starts on a new, "
            f"empty database: restore it (appliance restore, or put the file back), or "
            f"set [appliance] database in the ini to where it is; 'appliance init' makes "
            f"a new box")


def database_problem() -> str | None:
    """None while the SQLite file at the opened name is still the one this process
    opened (and for PostgreSQL and :memory:); else what happened to it."""
    if _opened is None:
        return None
    file, identity = _opened
    try:
        st = file.stat()
    except FileNotFoundError:
        return f"the database file {file} was deleted"
    except OSError as exc:
        return f"the database file {file} cannot be checked: {exc.strerror or exc}"
    if (st.st_dev, st.st_ino) != identity:
        return f"the database file {file} was replaced"   # another inode at the name
    return None


def make_private(path: Path, create: bool = True) -> None:
    """The database file (it holds ``outbound.password``) and its -wal and -shm are the
    service user's alone: created 0600 before SQLite opens it (SQLite gives the -wal and
    -shm the mode of the database file), and tightened when an older version left them
    group-readable.  A file of another user (root reading the box) is left as it is."""
    if create:
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError:
            return   # not ours to create (read-only, missing directory): SQLite says why
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except OSError:
            pass


def close_database() -> None:
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()
