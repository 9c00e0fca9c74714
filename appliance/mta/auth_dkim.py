"""DKIM (RFC 6376, RFC 8463) and ARC (RFC 8617) verification with dkimpy.

dkimpy reports most problems as a bare ``False``; we tell them apart so the result words are
right: a key that cannot be fetched now is ``temperror``, a missing or broken key or a
malformed signature ``permerror``, a signature that does not match ``fail``.
"""
from __future__ import annotations

from dataclasses import dataclass

import dkim
from dkim.util import parse_tag_value

from appliance import dnsresolver
from appliance.mta.limits import MAX_ARC_SETS, MAX_DKIM_SIGNATURES, header_section


class _Log:
    """A per-check stand-in for dkimpy's logger that keeps the error lines (the reasons)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, msg, *args) -> None:
        self.errors.append(str(msg) % args if args else str(msg))

    def debug(self, *args, **kwargs) -> None:
        pass

    info = warning = debug


class _KeyFetcher:
    """dkimpy's ``dnsfunc`` over our resolver, remembering why a key was not found."""

    def __init__(self, resolver: dnsresolver.Resolver) -> None:
        self.resolver = resolver
        self.temporary: str | None = None
        self.missing: str | None = None

    def __call__(self, name, timeout: float = 5) -> bytes | None:
        qname = name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)
        try:
            records = self.resolver.txt(qname)
        except dnsresolver.PermanentDNSError as exc:
            self.missing = f"no key at {qname.rstrip('.')} ({type(exc).__name__})"
            return None
        except Exception as exc:   # timeout, SERVFAIL, or a resolver that broke: try later
            self.temporary = str(exc) or type(exc).__name__
            raise dkim.DnsTimeoutError(str(exc)) from None
        keys = [r for r in records if "p=" in r] or records
        if not keys:
            self.missing = f"no key at {qname.rstrip('.')}"
            return None
        return keys[0].encode("utf-8")


@dataclass
class DKIMSignature:
    """The verdict on one DKIM-Signature header, with the tags the header names."""

    result: str
    domain: str = ""
    selector: str = ""
    algorithm: str = ""
    identity: str = ""
    b: str = ""
    reason: str = ""

    def to_json(self) -> dict:
        return {"result": self.result, "domain": self.domain, "selector": self.selector,
                "algorithm": self.algorithm, "identity": self.identity, "reason": self.reason}


def _tags(header_value: bytes) -> dict[str, str]:
    try:
        tags = parse_tag_value(header_value)
    except Exception:
        return {}
    return {k.decode("ascii", "replace"): v.decode("ascii", "replace") for k, v in tags.items()}


Fields = list[tuple[bytes, bytes]]


def header_fields(raw: bytes) -> Fields | None:
    """The header fields as dkimpy reads them, None when it cannot: read once per message
    for both its DKIM signatures and its ARC chain."""
    try:
        headers, _body = dkim.rfc822_parse(header_section(raw))
    except Exception:
        return None
    return headers


def verify_signatures(raw: bytes, resolver: dnsresolver.Resolver, timeout: float,
                      fields: Fields | None = None) -> list[DKIMSignature]:
    """One verdict per DKIM-Signature header, topmost first, for the first
    :data:`MAX_DKIM_SIGNATURES` (each costs a parse and a key lookup: 2,000 signatures
    held the worker for minutes); never raises.  ``fields``: :func:`header_fields` of
    ``raw`` when the caller has them."""
    fields = fields if fields is not None else header_fields(raw)
    headers = None if fields is None else [v for k, v in fields
                                           if k.lower() == b"dkim-signature"]
    if headers is None:
        present = b"dkim-signature:" in raw.split(b"\n\n", 1)[0].lower()
        return [DKIMSignature("permerror", reason="message cannot be parsed")] if present else []
    return [_verify_one(raw, idx, value, resolver, timeout)
            for idx, value in enumerate(headers[:MAX_DKIM_SIGNATURES])]


def _verify_one(raw: bytes, idx: int, value: bytes, resolver: dnsresolver.Resolver,
                timeout: float) -> DKIMSignature:
    tags = _tags(value)
    sig = DKIMSignature("fail", domain=tags.get("d", "").lower(), selector=tags.get("s", ""),
                        algorithm=tags.get("a", ""), identity=tags.get("i", ""),
                        b="".join(tags.get("b", "").split())[:8])
    log, fetch = _Log(), _KeyFetcher(resolver)
    try:
        d = dkim.DKIM(raw, logger=log, minkey=1024, timeout=timeout)
        d.verify_headerprep(idx)   # malformed signature fields: before any DNS
    except dkim.DKIMException as exc:
        sig.result, sig.reason = "permerror", f"malformed signature: {exc}"
        return sig
    except Exception as exc:
        sig.result, sig.reason = "permerror", f"{type(exc).__name__}: {exc}"
        return sig
    try:
        ok = d.verify(idx=idx, dnsfunc=fetch)
    except dkim.ValidationError as exc:   # "body hash mismatch (got ..., expected ...)"
        ok, log.errors = False, [str(exc).split(" (got ", 1)[0]]
    except dkim.DKIMException as exc:
        sig.result, sig.reason = "permerror", str(exc)
        return sig
    except Exception as exc:
        sig.result, sig.reason = "permerror", f"{type(exc).__name__}: {exc}"
        return sig
    if ok:
        sig.result = "pass"
    elif fetch.temporary:
        sig.result, sig.reason = "temperror", f"key lookup failed: {fetch.temporary}"
    elif fetch.missing:
        sig.result, sig.reason = "permerror", fetch.missing
    elif any("key" in e.lower() for e in log.errors):
        sig.result, sig.reason = "permerror", log.errors[-1]
    else:
        sig.reason = log.errors[-1] if log.errors else "signature did not verify"
    return sig


def summarize(signatures: list[DKIMSignature]) -> str:
    """One word for all signatures: any pass wins, then fail, temperror, permerror."""
    results = {s.result for s in signatures}
    for word in ("pass", "fail", "temperror", "permerror"):
        if word in results:
            return word
    return "none"


def verify_arc(raw: bytes, resolver: dnsresolver.Resolver, timeout: float,
               fields: Fields | None = None) -> tuple[str, str]:
    """(result, reason) for the ARC chain; ``none`` when the message carries no ARC set.
    ``fields`` as for :func:`verify_signatures`."""
    headers = fields if fields is not None else header_fields(raw)
    if headers is None:
        return "none", "message cannot be parsed"
    seals = sum(1 for k, _v in headers if k.lower() == b"arc-seal")
    if not seals:
        return "none", ""
    if seals > MAX_ARC_SETS:
        return "fail", f"{seals} ARC sets, more than the {MAX_ARC_SETS} a chain may have"
    fetch = _KeyFetcher(resolver)
    try:
        cv, _results, reason = dkim.ARC(raw, logger=_Log(), minkey=1024,
                                        timeout=timeout).verify(dnsfunc=fetch)
    except Exception as exc:
        cv, reason = dkim.CV_Fail, f"{type(exc).__name__}: {exc}"
    if fetch.temporary and cv != dkim.CV_Pass:
        return "temperror", f"key lookup failed: {fetch.temporary}"
    if cv is None:
        return "fail", str(reason)
    word = cv.decode("ascii") if isinstance(cv, bytes) else str(cv)
    return word, "" if word == "pass" else str(reason)
