"""The durable spool between the MTA and the worker.

One file per message: a first line holding the JSON envelope, then the message bytes as
received.  A message is written to a file with no name yet (``O_TMPFILE`` in ``new/``;
where the file system or a missing ``/proc`` does not allow that, under ``tmp/``),
fsynced, linked (or renamed) into ``new/`` and the directory fsynced before the MTA
answers 250 (the Maildir/Mailman pattern), so a crash at any moment leaves either no entry
or a complete one.  The worker moves an entry to
``done/`` after its database transaction commits, or to ``failed/`` with the error kept in
the incoming log; ``retry`` moves it back to ``new/``.  An entry that met a fault of the
machine rather than of the mail (disk full, out of memory or file descriptors) waits in
``waiting/`` until the time its file's mtime names (Postfix keeps its deferred queue the
same way), then :meth:`Spool.release_due` puts it back in ``new/`` by itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import select
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from appliance import clock

NEW, DONE, FAILED, TMP, WAITING = "new", "done", "failed", "tmp", "waiting"


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    peer: str | None = None
    helo: str | None = None
    tls: bool = False
    received_at: str = ""
    via: str = "smtp"  # smtp | ingest
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"mail_from": self.mail_from, "rcpt_tos": self.rcpt_tos, "peer": self.peer,
                "helo": self.helo, "tls": self.tls, "received_at": self.received_at,
                "via": self.via, **({"extra": self.extra} if self.extra else {})}

    @classmethod
    def from_json(cls, data: dict) -> "Envelope":
        return cls(**{k: data[k] for k in data if k in cls.__dataclass_fields__})


@dataclass
class Entry:
    id: str
    envelope: Envelope
    raw: bytes


def new_id() -> str:
    """Sortable by arrival (nanoseconds, hex) and unique across processes."""
    return f"{time.time_ns():016x}-{secrets.token_hex(4)}"


def arrived_ns(entry_id: str) -> int:
    """When the entry was complete in the spool (its id's nanoseconds since the epoch);
    0, as old as can be, for a name that is no id of ours."""
    try:
        return int(entry_id[:16], 16)
    except ValueError:
        return 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupCommit:
    """Messages made durable together by a few threads, so a burst of sessions costs a
    thread hand-off per batch, not several per message (an asyncio MTA spent more CPU
    waking threads and passing its interpreter lock around than writing files).

    :meth:`add` queues a file with its last bytes; a committer thread takes everything
    queued, writes and fsyncs each file, renames each into ``new/``, fsyncs ``new/`` once,
    rings the worker's doorbell once and reports the whole batch in one call of
    ``on_batch`` with ``(token, spool id or OSError)`` pairs.  A file that fails is
    removed and reported alone; a failed fsync of ``new/`` is every renamed file's error
    (their senders are told to try again; intake is idempotent by Message-ID).  One
    thread is the default: with four, each message woke an idle one, batches stayed small
    and the MTA spent 1.1 ms of CPU per message instead of 0.8 (``/proc`` times of 3,000
    messages from smtp-source, three runs each)."""

    def __init__(self, spool: "Spool", on_batch, threads: int = 1) -> None:
        self.spool = spool
        self.on_batch = on_batch
        self._queue: list = []
        self._cond = threading.Condition()
        self._closing = False
        self._threads = [threading.Thread(target=self._run, name=f"spool-commit-{n}",
                                          daemon=True) for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def add(self, file: "SpoolFile", data: bytes, token) -> None:
        with self._cond:
            if self._closing:
                raise RuntimeError("the spool's committer is closed")
            self._queue.append((file, data, token))
            self._cond.notify()

    def close(self) -> None:
        """Commit what is queued, then stop the threads."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
            try:
                results = self._commit(batch)
            except Exception as exc:   # never a silent thread: every sender gets an answer
                results = [(token, exc) for _, _, token in batch]
            self.on_batch(results)

    def _commit(self, batch: list) -> list:
        results, published = [], []
        for file, data, token in batch:
            try:
                file.write(data)
                file.durable()
                published.append((token, file.publish()))
            except Exception as exc:
                file.abort()
                results.append((token, exc))
        if published:
            try:
                _fsync_dir(self.spool.root / NEW)
            except OSError as exc:
                published = [(token, exc) for token, _ in published]
            self.spool.doorbell.ring()
        return results + published


MAX_BELLS = 64   # intake workers one spool can have (worker.processes)


def share_of(entry_id: str, parts: int) -> int:
    """Which of ``parts`` intake workers takes this entry: spread evenly by its id, so a
    burst from one sender or one forwarding mailbox keeps every worker busy."""
    return zlib.crc32(entry_id.encode()) % parts if parts > 1 else 0


_THREAD_FIELD = re.compile(
    rb"^(message-id|in-reply-to|references)[ \t]*:((?:.*)(?:\r?\n[ \t].*)*)", re.I | re.M)
_MESSAGE_ID = re.compile(rb"<[^<>\s]{1,500}>")
HEAD_BYTES = 256 * 1024   # header sections longer than this are cut (mta/limits.py: 1 MiB)


def thread_ids(head: bytes) -> tuple[str, frozenset[str]]:
    """The Message-ID and the ids In-Reply-To and References name, from the start of a
    message (its header section), read without parsing the whole message."""
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0),
              default=len(head))
    own, refs = "", set()
    for match in _THREAD_FIELD.finditer(head[:end]):
        ids = [m.decode("ascii", "replace") for m in _MESSAGE_ID.findall(match.group(2))]
        if match.group(1).lower() == b"message-id":
            own = own or (ids[0] if ids else "")
        else:
            refs.update(ids)
    return own, frozenset(refs - {own})


class Doorbell:
    """A worker's doorbell: a datagram on a Linux abstract socket named after the spool,
    rung after each entry lands in ``new/``, so the worker starts on it at once instead of
    at its next poll (a 0.1 s poll was most of the idle 250-to-ticket time).  With several
    intake workers each listens on its own number and :meth:`ring` rings them all; the
    ``center`` bell wakes the message center when intake filed something.  Best effort
    both ways: a ring nobody hears, or one lost, costs one poll interval."""

    def __init__(self, root: Path, name: str = "") -> None:
        digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:32]
        self.base = f"\0appliance-spool-{digest}" + (f"-{name}" if name else "")
        self.address = self.base
        self._listener: socket.socket | None = None
        self._sender: socket.socket | None = None

    def _address(self, index: int) -> str:
        return self.base if index == 0 else f"{self.base}-{index}"

    def listen(self, index: int = 0) -> bool:
        """Start hearing rings (a worker, by its number); False when the socket cannot be
        had (another worker on this spool has it: that one is woken, this one polls)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self._address(index))
        except OSError:
            sock.close()
            return False
        sock.setblocking(False)
        self._listener = sock
        self.address = self._address(index)
        return True

    def wait(self, timeout: float) -> bool:
        """Sleep until a ring or ``timeout``; True when rung.  Rings that piled up are
        taken together."""
        if self._listener is None:
            time.sleep(timeout)
            return False
        select.select([self._listener], [], [], timeout)
        rung = False
        while True:
            try:
                self._listener.recv(16)
            except OSError:      # BlockingIOError: every ring taken
                return rung
            rung = True

    def ring(self) -> None:
        """Ring every listening worker: numbers from 0 until one nobody listens on."""
        try:
            if self._sender is None:
                self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sender.setblocking(False)
        except OSError:
            return
        for index in range(MAX_BELLS):
            try:
                self._sender.sendto(b"!", self._address(index))
            except (ConnectionRefusedError, FileNotFoundError):
                return    # nobody has this number: there are no more workers
            except OSError:
                continue  # its queue is full: it is rung already

    def close(self) -> None:
        for sock in (self._listener, self._sender):
            if sock is not None:
                sock.close()
        self._listener = self._sender = None


class Spool:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.doorbell = Doorbell(self.root)
        self._tmp_dir = f"{self.root / TMP}{os.sep}"   # plain strings: write() is hot
        self._new_dir = f"{self.root / NEW}{os.sep}"
        self._unnamed: bool | None = None   # O_TMPFILE works here (asked at first need)

    def ensure(self) -> "Spool":
        """Make the spool's directories; whether files arrive unnamed is decided now,
        while ``new/`` is sound (:attr:`unnamed_files`)."""
        for sub in (TMP, NEW, DONE, FAILED, WAITING):
            (self.root / sub).mkdir(parents=True, exist_ok=True, mode=0o750)
        if self._unnamed is None:
            self._unnamed = self._unnamed_work()
        return self

    def write(self, envelope: Envelope, raw: bytes) -> str:
        """Store one message durably; returns its spool id.  Raises OSError on disk
        trouble, in which case nothing is left in ``new/``."""
        incoming = self.begin(envelope)
        try:
            incoming.write(raw)
            return incoming.commit()
        except BaseException:
            incoming.abort()
            raise

    @property
    def unnamed_files(self) -> bool:
        """Whether messages can arrive as unnamed files in ``new/`` (``O_TMPFILE``, then
        a link under their id through ``/proc/self/fd``): one directory entry made per
        message instead of a name made in ``tmp/``, renamed across directories and
        removed (about 7% more messages a second from smtp-source on ext4, 2 cores), and
        nothing half-written is left by a crash.  Tried once per spool and process, on a
        probe file; False (``tmp/`` and a rename) where either step is refused."""
        if self._unnamed is None:
            self._unnamed = self._unnamed_work()
        return self._unnamed

    def _unnamed_work(self) -> bool:
        probe = f"{self._new_dir}.probe-{os.getpid()}"
        try:
            fd = os.open(self._new_dir, os.O_WRONLY | os.O_TMPFILE, 0o640)
            try:
                _link_unnamed(fd, probe)
            finally:
                os.close(fd)
            os.unlink(probe)
            return True
        except (OSError, AttributeError):   # AttributeError: no os.O_TMPFILE here
            return False

    def begin(self, envelope: Envelope) -> "SpoolFile":
        """A message written piece by piece as it arrives (SMTP DATA); no file exists
        until its first :meth:`SpoolFile.write`."""
        return SpoolFile(self, envelope)

    def changed_ns(self) -> int:
        """``new/``'s mtime in nanoseconds: moved by every arrival and every entry taken
        (0 when it cannot be read)."""
        try:
            return os.stat(self._new_dir).st_mtime_ns
        except OSError:
            return 0

    def pending(self, limit: int | None = None) -> list[str]:
        """Ids waiting in ``new/``, oldest first."""
        names = sorted(n for n in os.listdir(self.root / NEW) if not n.startswith("."))
        return names[:limit] if limit else names

    def mine(self, entry_ids: list[str], part: int, parts: int, limit: int | None = None,
             known: dict[str, tuple[str, frozenset[str]]] | None = None) -> list[str]:
        """The first ``limit`` of ``entry_ids`` (oldest first) that intake worker ``part``
        of ``parts`` may take now: its share (:func:`share_of`), less any entry that
        answers an older one still waiting here (its In-Reply-To or References name that
        one's Message-ID): it waits until the mail it answers is filed, by whichever worker,
        so a reply never becomes an item of its own for being early.  ``known`` caches
        each entry's ids between calls (entries never change)."""
        if parts <= 1:
            return list(entry_ids[:limit] if limit else entry_ids)
        known = {} if known is None else known
        waiting: dict[str, str] = {}   # Message-ID -> oldest entry waiting with it
        for entry_id in entry_ids:
            if entry_id not in known:
                try:
                    with open(self.root / NEW / entry_id, "rb") as fh:
                        fh.readline()   # the envelope
                        known[entry_id] = thread_ids(fh.read(HEAD_BYTES))
                except OSError:
                    known[entry_id] = ("", frozenset())
            own = known[entry_id][0]
            if own:
                waiting.setdefault(own, entry_id)
        found: list[str] = []
        for entry_id in entry_ids:
            if limit and len(found) >= limit:
                break
            if share_of(entry_id, parts) != part:
                continue
            if any(waiting.get(ref, entry_id) < entry_id for ref in known[entry_id][1]):
                continue   # the mail it answers is not filed yet
            found.append(entry_id)
        for gone in set(known) - set(entry_ids):
            del known[gone]
        return found

    def read(self, entry_id: str, where: str = NEW) -> Entry:
        data = (self.root / where / entry_id).read_bytes()
        head, _, raw = data.partition(b"\n")
        return Entry(entry_id, Envelope.from_json(json.loads(head)), raw)

    def path(self, entry_id: str) -> Path | None:
        for where in (NEW, DONE, FAILED, WAITING):
            candidate = self.root / where / entry_id
            if candidate.exists():
                return candidate
        return None

    def find(self, entry_id: str) -> Entry | None:
        found = self.path(entry_id)
        return self.read(entry_id, found.parent.name) if found else None

    def _move(self, entry_id: str, src: str, dst: str, durable: bool = True) -> None:
        os.rename(self.root / src / entry_id, self.root / dst / entry_id)
        if durable:
            _fsync_dir(self.root / dst)

    def done(self, entry_id: str) -> None:
        """The entry's transaction committed.  No directory fsync: should a power cut undo
        the rename, the entry is back in ``new/`` and intake, idempotent by spool id,
        finds it processed and only moves it again."""
        self._move(entry_id, NEW, DONE, durable=False)

    def fail(self, entry_id: str) -> None:
        self._move(entry_id, NEW, FAILED)

    def retry(self, entry_id: str) -> None:
        """Move a failed (or waiting) entry back so the worker takes it again now."""
        for where in (FAILED, WAITING):
            if (self.root / where / entry_id).exists():
                self._move(entry_id, where, NEW)
                return
        raise FileNotFoundError(f"no failed spool entry {entry_id}")

    def wait(self, entry_id: str, until: datetime) -> None:
        """Set an entry aside until ``until`` (kept as its file's mtime): the fault was
        the machine's, and the entry goes back to ``new/`` by itself then."""
        stamp = until.timestamp()
        os.utime(self.root / NEW / entry_id, (stamp, stamp))
        self._move(entry_id, NEW, WAITING)

    def waiting(self) -> list[str]:
        """Ids set aside by :meth:`wait`, oldest first."""
        try:
            names = os.listdir(self.root / WAITING)
        except FileNotFoundError:   # a spool made before there was waiting/
            return []
        return sorted(n for n in names if not n.startswith("."))

    def release_due(self, now: datetime) -> list[str]:
        """Move the waiting entries whose time has come back to ``new/``; returns them."""
        due, limit = [], now.timestamp()
        for entry_id in self.waiting():
            try:
                if os.stat(self.root / WAITING / entry_id).st_mtime <= limit:
                    self._move(entry_id, WAITING, NEW)
                    due.append(entry_id)
            except FileNotFoundError:
                continue   # another worker (or ``mail retry``) took it
        return due

    def purge_done(self, older_than_seconds: float) -> int:
        """Remove processed entries past the retention time; failed ones stay."""
        limit = time.time() - older_than_seconds
        count = 0
        for path in (self.root / DONE).iterdir():
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                count += 1
        return count

    def clean_tmp(self, older_than_seconds: float = 3600) -> None:
        """Half-written files from a crash before the rename: their sender got no 250."""
        limit = time.time() - older_than_seconds
        for path in (self.root / TMP).iterdir():
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)


def _link_unnamed(fd: int, path: str) -> None:
    """Give the unnamed (``O_TMPFILE``) file ``fd`` the name ``path``.  linkat with
    AT_SYMLINK_FOLLOW on its ``/proc/self/fd`` link: Python calls link(), which does not
    follow that link, unless a directory fd is given, so the file's own fd is passed as
    one (both paths are absolute: the kernel ignores it)."""
    os.link(f"/proc/self/fd/{fd}", path, src_dir_fd=fd, follow_symlinks=True)


class SpoolFile:
    """One message on its way into the spool: an unnamed file in ``new/`` (or
    ``tmp/NAME``, :attr:`Spool.unnamed_files`) while it arrives, then
    :meth:`commit` fsyncs it, names it in ``new/`` by a fresh id (so ids stay
    sorted by the moment a message was complete) and fsyncs the directory.  :meth:`abort`
    removes what was written.  Not thread-safe: one writer at a time."""

    def __init__(self, spool: Spool, envelope: Envelope) -> None:
        self.spool = spool
        self.envelope = envelope
        self.size = 0  # message bytes written (the envelope line not counted)
        self._head: bytes | None = None
        self._tmp = "" if spool.unnamed_files else spool._tmp_dir + new_id()
        self._fd: int | None = None
        self._done_fd: int | None = None   # an unnamed file, fsynced, waiting for its name

    def write(self, data: bytes) -> None:
        """Append message bytes.  Raises OSError on disk trouble (then :meth:`abort`).
        The envelope line goes first, its ``received_at`` the time of the first write."""
        if self._fd is None:
            if not self.envelope.received_at:
                self.envelope.received_at = clock.iso(clock.now())
            head = json.dumps(self.envelope.to_json(), ensure_ascii=True)
            self._head = head.encode() + b"\n"
            if self._tmp:
                self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            else:
                self._fd = os.open(self.spool._new_dir, os.O_WRONLY | os.O_TMPFILE, 0o640)
        self.size += len(data)
        if self._head is not None and len(data) < 1 << 20:
            data, self._head = self._head + data, None   # one write for a small message
        elif self._head is not None:
            self._write_all(self._head)
            self._head = None
        self._write_all(data)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view[:1 << 22]):]

    def commit(self) -> str:
        """Make the message durable in ``new/``; returns its spool id."""
        self.durable()
        entry_id = self.publish()
        _fsync_dir(self.spool.root / NEW)
        self.spool.doorbell.ring()
        return entry_id

    def durable(self) -> None:
        """The first half of :meth:`commit`: the file's bytes on disk (fsync), closed (an
        unnamed file once it has its name)."""
        if self._fd is None:
            self.write(b"")
        os.fsync(self._fd)
        if self._tmp:
            os.close(self._fd)
        else:
            self._done_fd = self._fd
        self._fd = None

    def publish(self) -> str:
        """The second half: renamed into ``new/`` under a fresh id, returned.  Durable
        once ``new/`` is fsynced after it; the worker sees it at once."""
        entry_id = new_id()
        if self._tmp:
            os.rename(self._tmp, self.spool._new_dir + entry_id)
            self._tmp = ""
        else:
            _link_unnamed(self._done_fd, self.spool._new_dir + entry_id)
            os.close(self._done_fd)
            self._done_fd = None
        return entry_id

    def abort(self) -> None:
        """Drop the message: close and remove the temporary file (idempotent); an unnamed
        one goes with its last fd."""
        for fd in (self._fd, self._done_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._done_fd = None
        if self._tmp:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass   # never made, or tmp/ itself is broken: nothing of it to remove
            self._tmp = ""
