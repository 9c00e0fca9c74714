"""Auto-reply protection: automated mail never goes to mailboxes that are not people, to
addresses that bounced recently, or more often than the hourly limits allow.  What it keeps
back is in the outgoing log as ``suppressed`` with the reason (``Mailer.suppress``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from appliance.addresses import is_noreply
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.statuses import OutgoingStatus

AUTOMATED_KINDS = ("auto_reply", "automated", "relay_automated")
BOUNCE_MEMORY = timedelta(days=7)


def not_a_person(email: str) -> bool:
    return is_noreply(email)


def refusal(email: str, item_id: int | None, now: datetime, per_address: int,
            per_item: int) -> str | None:
    """Why automated mail to ``email`` must not go out now, or None when it may."""
    if not_a_person(email):
        return f"{email} is a mailbox that is not a person (noreply-style)"
    recent = now - BOUNCE_MEMORY
    bounced = (OutgoingRecipient.select().join(OutgoingMail)
               .where(OutgoingRecipient.email == email,
                      OutgoingRecipient.status == OutgoingStatus.BOUNCED,
                      OutgoingMail.created_at >= recent).exists())
    if bounced:
        return f"mail to {email} bounced within the last 7 days"
    hour = now - timedelta(hours=1)
    # what was kept back (suppressed) is not counted: only mail that went out
    automated = (OutgoingRecipient.select().join(OutgoingMail)
                 .where(OutgoingMail.kind.in_(AUTOMATED_KINDS), OutgoingMail.created_at >= hour,
                        OutgoingMail.status != OutgoingStatus.SUPPRESSED))
    if automated.where(OutgoingRecipient.email == email).count() >= per_address:
        return (f"{email} already got {per_address} automated emails within the hour "
                f"(automations.max_per_address_hour)")
    if item_id is not None and automated.where(OutgoingMail.item == item_id).count() >= per_item:
        return (f"item #{item_id} already caused {per_item} automated emails within the hour "
                f"(automations.max_per_item_hour)")
    return None


def refusal_by(mailer, email: str, item_id: int | None, now: datetime) -> str | None:
    """:func:`refusal` with the hourly limits as the mailer's settings stand."""
    return refusal(email, item_id, now,
                   mailer.setting("automations.max_per_address_hour"),
                   mailer.setting("automations.max_per_item_hour"))
