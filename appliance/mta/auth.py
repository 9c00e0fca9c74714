"""Sender authentication of one incoming message: SPF, DKIM, DMARC, ARC.

Recorded for every message so the helpdesk can tell a verified sender from a forged one (a
From that fails DMARC never hijacks an item by its subject tag) and so the stored message
carries an ``Authentication-Results`` header (RFC 8601).  All DNS goes through the resolver
passed in, bounded as a whole: DNS trouble becomes ``temperror``, never a long wait and never
an exception into intake.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterable

import authres

from appliance import dnsresolver
from appliance.mta import auth_dkim, auth_dmarc, auth_spf
from appliance.mta.auth_dkim import DKIMSignature
from appliance.mta.auth_dmarc import DMARCCheck
from appliance.mta.auth_spf import SPFCheck

BUDGET = 5.0   # seconds of DNS for one message, all checks together
RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror")
_FEATURES = authres.all_features()   # the core methods and the dmarc, arc, header.b ones
_TOKEN = re.compile(rf"^{authres.core.RFC2045_TOKEN_PATTERN}$")
_ATEXT = authres.core.RFC5322_ATEXT_PATTERN
_DOT_ATOM = re.compile(rf"^{_ATEXT}+(\.{_ATEXT}+)*$")


@dataclass
class AuthResults:
    """Result words (RFC 8601) per method, with the evidence behind each."""

    authserv_id: str
    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    arc: str = "none"
    spf_checks: list[SPFCheck] = field(default_factory=list)      # MAIL FROM first, then HELO
    signatures: list[DKIMSignature] = field(default_factory=list)
    dmarc_check: DMARCCheck | None = None
    arc_reason: str = ""
    peer_ip: str | None = None
    seconds: float = 0.0

    @property
    def dmarc_failed(self) -> bool:
        """True only for a definite DMARC fail: the From domain is not vouched for."""
        return self.dmarc == "fail"

    def vouches_for(self, from_domain: str | None) -> tuple[bool, str]:
        """Whether the From domain itself vouches for this message: an aligned (relaxed)
        DKIM pass or an SPF pass for an aligned MAIL FROM domain, and DMARC did not fail.
        Unlike "DMARC did not fail", a domain without a DMARC record counts only with
        that evidence, so nobody can forge it.  The second value says why, in words."""
        domain = (from_domain or "").lower().rstrip(".")
        if not domain:
            return False, "the mail has no From domain to authenticate"
        if self.dmarc_failed:
            return False, f"the From domain {domain} failed DMARC"
        for s in self.signatures:
            if s.result == "pass" and auth_dmarc.aligned(s.domain, domain, "r"):
                return True, f"a DKIM signature of {s.domain} aligned with {domain} passed"
        spf = self.spf_checks[0] if self.spf_checks else None
        if spf and spf.result == "pass" and auth_dmarc.aligned(spf.domain, domain, "r"):
            return True, f"SPF passed for {spf.domain}, aligned with {domain}"
        return False, (f"no DKIM signature aligned with {domain} passed and SPF did not pass "
                       f"for it: SPF {self.spf}, DKIM {self.dkim}, DMARC {self.dmarc}")

    def to_json(self, details: bool = False) -> dict:
        """``{"spf", "dkim", "dmarc", "arc"}``; with ``details`` also the evidence."""
        doc: dict = {"spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc, "arc": self.arc}
        if details:
            doc["details"] = {
                "spf": [c.to_json() for c in self.spf_checks],
                "dkim": [s.to_json() for s in self.signatures],
                "dmarc": self.dmarc_check.to_json() if self.dmarc_check else None,
                "arc": {"result": self.arc, "reason": self.arc_reason},
                "seconds": round(self.seconds, 3),
            }
        return doc

    def header(self) -> str:
        """The ``Authentication-Results`` value: authserv-id first, one resinfo per result."""
        return self._header().header_value()

    def header_line(self, linesep: bytes = b"\r\n") -> bytes:
        """The whole header field, folded between results, ready to prepend to the message."""
        head = self._header()
        sep = ";" + linesep.decode("ascii") + "\t"
        value = sep.join([head.authserv_id] + [str(r) for r in head.results])
        return f"{head.HEADER_FIELD_NAME}: {value}".encode("utf-8") + linesep

    def _header(self) -> authres.core.AuthenticationResultsHeader:
        results = []
        for c in self.spf_checks:
            prop = ("smtp", "mailfrom", _address(c.sender)) if c.identity == "mailfrom" \
                else ("smtp", "helo", c.domain)
            results.append(_result("spf", c.result, c.reason, [prop]))
        if not self.spf_checks:
            results.append(_result("spf", "none"))
        for s in self.signatures:
            props = [("header", "d", s.domain or None), ("header", "s", s.selector or None),
                     ("header", "a", s.algorithm or None), ("header", "b", s.b or None)]
            results.append(_result("dkim", s.result, "" if s.result == "pass" else s.reason,
                                   props))
        if not self.signatures:
            results.append(_result("dkim", "none"))
        d = self.dmarc_check
        if d and d.domain:
            comment = f"p={d.policy}" if d.policy else d.reason
            results.append(_result("dmarc", self.dmarc, comment,
                                   [("header", "from", d.domain)]))
        else:
            results.append(_result("dmarc", self.dmarc, d.reason if d else ""))
        if self.arc != "none":
            results.append(_result("arc", self.arc, self.arc_reason,
                                   [("smtp", "remote-ip", self.peer_ip or None)]))
        head = _FEATURES.header(authserv_id=self.authserv_id, results=results)
        head.authserv_id = self.authserv_id   # as configured: authres lower-cases it
        return head


class _Value(authres.core.QuotableValue):
    """A property value: a token bare, anything else a quoted-string.  authres itself
    leaves every value with an "@" bare, "a b@c" too, which RFC 8601 does not allow."""

    def quote_if_needed(self) -> str:
        if _TOKEN.match(self):
            return str(self)
        return '"' + re.sub(r'(["\\])', r"\\\1", self) + '"'


class _Address(_Value):
    """``smtp.mailfrom``: a ``local-part@domain`` address is written bare as well."""

    def quote_if_needed(self) -> str:
        local, at, domain = self.rpartition("@")
        if at and _DOT_ATOM.match(local) and _TOKEN.match(domain):
            return str(self)
        return super().quote_if_needed()


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _comment(text: str) -> str:
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", _ascii(text)).split())[:120]
    return re.sub(r"([()\\])", r"\\\1", text)


def _address(addr: str) -> str:
    """The MAIL FROM address, or its domain alone when the whole cannot be written bare."""
    local, _, domain = addr.rpartition("@")
    return addr if local and _DOT_ATOM.match(local) and _TOKEN.match(domain) else domain


def _result(method: str, result: str, comment: str = "",
            props: Iterable[tuple[str, str, str | None]] = ()
            ) -> authres.core.AuthenticationResult:
    """One resinfo; a property whose value is None is left out ("" is written ``""``)."""
    properties = []
    for ptype, name, value in props:
        if value is not None:
            prop = authres.core.AuthenticationResultProperty(ptype, name)
            kind = _Address if (ptype, name) == ("smtp", "mailfrom") else _Value
            prop.value = kind(re.sub(r"[\x00-\x1f\x7f]", "", _ascii(value)))
            properties.append(prop)
    return _FEATURES.result(method, result=result,
                            result_comment=_comment(comment) if comment else None,
                            properties=properties)


def _sender(mail_from: str) -> str:
    return mail_from.strip().strip("<>").strip()


def authenticate(raw: bytes, *, peer_ip: str | None, helo: str | None, mail_from: str,
                 resolver: dnsresolver.Resolver | None, authserv_id: str,
                 budget: float = BUDGET) -> AuthResults:
    """SPF (MAIL FROM and HELO), every DKIM signature, DMARC for the From domain and the ARC
    chain of ``raw``; DNS through ``resolver`` (the configured one when None), all lookups
    together ending within ``budget`` seconds.  Never raises on any input."""
    started = time.monotonic()
    bounded = dnsresolver.DeadlineResolver(resolver or dnsresolver.get_resolver(), budget)
    res = AuthResults(authserv_id=authserv_id, peer_ip=peer_ip)
    helo = (helo or "").strip().rstrip(".") or None

    def left() -> float:
        return max(0.1, bounded.deadline - time.monotonic())

    sender = _sender(mail_from)
    if sender:
        res.spf_checks.append(auth_spf.check(bounded, peer_ip, sender, helo, "mailfrom", left()))
    elif auth_spf.is_domain(helo):   # null sender: RFC 7208 2.4 checks postmaster@HELO
        res.spf_checks.append(auth_spf.check(bounded, peer_ip, f"postmaster@{helo}", helo,
                                             "helo", left()))
    if res.spf_checks:
        res.spf = res.spf_checks[0].result
    fields = auth_dkim.header_fields(raw)   # one read for DKIM and ARC
    res.signatures = auth_dkim.verify_signatures(raw, bounded, left(), fields)
    res.dkim = auth_dkim.summarize(res.signatures)
    spf_domain = res.spf_checks[0].domain if res.spf_checks else ""
    res.dmarc_check = auth_dmarc.check_message(raw, bounded, res.spf, spf_domain,
                                               [(s.domain, s.result) for s in res.signatures])
    res.dmarc = res.dmarc_check.result
    res.arc, res.arc_reason = auth_dkim.verify_arc(raw, bounded, left(), fields)
    if sender and auth_spf.is_domain(helo):
        res.spf_checks.append(auth_spf.check(bounded, peer_ip, f"postmaster@{helo}", helo,
                                             "helo", left()))
    res.seconds = time.monotonic() - started
    return res
