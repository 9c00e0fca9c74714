"""Connection caps of the MTA, shared by its processes, and the counts ``/metrics`` shows.

At most ``smtp.max_connections`` SMTP sessions at once and ``smtp.max_connections_per_ip``
from one peer (an IPv6 peer is its /64: one host owns a whole /64); a connection over a cap
gets ``421 4.7.0`` instead of the greeting.  The MTA's processes (one parent and its forked
children, :mod:`appliance.mta.service`) accept on one socket, so the counts live in one
file mapped shared by all of them (``DIR/run/mta-connections``, created afresh at each
start).  Each process writes only its own row, so no lock is needed and a dead process
cannot leave one held; a check adds the rows up, so two processes admitting at the same
instant may each pass a cap by one.  Peers are counted in hashed buckets (the hash is
salted per start): two peers sharing a bucket share its cap, which only errs on the strict
side.  The web service reads the same file for ``/metrics``.

The file's blocks are allocated when it is made: a shared map of a sparse file gets its
pages from the file system on first write, and on a full disk that write kills the
process with SIGBUS (an MTA child died at the first connection after the disk filled,
without a reply).  When even that allocation fails (the MTA starting on a full disk) the
table lives in anonymous shared memory: the caps hold, ``/metrics`` shows no counts.
"""
from __future__ import annotations

import ipaddress
import logging
import mmap
import os
from array import array
from pathlib import Path

log = logging.getLogger("appliance.mta")

REFUSED_TOTAL = "421 4.7.0 Too many connections, try again later"
REFUSED_PEER = "421 4.7.0 Too many connections from your address, try again later"
COUNTERS = ("open", "accepted", "refused_total", "refused_per_ip")
OPEN, ACCEPTED, REFUSED_MAX, REFUSED_IP = range(len(COUNTERS))
BUCKETS = 8192
_INT = 8  # bytes per count (signed 64-bit)


def file_path(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "mta-connections"


def peer_key(address: str) -> str:
    """What one peer is for the per-peer cap: its IPv4 address, or its IPv6 /64."""
    if ":" not in address and address.count(".") == 3:
        return address   # a socket's IPv4 peer name is already canonical dotted decimal
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class ConnectionLimits:
    """The shared table (layout: ``processes`` rows of :data:`COUNTERS`, then
    ``processes`` rows of :data:`BUCKETS` open counts).  Create it in the parent before
    forking; each process then calls :meth:`use_row` with its own index."""

    def __init__(self, path: Path, processes: int, max_total: int, max_per_ip: int) -> None:
        self.processes = max(1, processes)
        self.max_total = max_total
        self.max_per_ip = max_per_ip
        self.row = 0
        size = self.processes * (len(COUNTERS) + BUCKETS) * _INT
        try:
            self._map = _shared_file(path, size)
        except OSError as exc:
            log.warning("cannot allocate the connection table %s (%s): the caps hold, "
                        "/metrics shows no MTA connection counts until a restart with "
                        "free space", path, exc.strerror or exc)
            for stale in (path, path.with_name(path.name + ".new")):
                try:
                    stale.unlink()
                except OSError:
                    pass
            self._map = mmap.mmap(-1, size)   # anonymous, MAP_SHARED: children share it
        self._counts = memoryview(self._map).cast("q")
        self._buckets_at = self.processes * len(COUNTERS)
        self._salt = os.urandom(8).hex()

    def use_row(self, index: int) -> None:
        self.row = index

    def _bucket(self, address: str) -> int:
        return hash((self._salt, peer_key(address))) % BUCKETS

    def admit(self, address: str) -> str | None:
        """None when the connection may go on (call :meth:`release` when it ends),
        otherwise the 421 reply to send; refusals are counted by cap."""
        counts, width = self._counts, len(COUNTERS)
        mine = self.row * width
        if self.max_total and sum(counts[r * width + OPEN]
                                  for r in range(self.processes)) >= self.max_total:
            counts[mine + REFUSED_MAX] += 1
            return REFUSED_TOTAL
        bucket = self._bucket(address)
        if self.max_per_ip and sum(counts[self._buckets_at + r * BUCKETS + bucket]
                                   for r in range(self.processes)) >= self.max_per_ip:
            counts[mine + REFUSED_IP] += 1
            return REFUSED_PEER
        counts[self._buckets_at + self.row * BUCKETS + bucket] += 1
        counts[mine + OPEN] += 1
        counts[mine + ACCEPTED] += 1
        return None

    def release(self, address: str) -> None:
        counts = self._counts
        counts[self._buckets_at + self.row * BUCKETS + self._bucket(address)] -= 1
        counts[self.row * len(COUNTERS) + OPEN] -= 1


def _shared_file(path: Path, size: int) -> mmap.mmap:
    """A new zeroed file of ``size`` bytes with every block allocated, renamed into place
    (an MTA of an earlier start that still runs keeps writing its own, now nameless,
    table) and mapped MAP_SHARED, so forked children see one table."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fresh = path.with_name(path.name + ".new")
    fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.posix_fallocate(fd, 0, size)   # ENOSPC now, never SIGBUS later
        shared = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    try:
        os.replace(fresh, path)
    except BaseException:
        shared.close()
        raise
    return shared


def read_counts(data_dir: Path) -> dict[str, int]:
    """The MTA's counts summed over its processes (zeros when it never ran)."""
    totals = dict.fromkeys(COUNTERS, 0)
    path = file_path(data_dir)
    try:
        with open(path, "rb") as fh:
            processes = os.fstat(fh.fileno()).st_size // ((len(COUNTERS) + BUCKETS) * _INT)
            counts = array("q", fh.read(processes * len(COUNTERS) * _INT))
    except FileNotFoundError:
        return totals
    for index, name in enumerate(COUNTERS):
        totals[name] = sum(counts[index::len(COUNTERS)])
    return totals
