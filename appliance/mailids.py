"""The appliance's own markers on mail it sends: Message-IDs and the loop header.

Threading recognises our Message-IDs; classification recognises both when our mail comes back.
"""
from __future__ import annotations

import re
import secrets

LOOP_HEADER = "X-Appliance-Loop"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*?)\r?$", re.I | re.M)
_OWN = re.compile(r"<?appl\.([0-9a-z]+)\.([0-9a-z_-]{16,})@([^>\s]+)>?", re.I)


def make_message_id(domain: str, item_id: int | None = None) -> str:
    """A Message-ID nobody can guess: 128 random bits, the item id only as a hint."""
    hint = format(item_id, "x") if item_id else "0"
    return f"<appl.{hint}.{secrets.token_urlsafe(16).lower()}@{domain}>"


def is_own_message_id(message_id: str | None, domain: str | None = None) -> bool:
    if not message_id:
        return False
    match = _OWN.search(message_id)
    if not match:
        return False
    return domain is None or match.group(3).lower() == domain.lower()


def loop_marker(domain: str) -> str:
    """The value of our loop header: names the box so a copy coming back is recognised."""
    return domain.lower()


def header_message_id(data: bytes) -> str:
    """The Message-ID of raw message bytes, for log lines (no parsing of the message)."""
    head = data[:65536].split(b"\r\n\r\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    return match.group(1).decode("ascii", "replace").strip() if match else ""
