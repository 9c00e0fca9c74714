"""Who may send to whom: the RCPT policy.  Pure functions, no I/O, so the SMTP edge and
``appliance ingest`` apply exactly the same rules.

Accepted: the capture addresses of the box's domain, and its postmaster (RFC 5321 4.5.1:
``postmaster@DOMAIN``, local part in any case, and the bare ``<Postmaster>``), which the
worker hands to the admins.  Nothing of any other domain: never a relay."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Replies, one place.  Enhanced status codes per RFC 3463.
UNKNOWN_USER = "550 5.1.1 No such mailbox here: mail for {domain} goes to {captures}"
RELAY_DENIED = "550 5.7.1 Relaying denied: this server only accepts mail for {domain}"
BAD_ADDRESS = "553 5.1.3 Address not accepted: {why}"
TOO_MANY_RCPTS = "452 4.5.3 Too many recipients"
OK = "250 2.1.5 Recipient ok"

POSTMASTER = "postmaster"
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$&'*+/=?^_`{|}~.-]+$")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reply: str
    address: str = ""      # the normalised capture (or postmaster) address on success
    permanent: bool = True


def check_syntax(raw: str) -> str | None:
    """Why ``raw`` (the text inside <>) is refused, or None when it is a plain address.
    Refuses the tricks that turn a receiving server into a relay: source routes,
    ``%`` and ``!`` routing, quoted local parts hiding an ``@``, two ``@``."""
    addr = raw.strip()
    if addr.startswith("<") and addr.endswith(">"):
        addr = addr[1:-1].strip()
    if addr.lower() == POSTMASTER:
        return None   # the bare <Postmaster> of RFC 5321 4.5.1
    if addr.startswith("@"):
        return "source routes are not accepted"
    if addr.startswith('"'):
        end = addr.find('"', 1)
        local = addr[1:end] if end > 0 else addr[1:]
        if "@" in local:
            return "a quoted local part may not contain @"
        return "quoted local parts are not accepted"
    if addr.count("@") != 1:
        return "an address has exactly one @"
    local, domain = addr.split("@")
    if "%" in local or "!" in local:
        return "% and ! routing are not accepted"
    if not local or not domain or not _DOT_ATOM.match(local):
        return "malformed address"
    if not re.match(r"^[A-Za-z0-9.-]+$", domain) and not domain.startswith("["):
        return "malformed domain"
    return None


def postmaster_address(domain: str) -> str:
    """The box's postmaster, as the envelope records it (also for a bare ``<Postmaster>``)."""
    return f"{POSTMASTER}@{domain.lower().rstrip('.')}"


def is_postmaster(address: str, domain: str) -> bool:
    """Whether an envelope recipient is the box's postmaster."""
    address = address.strip().strip("<>").strip().lower()
    return address == POSTMASTER or address == postmaster_address(domain)


def check_recipient(raw: str, domain: str, captures: set[str], count_so_far: int,
                    max_recipients: int) -> Verdict:
    """The verdict on one RCPT TO argument."""
    if count_so_far >= max_recipients:
        return Verdict(False, TOO_MANY_RCPTS, permanent=False)
    why = check_syntax(raw)
    if why:
        return Verdict(False, BAD_ADDRESS.format(why=why))
    addr = raw.strip().strip("<>").strip()
    if addr.lower() == POSTMASTER:
        return Verdict(True, OK, postmaster_address(domain))
    local, rcpt_domain = addr.rsplit("@", 1)
    rcpt_domain = rcpt_domain.lower().rstrip(".")
    if rcpt_domain != domain.lower():
        return Verdict(False, RELAY_DENIED.format(domain=domain))
    address = f"{local.lower()}@{rcpt_domain}"
    if address not in captures and local.lower() != POSTMASTER:
        return Verdict(False, UNKNOWN_USER.format(
            domain=domain, captures=", ".join(sorted(captures)) or "no address"))
    return Verdict(True, OK, address)
