"""DMARC (RFC 7489) for the RFC5322.From domain: policy discovery and identifier alignment.

Our own few lines over the SPF and DKIM verdicts rather than authheaders' ``dmarc_per_from``,
because that one only sees the first DKIM signature, turns DNS trouble into exceptions or
"no record", and would look policies up outside our resolver.  The organizational domain
comes from the public suffix list (publicsuffix2), with RFC 7489's default rule ``*`` for
names the list does not know (``acme.example`` is its own organizational domain).
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from publicsuffix2 import PublicSuffixList

from appliance import dnsresolver
from appliance.mta.limits import header_section

_DMARC1 = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)")
_POLICIES = ("none", "quarantine", "reject")


_PSL: list[PublicSuffixList] = []
_PSL_LOCK = threading.Lock()


def _psl() -> PublicSuffixList:
    """The list, read once per process: a second of work, which every thread that met
    it first did again at the same time (an intake worker's authentication threads lost
    seconds to it at each start)."""
    if not _PSL:
        with _PSL_LOCK:
            if not _PSL:
                _PSL.append(PublicSuffixList())
    return _PSL[0]


@functools.lru_cache(maxsize=4096)
def org_domain(domain: str) -> str:
    """The organizational domain: the public suffix plus one label."""
    domain = domain.lower().rstrip(".")
    suffix = _psl().get_tld(domain) or domain.rsplit(".", 1)[-1]
    if domain == suffix or not domain.endswith("." + suffix):
        return domain
    return domain[: -len(suffix) - 1].rsplit(".", 1)[-1] + "." + suffix


def aligned(identifier: str, from_domain: str, mode: str) -> bool:
    """Strict: the same name; relaxed: the same organizational domain."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not identifier or not from_domain:
        return False
    if mode == "s":
        return identifier == from_domain
    return org_domain(identifier) == org_domain(from_domain)


@dataclass
class DMARCCheck:
    result: str
    domain: str = ""           # header.from
    policy: str = ""           # the policy that applies to this domain (p or sp)
    record_domain: str = ""    # where the record was found
    aligned_by: str = ""       # "dkim", "spf" or "" when nothing aligned
    reason: str = ""

    def to_json(self) -> dict:
        return {"result": self.result, "domain": self.domain, "policy": self.policy,
                "record_domain": self.record_domain, "aligned_by": self.aligned_by,
                "reason": self.reason}


def from_domains(raw: bytes) -> list[str] | None:
    """Domains of the From addresses (None when there is no From field at all)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(header_section(raw))
    values = [str(v) for v in headers.get_all("From") or []]
    if not values:
        return None
    domains = []
    for _name, addr in getaddresses(values):
        domain = _ascii_domain(addr.rsplit("@", 1)[-1]) if "@" in addr else ""
        if domain and domain not in domains:
            domains.append(domain)
    return domains


def _ascii_domain(domain: str) -> str:
    """A From domain as DNS knows it: raw UTF-8 (RFC 6532) becomes its IDNA A-label form."""
    domain = domain.strip().lower().rstrip(".")
    domain = domain.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _record(resolver: dnsresolver.Resolver, domain: str) -> dict[str, str] | None:
    """The one DMARC record at ``_dmarc.domain`` as tags; None when there is not exactly one."""
    try:
        texts = resolver.txt(f"_dmarc.{domain}")
    except dnsresolver.PermanentDNSError:
        return None
    records = [t for t in texts if _DMARC1.match(t)]
    if len(records) != 1:
        return None
    tags = {}
    for part in records[0].split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip()
    p = tags.get("p", "").lower()
    if p not in _POLICIES:
        if "rua" not in tags:
            return None
        tags["p"] = "none"   # RFC 7489 6.6.3: a bad p= with rua= counts as p=none
    return tags


def evaluate(resolver: dnsresolver.Resolver, from_domain: str, spf_result: str,
             spf_domain: str, dkim_passes: list[tuple[str, str]]) -> DMARCCheck:
    """DMARC for one From domain.  ``dkim_passes``: (d=, result) of every signature."""
    org = org_domain(from_domain)
    try:
        record, where = _record(resolver, from_domain), from_domain
        if record is None and org != from_domain:
            record, where = _record(resolver, org), org
    except Exception as exc:   # timeout, SERVFAIL, or a resolver that broke: try later
        return DMARCCheck("temperror", from_domain, reason=f"policy lookup failed: {exc}")
    if record is None:
        return DMARCCheck("none", from_domain, reason="no DMARC record")
    policy = record["p"].lower()
    if where != from_domain and record.get("sp", "").lower() in _POLICIES:
        policy = record["sp"].lower()
    check = DMARCCheck("fail", from_domain, policy, where)
    aspf, adkim = record.get("aspf", "r").lower(), record.get("adkim", "r").lower()
    for d, result in dkim_passes:
        if result == "pass" and aligned(d, from_domain, adkim):
            check.result, check.aligned_by = "pass", "dkim"
            check.reason = f"DKIM signature of {d} aligned"
            return check
    if spf_result == "pass" and aligned(spf_domain, from_domain, aspf):
        check.result, check.aligned_by = "pass", "spf"
        check.reason = f"SPF pass for {spf_domain} aligned"
        return check
    unsure = [d for d, r in dkim_passes if r == "temperror" and aligned(d, from_domain, adkim)]
    if spf_result == "temperror" and aligned(spf_domain, from_domain, aspf):
        unsure.append(spf_domain)
    if unsure:
        check.result = "temperror"
        check.reason = f"aligned identifiers could not be checked now: {', '.join(unsure)}"
        return check
    check.reason = "neither an aligned DKIM signature nor an aligned SPF pass"
    return check


_RANK = {"fail": 5, "temperror": 4, "permerror": 3, "pass": 2, "none": 1}


def check_message(raw: bytes, resolver: dnsresolver.Resolver, spf_result: str, spf_domain: str,
                  dkim_passes: list[tuple[str, str]]) -> DMARCCheck:
    """DMARC for every From domain; the worst one counts (a second From must not hide a
    failing one)."""
    try:
        domains = from_domains(raw)
    except Exception as exc:
        return DMARCCheck("permerror", reason=f"From field cannot be parsed: {exc}")
    if domains is None:
        return DMARCCheck("none", reason="no From field")
    if not domains:
        return DMARCCheck("permerror", reason="no domain in the From field")
    checks = [evaluate(resolver, d, spf_result, spf_domain, dkim_passes) for d in domains]
    return max(checks, key=lambda c: _RANK.get(c.result, 0))
