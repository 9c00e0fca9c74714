"""SPF (RFC 7208) with pyspf, its DNS fed from our resolver.

pyspf looks everything up through the module-level hook ``spf.DNSLookup``.  We install one
function there that asks the resolver of the current check, found in a context variable:
concurrent checks in other threads (or tasks) each see their own resolver, with no lock held
during lookups, and code calling pyspf outside a check still goes through our seam.
"""
from __future__ import annotations

import contextvars
import ipaddress
from dataclasses import dataclass

import spf

from appliance import dnsresolver

_current: contextvars.ContextVar = contextvars.ContextVar("spf_resolver", default=None)


def _lookup(name: str, qtype: str, strict: bool = True, timeout: float = 20) -> list:
    """pyspf's DNS hook: ``[((name, qtype), value), ...]``, TempError for temporary failures."""
    resolver = _current.get() or dnsresolver.get_resolver()
    try:
        if qtype == "TXT":
            return [((name, qtype), [t.encode("utf-8")]) for t in resolver.txt(name)]
        if qtype == "A":
            return [((name, qtype), ip) for ip in resolver.a(name)]
        if qtype == "AAAA":
            return [((name, qtype), ip) for ip in resolver.aaaa(name)]
        if qtype == "MX":
            return [((name, qtype), mx) for mx in resolver.mx(name)]
        if qtype == "PTR":
            return [((name, qtype), host) for host in resolver.ptr(name)]
    except dnsresolver.PermanentDNSError:
        return []
    except Exception as exc:   # timeout, SERVFAIL, or a resolver that broke: try later
        raise spf.TempError(f"DNS {exc}") from None
    return []   # type 99 (SPF) and anything else: not published any more


def install_hook() -> None:
    """Route pyspf's lookups through our resolver (idempotent)."""
    spf.DNSLookup = _lookup


install_hook()


@dataclass
class SPFCheck:
    """One SPF evaluation: ``identity`` is ``mailfrom`` or ``helo``."""

    identity: str
    domain: str
    sender: str
    result: str
    reason: str = ""

    def to_json(self) -> dict:
        return {"identity": self.identity, "domain": self.domain, "sender": self.sender,
                "result": self.result, "reason": self.reason}


def is_domain(helo: str | None) -> bool:
    """True for a HELO that names a host (not an address literal, not a bare word)."""
    if not helo or "." not in helo or helo.startswith("["):
        return False
    try:
        ipaddress.ip_address(helo)
        return False
    except ValueError:
        return True


def check(resolver: dnsresolver.Resolver, peer_ip: str | None, sender: str, helo: str | None,
          identity: str, seconds: float) -> SPFCheck:
    """Evaluate ``sender`` (an address) for ``peer_ip``; never raises."""
    domain = sender.rsplit("@", 1)[-1].lower().rstrip(".")
    if not peer_ip:
        return SPFCheck(identity, domain, sender, "none", "no connecting address known")
    try:
        ipaddress.ip_address(peer_ip)
    except ValueError:
        return SPFCheck(identity, domain, sender, "none", f"not an IP address: {peer_ip!r}")
    if "@" not in sender or not domain:
        return SPFCheck(identity, domain, sender, "none", "no domain to check")
    token = _current.set(resolver)
    try:
        install_hook()
        q = spf.query(i=peer_ip, s=sender, h=helo or "unknown", timeout=seconds,
                      querytime=seconds)
        result, _code, explanation = q.check()
    except Exception as exc:   # pyspf on odd input: record it, never break intake
        return SPFCheck(identity, domain, sender, "permerror", f"{type(exc).__name__}: {exc}")
    finally:
        _current.reset(token)
    result = {"error": "temperror", "unknown": "permerror"}.get(result, result)
    return SPFCheck(identity, domain, sender, result, str(explanation))
