"""The DNS page: the records of ``appliance dkim dns`` and whether each is published,
asked through the box's configured resolver."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from appliance import dnsresolver, resolving
from appliance.outbound.sign import Record, configured_records


def records(cfg) -> list[Record]:
    """The same records, from the same settings, as ``appliance dkim dns``."""
    return configured_records(cfg)


def _norm(value: str) -> str:
    return " ".join(value.replace('" "', "").replace('"', "").split()).rstrip(".").lower()


def check(resolver, record: Record) -> tuple[str, str]:
    """(state, what was found): published | different | missing | error."""
    try:
        if record.type == "TXT":
            found = resolver.txt(record.name)
            if record.value.startswith(("v=spf1", "v=DMARC1")):
                prefix = record.value.split(None, 1)[0].rstrip(";").lower()
                found = [f for f in found if f.lower().startswith(prefix)]
        elif record.type == "MX":
            found = [f"{pref} {host}" for pref, host in resolver.mx(record.name)]
        elif record.type in ("A", "AAAA", "PTR"):
            found = getattr(resolver, record.type.lower())(record.name)
        else:
            return "error", f"cannot check {record.type} records"
    except dnsresolver.PermanentDNSError:
        return "missing", "not found"
    except dnsresolver.DNSError as exc:
        return "error", f"DNS did not answer: {exc}"
    if not found:
        return "missing", "not found"
    if record.type == "MX":
        host = record.value.split()[1].rstrip(".").lower()
        same = any(f.split()[1].rstrip(".").lower() == host for f in found)
    else:
        same = any(_norm(f) == _norm(record.value) for f in found)
    return ("published" if same else "different"), "; ".join(found)


def checked_records(cfg) -> list[dict]:
    resolver = resolving.configure(cfg)
    wanted = records(cfg)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda r: check(resolver, r), wanted))
    return [{**r.as_dict(), "state": state, "found": found}
            for r, (state, found) in zip(wanted, results)]
