"""The one DNS seam of the appliance.

Every lookup the box makes (SPF, DKIM keys, DMARC policies, ARC keys, MX for direct delivery,
`appliance doctor`) goes through a :class:`Resolver`, so each check can be fed from a table in
tests and in ``appliance classify`` dry runs, and so a slow or broken DNS can never hold up
intake or delivery for more than a few seconds.

Answers are plain Python values.  Failures are two families of exceptions, because callers
must treat them differently: :class:`PermanentDNSError` (NXDOMAIN, no records of that type:
the answer is final) and :class:`TemporaryDNSError` (timeout, SERVFAIL, no usable server:
try again later, record ``temperror``).
"""
from __future__ import annotations

import contextlib
import ipaddress
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

TIMEOUT = 2.0    # seconds for one server to answer one query
LIFETIME = 4.0   # seconds for one whole query, all servers and retries included
DEAD_AFTER = 3   # timeouts in a row after which the nameservers count as not answering
DEAD_FOR = 30.0  # seconds they are then cut out (each query fails at once), before a retry
NULL_MX = "."    # the exchange of a null MX (RFC 7505): the domain accepts no mail


class DNSError(Exception):
    """A lookup gave no answer; ``name`` and ``rdtype`` say which one."""

    def __init__(self, message: str, name: str = "", rdtype: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.rdtype = rdtype


class PermanentDNSError(DNSError):
    """The answer is final: asking again will not change it."""


class NXDomain(PermanentDNSError):
    """The name does not exist."""


class NoAnswer(PermanentDNSError):
    """The name exists but has no records of the asked type."""


class NullMX(PermanentDNSError):
    """The domain publishes a null MX (RFC 7505): it accepts no mail."""


class TemporaryDNSError(DNSError):
    """No answer now (timeout, SERVFAIL, no server): a later try may succeed."""


class DNSTimeout(TemporaryDNSError):
    """No server answered within the time allowed."""


class ServerFailure(TemporaryDNSError):
    """Every server failed (SERVFAIL, REFUSED, unreachable) or none is configured."""


@runtime_checkable
class Resolver(Protocol):
    """What every check needs from DNS; each method raises a :class:`DNSError` subclass."""

    def txt(self, name: str) -> list[str]:
        """TXT records, each record's character-strings joined."""

    def mx(self, name: str) -> list[tuple[int, str]]:
        """(preference, exchange) sorted by preference; a null MX has exchange ``"."``."""

    def a(self, name: str) -> list[str]:
        """IPv4 addresses."""

    def aaaa(self, name: str) -> list[str]:
        """IPv6 addresses."""

    def ptr(self, name: str) -> list[str]:
        """Names for an IP address (or for an ``in-addr.arpa``/``ip6.arpa`` name)."""


def normalize_name(name: str) -> str:
    """Lower-case, no trailing dot; an IP address becomes its reverse-lookup name."""
    name = str(name).strip().rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return name
    return dns.reversename.from_address(str(ip)).to_text(omit_final_dot=True).lower()


class _InFlight:
    """One query being asked; threads asking the same wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: list | None = None
        self.error: BaseException | None = None


class DNSResolver:
    """The real resolver: dnspython with short timeouts and a shared cache (answers and
    negative answers, each for its TTL), safe to use from many threads at once.

    Identical queries in flight at the same moment are asked once and their outcome
    shared.  Nameservers that time out :data:`DEAD_AFTER` times in a row are cut out for
    :data:`DEAD_FOR` seconds: each query then fails at once with :class:`DNSTimeout`
    (mail is filed with ``temperror``) instead of waiting out its timeout, one message
    after another; the first query after that tries them again."""

    def __init__(self, nameservers: list[str] | None = None, *, port: int = 53,
                 timeout: float = TIMEOUT, lifetime: float = LIFETIME) -> None:
        if nameservers is None:
            try:
                self._resolver = dns.resolver.Resolver(configure=True)
            except dns.exception.DNSException:   # no /etc/resolv.conf: fail per query instead
                self._resolver = dns.resolver.Resolver(configure=False)
        else:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        self._resolver.timeout = timeout
        self._resolver.lifetime = lifetime
        self._resolver.cache = dns.resolver.LRUCache(20000)
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], _InFlight] = {}
        self._timeouts = 0
        self._dead_until = 0.0
        self._clock = time.monotonic

    @property
    def lifetime(self) -> float:
        return float(self._resolver.lifetime)

    def query(self, name: str, rdtype: str, *, lifetime: float | None = None) -> list:
        """Raw rdata objects of one query, dnspython's exceptions mapped onto ours;
        merged with the same query in flight, refused at once while the nameservers are
        cut out."""
        key = (normalize_name(name), rdtype)
        with self._lock:
            left = self._dead_until - self._clock()
            if left > 0:
                raise DNSTimeout(f"{key[0]} {rdtype}: the nameservers did not answer "
                                 f"{DEAD_AFTER} queries in a row; not asked for another "
                                 f"{left:.0f} s", *key)
            flight = self._inflight.get(key)
            mine = flight is None
            if mine:
                flight = self._inflight[key] = _InFlight()
        if not mine:
            wait = lifetime if lifetime is not None else self.lifetime
            if not flight.done.wait(wait + 0.5):
                raise DNSTimeout(f"{key[0]} {rdtype}: timed out (waiting for the same "
                                 f"query)", *key)
            if flight.error is not None:
                raise flight.error
            return list(flight.result or [])
        try:
            flight.result = self._ask(name, rdtype, lifetime)
            self._answered(True)
            return flight.result
        except DNSTimeout as exc:
            flight.error = exc
            self._answered(False)
            raise
        except BaseException as exc:
            flight.error = exc
            self._answered(True)   # an answer, if a negative one: the servers are alive
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            flight.done.set()

    def _answered(self, alive: bool) -> None:
        with self._lock:
            if alive:
                self._timeouts = 0
                return
            self._timeouts += 1
            if self._timeouts >= DEAD_AFTER:
                self._dead_until = self._clock() + DEAD_FOR

    def _ask(self, name: str, rdtype: str, lifetime: float | None) -> list:
        qname = normalize_name(name)
        try:
            dname = dns.name.from_text(qname)
        except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
            raise NXDomain(f"{qname!r}: not a valid name ({exc})", qname, rdtype) from None
        if not self._resolver.nameservers:
            raise ServerFailure("no nameserver configured", qname, rdtype)
        try:
            answer = self._resolver.resolve(dname, rdtype, search=False, lifetime=lifetime)
        except dns.resolver.NXDOMAIN:
            raise NXDomain(f"{qname}: no such domain", qname, rdtype) from None
        except dns.resolver.NoAnswer:
            raise NoAnswer(f"{qname}: no {rdtype} record", qname, rdtype) from None
        except dns.exception.Timeout as exc:
            raise DNSTimeout(f"{qname} {rdtype}: timed out ({exc})", qname, rdtype) from None
        except dns.resolver.NoNameservers as exc:
            raise ServerFailure(f"{qname} {rdtype}: {exc}", qname, rdtype) from None
        except (dns.exception.SyntaxError, dns.resolver.YXDOMAIN) as exc:
            raise NXDomain(f"{qname}: not a valid name ({exc})", qname, rdtype) from None
        except dns.exception.DNSException as exc:
            raise ServerFailure(f"{qname} {rdtype}: {exc}", qname, rdtype) from None
        return list(answer)

    def txt(self, name: str, *, lifetime: float | None = None) -> list[str]:
        return [b"".join(r.strings).decode("utf-8", "replace")
                for r in self.query(name, "TXT", lifetime=lifetime)]

    def mx(self, name: str, *, lifetime: float | None = None) -> list[tuple[int, str]]:
        found = [(int(r.preference), r.exchange.to_text(omit_final_dot=True).lower() or NULL_MX)
                 for r in self.query(name, "MX", lifetime=lifetime)]
        return sorted(found)

    def a(self, name: str, *, lifetime: float | None = None) -> list[str]:
        return [r.address for r in self.query(name, "A", lifetime=lifetime)]

    def aaaa(self, name: str, *, lifetime: float | None = None) -> list[str]:
        return [r.address for r in self.query(name, "AAAA", lifetime=lifetime)]

    def ptr(self, name: str, *, lifetime: float | None = None) -> list[str]:
        return [r.target.to_text(omit_final_dot=True).lower()
                for r in self.query(name, "PTR", lifetime=lifetime)]


_ERRORS = {"!timeout": DNSTimeout, "!servfail": ServerFailure, "!nxdomain": NXDomain}


class TableResolver:
    """Answers from a table, never from the network: for tests and dry runs.

    ``{"acme.example": {"TXT": ["v=spf1 -all"], "MX": [(10, "mx.acme.example")],
    "A": "192.0.2.1"}, "192.0.2.1": {"PTR": "mx.acme.example"}, "slow.example": DNSTimeout}``.
    A value may be one item or a list; an IP key means its reverse name; an exception (class
    or instance) as a name's or a type's value is raised for it.  A name missing from the table
    is NXDOMAIN, a type missing under a present name is no answer.  ``CNAME`` is followed.
    ``calls`` lists every (name, type) asked, in order.
    """

    def __init__(self, records: dict) -> None:
        self.records: dict = {normalize_name(k): v for k, v in records.items()}
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path) -> TableResolver:
        """A table from JSON (``"!timeout"``, ``"!servfail"`` or ``"!nxdomain"`` as errors)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))

        def conv(v):
            if isinstance(v, str) and v in _ERRORS:
                return _ERRORS[v]
            return {t: conv(x) for t, x in v.items()} if isinstance(v, dict) else v
        return cls({k: conv(v) for k, v in data.items()})

    def _lookup(self, name: str, rdtype: str, depth: int = 0) -> list:
        qname = normalize_name(name)
        with self._lock:
            self.calls.append((qname, rdtype))
        entry = self.records.get(qname)
        _raise_if_error(entry, qname, rdtype)
        if entry is None:
            raise NXDomain(f"{qname}: no such domain", qname, rdtype)
        value = entry.get(rdtype)
        if value is None and "CNAME" in entry and depth < 8:
            return self._lookup(_as_list(entry["CNAME"])[0], rdtype, depth + 1)
        _raise_if_error(value, qname, rdtype)
        values = [] if value is None else _as_list(value)
        if not values:
            raise NoAnswer(f"{qname}: no {rdtype} record", qname, rdtype)
        return values

    def txt(self, name: str) -> list[str]:
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for v in self._lookup(name, "TXT")]

    def mx(self, name: str) -> list[tuple[int, str]]:
        found = []
        for v in self._lookup(name, "MX"):
            pref, host = v.split(None, 1) if isinstance(v, str) else v
            found.append((int(pref), str(host).rstrip(".").lower() or NULL_MX))
        return sorted(found)

    def a(self, name: str) -> list[str]:
        return [str(v) for v in self._lookup(name, "A")]

    def aaaa(self, name: str) -> list[str]:
        return [str(v) for v in self._lookup(name, "AAAA")]

    def ptr(self, name: str) -> list[str]:
        return [str(v).rstrip(".").lower() for v in self._lookup(name, "PTR")]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) and not _is_mx_pair(value) else [value]


def _is_mx_pair(value) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and isinstance(value[0], int) and isinstance(value[1], str))


def _raise_if_error(value, name: str, rdtype: str) -> None:
    if isinstance(value, type) and issubclass(value, DNSError):
        raise value(f"{name} {rdtype}: {value.__name__} (from table)", name, rdtype)
    if isinstance(value, BaseException):
        raise value


class DeadlineResolver:
    """Wraps a resolver so that all its queries together end by a deadline.

    Why: one message may need a dozen lookups (SPF includes, each DKIM key, DMARC, ARC);
    the sum, not each query, must stay within a few seconds.  Past the deadline every query
    raises :class:`DNSTimeout` at once; a :class:`DNSResolver` also gets only the time left.
    """

    def __init__(self, inner: Resolver, seconds: float, clock=time.monotonic) -> None:
        self.inner = inner
        self._clock = clock
        self.deadline = clock() + seconds

    def _call(self, method: str, name: str):
        left = self.deadline - self._clock()
        if left <= 0:
            raise DNSTimeout(f"{name} {method.upper()}: DNS time for this message used up",
                             normalize_name(name), method.upper())
        if isinstance(self.inner, DNSResolver):
            return getattr(self.inner, method)(name, lifetime=min(left, self.inner.lifetime))
        return getattr(self.inner, method)(name)

    def txt(self, name: str) -> list[str]:
        return self._call("txt", name)

    def mx(self, name: str) -> list[tuple[int, str]]:
        return self._call("mx", name)

    def a(self, name: str) -> list[str]:
        return self._call("a", name)

    def aaaa(self, name: str) -> list[str]:
        return self._call("aaaa", name)

    def ptr(self, name: str) -> list[str]:
        return self._call("ptr", name)


def mail_exchangers(resolver: Resolver, domain: str, rng: random.Random | None = None
                    ) -> list[str]:
    """Hosts to try for ``domain``, best first (RFC 5321 5.1, RFC 7505).

    MX hosts by preference, equal preferences shuffled; no MX record means the domain itself
    (implicit MX: the caller resolves its A/AAAA).  Raises :class:`NullMX` for a null MX,
    :class:`NXDomain` for a missing domain, :class:`TemporaryDNSError` to retry later.
    """
    rng = rng or random.Random()
    try:
        records = resolver.mx(domain)
    except NoAnswer:
        return [normalize_name(domain)]
    hosts = [(pref, host) for pref, host in records if host != NULL_MX]
    if not hosts:
        raise NullMX(f"{domain} accepts no mail (null MX)", normalize_name(domain), "MX")
    ordered: list[str] = []
    for pref in sorted({p for p, _ in hosts}):
        group = [h for p, h in hosts if p == pref]
        rng.shuffle(group)
        ordered.extend(h for h in group if h not in ordered)
    return ordered


_default: Resolver | None = None
_default_lock = threading.Lock()


def get_resolver() -> Resolver:
    """The configured resolver (the system's nameservers unless :func:`configure` said else)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DNSResolver()
        return _default


def set_resolver(resolver: Resolver | None) -> Resolver | None:
    """Install ``resolver`` for the whole process (None: back to the system's); returns the
    previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, resolver
        return previous


def configure(nameservers: list[str] | None = None, *, port: int = 53,
              timeout: float = TIMEOUT, lifetime: float = LIFETIME) -> Resolver:
    """Build the process resolver from settings (e.g. ``dns.nameservers``) and install it."""
    resolver = DNSResolver(nameservers or None, port=port, timeout=timeout, lifetime=lifetime)
    set_resolver(resolver)
    return resolver


@contextlib.contextmanager
def installed(resolver: Resolver) -> Iterator[Resolver]:
    """Use ``resolver`` as the process resolver inside a ``with`` block (tests, dry runs)."""
    previous = set_resolver(resolver)
    try:
        yield resolver
    finally:
        set_resolver(previous)
