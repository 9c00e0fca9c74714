"""Faults of the machine, not of the mail: what the worker waits out instead of failing.

A full disk (or quota), an I/O error, no memory or no file descriptors left: the same mail
goes through once the machine recovers, so such an entry is not ``failed`` (which waits for
a person and ``appliance mail retry``) but set aside in the spool's ``waiting/`` and tried
again by itself, every :func:`retry_delay` seconds.  Everything else a mail can raise is a
failure of that mail.
"""
from __future__ import annotations

import errno
import os

# errno -> what the incoming log says happened
TRANSIENT = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EIO: "an input/output error on the disk",
    errno.ENOMEM: "the machine is out of memory",
    errno.EMFILE: "the worker has too many files open",
    errno.ENFILE: "the system has too many files open",
    errno.EAGAIN: "a resource is temporarily unavailable",
}
SQLITE_FULL = "database or disk is full"   # SQLITE_FULL's message, also through peewee


def transient_reason(exc: BaseException) -> str | None:
    """What went wrong when ``exc`` (or an exception it was raised from) is a transient
    fault of the machine; None when it is the mail's problem."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in TRANSIENT:
            where = f": {exc.filename}" if exc.filename else ""
            return f"{TRANSIENT[exc.errno]} ({os.strerror(exc.errno)}{where})"
        if SQLITE_FULL in str(exc) and "Error" in type(exc).__name__:
            return f"the disk of the database is full (SQLite: {SQLITE_FULL})"
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def retry_delay(base: float, attempt: int) -> float:
    """Seconds until the next attempt: ``base`` after the first fault, twice that after
    later ones (30 s, then every 60 s with the default ``worker.retry_seconds``)."""
    return base if attempt <= 1 else 2 * base
