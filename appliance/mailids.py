"""The appliance's own markers on mail it sends: Message-IDs and the loop header.

Threading recognises our Message-IDs; classification recognises both when our mail comes back.
A Message-ID also says who the mail is for: ``appl.staff.`` marks mail meant for agents and
admins only (new-item notices, due soon, SLA, assigned to you, relays of internal notes).
The mark lives in the Message-ID itself, so a reply is recognised as one to staff-only mail
however long ago it was sent (the outgoing log forgets after ``retention.hours``).  A forged
mark can only make a message more private (an internal note), never less.
"""
from __future__ import annotations

import re
import secrets

LOOP_HEADER = "X-Appliance-Loop"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)\r?$", re.I | re.M)
_OWN = re.compile(r"<?appl\.(?:(staff)\.)?([0-9a-z]+)\.([0-9a-z_-]{16,})@([^>\s]+)>?", re.I)

STAFF, CUSTOMER = "staff", "customer"   # who a mail the box sends is meant for


def make_message_id(domain: str, item_id: int | None = None, audience: str = CUSTOMER
                    ) -> str:
    """A Message-ID nobody can guess: 128 random bits, the item id only as a hint, and
    ``staff.`` in front when the mail is for agents and admins only."""
    hint = format(item_id, "x") if item_id else "0"
    mark = "staff." if audience == STAFF else ""
    return f"<appl.{mark}{hint}.{secrets.token_urlsafe(16).lower()}@{domain}>"


def is_own_message_id(message_id: str | None, domain: str | None = None) -> bool:
    if not message_id:
        return False
    match = _OWN.search(message_id)
    if not match:
        return False
    return domain is None or match.group(4).lower() == domain.lower()


def audience(message_id: str | None, domain: str | None = None) -> str | None:
    """``staff`` or ``customer`` for one of our Message-IDs; None for anyone else's."""
    if not is_own_message_id(message_id, domain):
        return None
    return STAFF if _OWN.search(message_id).group(1) else CUSTOMER


def is_staff_message_id(message_id: str | None, domain: str | None = None) -> bool:
    return audience(message_id, domain) == STAFF


def loop_marker(domain: str) -> str:
    """The value of our loop header: names the box so a copy coming back is recognised."""
    return domain.lower()


def header_message_id(data: bytes) -> str:
    """The Message-ID of raw message bytes, for log lines (no parsing of the message)."""
    head = data[:65536].split(b"\r\n\r\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    return match.group(1).decode("ascii", "replace").strip() if match else ""
