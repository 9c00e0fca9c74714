"""The capture addresses as the helpdesk knows them: one per enabled item type, plus the
support address customers see (``outbound.from_address``) when it is on the box's own domain.

That address is in the From of every mail the box sends, so customers answer it and write to
it; on the box's domain only this box can receive it, so it is an alias of the ticket type
(the first enabled type when tickets are off) instead of a 550 5.1.1."""
from __future__ import annotations

from pathlib import Path

from peewee import fn

from appliance import captures
from appliance.helpdesk.forwardconfirm import GMAIL_SENDER
from appliance.helpdesk.models import IncomingMail, ItemType
from appliance.helpdesk.settingstore import value as setting


def support_alias(domain: str) -> str | None:
    """``outbound.from_address`` when the box itself must receive it, else None."""
    address = setting("outbound.from_address", domain).strip().lower()
    return address if address.endswith(f"@{domain.lower()}") else None


def capture_types(domain: str) -> dict[str, ItemType]:
    """Every address the box accepts mail for, with the item type it creates."""
    enabled = list(ItemType.select().where(ItemType.enabled == True)  # noqa: E712
                   .order_by(ItemType.id))
    types = {f"{t.capture_local}@{domain}".lower(): t for t in enabled}
    alias = support_alias(domain)
    if alias and alias not in types and enabled:
        types[alias] = next((t for t in enabled if t.name == "ticket"), enabled[0])
    return types


def export(domain: str, data_dir: str | Path) -> dict[str, str]:
    """Share the addresses with the MTA (which never reads the database); returns them."""
    mapping = {address: t.name for address, t in capture_types(domain).items()}
    captures.export(data_dir, mapping)
    return mapping


def forwarding_confirmations(limit: int = 5) -> list[dict]:
    """Gmail's requests to confirm forwarding to the box, newest first, as long as the
    incoming log keeps them (intake ignored them: helpdesk/forwardconfirm.py)."""
    rows = (IncomingMail.select().where(IncomingMail.action == "ignored",
                                        fn.LOWER(IncomingMail.from_email) == GMAIL_SENDER)
            .order_by(IncomingMail.id.desc()).limit(50))
    found = []
    for row in rows:
        asked = (row.decision or {}).get("forwarding_confirmation")
        if not asked:
            continue
        auth = row.auth or {}
        found.append({**asked, "incoming_id": row.id, "received_at": row.received_at,
                      "to": list(row.rcpt_tos or []),
                      # anyone can write this From: only a google.com signature vouches
                      "verified": "pass" in (auth.get("dmarc"), auth.get("dkim"))})
    return found[:limit]
