"""The outgoing queue: signed messages stored in the database with their recipients and
events.  Enqueueing happens inside the caller's transaction, so a posted message and the
mail that carries it commit together, and nothing committed is lost on a crash."""
from __future__ import annotations

import logging

from appliance import clock
from appliance.helpdesk.models import (Item, Message, OutgoingEvent, OutgoingMail,
                                       OutgoingRecipient)

log = logging.getLogger("appliance.outbox")

UNFINISHED = ("queued", "deferred")
# suppressed: automated mail the box chose not to send (auto-reply protection: a rate
# limit, a no-reply address, a recent bounce); kept in the log with the reason, never sent
FINISHED = ("delivered", "bounced", "failed", "suppressed")
STATUSES = UNFINISHED + FINISHED


def event(mail: OutgoingMail, name: str, detail: str = "") -> None:
    OutgoingEvent.create(mail=mail, at=clock.now(), event=name, detail=detail[:2000])


def enqueue(signed: bytes, *, mail_from: str, recipients: list[str], subject: str,
            message_id: str, kind: str, item: Item | None = None,
            conversation_message: Message | None = None,
            signed_detail: str = "") -> OutgoingMail:
    """Queue ``signed`` (final bytes, DKIM signature included) for ``recipients``."""
    now = clock.now()
    mail = OutgoingMail.create(created_at=now, kind=kind, item=item,
                               conversation_message=conversation_message, subject=subject,
                               message_id=message_id, mail_from=mail_from, raw=signed,
                               status="queued", next_attempt_at=now)
    OutgoingRecipient.insert_many(
        [(mail.id, email, "queued", now) for email in recipients],
        fields=[OutgoingRecipient.mail, OutgoingRecipient.email, OutgoingRecipient.status,
                OutgoingRecipient.updated_at]).execute()
    events = [(mail.id, now, "queued", f"{kind} to {', '.join(recipients)}"[:2000])]
    if signed_detail:
        events.append((mail.id, now, "signed", signed_detail[:2000]))
    OutgoingEvent.insert_many(events, fields=[OutgoingEvent.mail, OutgoingEvent.at,
                                              OutgoingEvent.event, OutgoingEvent.detail]
                              ).execute()
    log.info("queued outgoing=%s message-id=%s kind=%s item=%s to=%s", mail.id, message_id,
             kind, item.id if item else "-", ",".join(recipients))
    return mail


def suppress(*, mail_from: str, recipients: list[str], subject: str, message_id: str,
             kind: str, reason: str, item: Item | None = None) -> OutgoingMail:
    """Record automated mail that is not sent, and why, in the outgoing log (in the
    caller's transaction): status ``suppressed``, no message body, nothing to deliver."""
    now = clock.now()
    mail = OutgoingMail.create(created_at=now, kind=kind, item=item, subject=subject,
                               message_id=message_id, mail_from=mail_from, raw=b"",
                               status="suppressed", finished_at=now)
    for email in recipients:
        OutgoingRecipient.create(mail=mail, email=email, status="suppressed",
                                 reply=reason[:2000], updated_at=now)
    event(mail, "suppressed", reason)
    log.info("suppressed outgoing=%s kind=%s item=%s to=%s: %s", mail.id, kind,
             item.id if item else "-", ",".join(recipients), reason)
    return mail


def overall_status(statuses: list[str]) -> str:
    """One status for a message from its recipients' statuses."""
    if any(s == "queued" for s in statuses) and not any(s == "deferred" for s in statuses):
        return "queued"
    if any(s in UNFINISHED for s in statuses):
        return "deferred"
    if statuses and all(s == "delivered" for s in statuses):
        return "delivered"
    if any(s == "bounced" for s in statuses):
        return "bounced"
    return "failed"
