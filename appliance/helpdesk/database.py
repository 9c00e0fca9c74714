"""Opening the database: one function, the same pragmas in every process."""
from __future__ import annotations

import os
from pathlib import Path

from peewee import Database, OperationalError, SqliteDatabase

from appliance.config import ConfigError

from appliance.helpdesk import dialect, migrations
from appliance.helpdesk.models import db


class SqliteImmediateDatabase(SqliteDatabase):
    """Every transaction begins IMMEDIATE: it waits (busy_timeout) for the write lock at
    its start.  A deferred one that reads, then writes after another connection committed
    fails at once with "database is locked" (no wait is possible there); under mixed load
    (intake, the delivery thread, the panel) that made intake fail."""

    def begin(self, lock_type=None):
        return super().begin(lock_type or "IMMEDIATE")


def open_database(path: str | Path, migrate: bool = True) -> Database:
    """Bind the models to the SQLite file at ``path`` (WAL, foreign keys, busy timeout),
    or to the PostgreSQL database a ``postgresql://`` URL names, and bring its schema up
    to date."""
    if dialect.is_url(str(path)):
        database = dialect.connect(str(path))
    else:
        if str(path) != ":memory:":
            make_private(Path(path))
        database = SqliteImmediateDatabase(
            str(path),
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": "full",   # a committed item survives a power cut
                "busy_timeout": 10000,
                "cache_size": -16000,
            },
            timeout=10,
        )
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the database {dialect.shown(str(path))}: {exc} "
                          f"(does its directory exist, and may the service user write "
                          f"there?)") from None
    if migrate:
        migrations.migrate(database)
    return database


def make_private(path: Path) -> None:
    """The database file (it holds ``outbound.password``) and its -wal and -shm are the
    service user's alone: created 0600 before SQLite opens it (SQLite gives the -wal and
    -shm the mode of the database file), and tightened when an older version left them
    group-readable.  A file of another user (root reading the box) is left as it is."""
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
