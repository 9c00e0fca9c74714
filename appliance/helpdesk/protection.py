"""Auto-reply protection: automated mail never goes to mailboxes that are not people, to
addresses that bounced recently, or more often than the hourly limits allow.  What it keeps
back is in the outgoing log as ``suppressed`` with the reason (``Mailer.suppress``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from appliance import clock
from appliance.addresses import is_noreply
from appliance.helpdesk import statements
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
    hour = clock.iso(now - timedelta(hours=1))
    sent = (*AUTOMATED_KINDS, hour, str(OutgoingStatus.SUPPRESSED))
    bounced, to_address, for_item = _COUNTS.run((
        email, str(OutgoingStatus.BOUNCED), clock.iso(now - BOUNCE_MEMORY),
        *sent, email, *sent, item_id)).fetchone()
    if bounced:
        return f"mail to {email} bounced within the last 7 days"
    if to_address >= per_address:
        return (f"{email} already got {per_address} automated emails within the hour "
                f"(automations.max_per_address_hour)")
    if item_id is not None and for_item >= per_item:
        return (f"item #{item_id} already caused {per_item} automated emails within the hour "
                f"(automations.max_per_item_hour)")
    return None


def _counts(p: str) -> str:
    """One statement for the three questions (it runs for every automated email): a
    bounce of ``email`` within :data:`BOUNCE_MEMORY`; automated mail that went out (what
    was kept back is not counted) within the hour, to ``email`` and for the item."""
    kinds = ", ".join([p] * len(AUTOMATED_KINDS))
    joined = (f'"{OutgoingRecipient._meta.table_name}" r JOIN '
              f'"{OutgoingMail._meta.table_name}" m ON r."mail_id" = m."id"')
    sent = (f'FROM {joined} '
            f'WHERE m."kind" IN ({kinds}) AND m."created_at" >= {p} AND m."status" <> {p}')
    return (f'SELECT EXISTS(SELECT 1 FROM {joined} WHERE r."email" = {p} '
            f'AND r."status" = {p} AND m."created_at" >= {p}), '
            f'(SELECT COUNT(*) FROM (SELECT 1 {sent} AND r."email" = {p}) a), '
            f'(SELECT COUNT(*) FROM (SELECT 1 {sent} AND m."item_id" = {p}) i)')


_COUNTS = statements.Statement(_counts)


def refusal_by(mailer, email: str, item_id: int | None, now: datetime) -> str | None:
    """:func:`refusal` with the hourly limits as the mailer's settings stand."""
    return refusal(email, item_id, now,
                   mailer.setting("automations.max_per_address_hour"),
                   mailer.setting("automations.max_per_item_hour"))
