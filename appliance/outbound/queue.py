"""The outgoing queue: signed messages stored in the database with their recipients and
events.  Enqueueing happens inside the caller's transaction, so a posted message and the
mail that carries it commit together, and nothing committed is lost on a crash.  Finished
mail leaves the queue after ``retention.hours`` (:func:`purge_finished`)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from appliance import clock
from appliance.helpdesk import settingstore, statements
from appliance.helpdesk.models import Item, Message, db
from appliance.outbound.models import OutgoingEvent, OutgoingMail, OutgoingRecipient
from appliance.statuses import FINISHED, UNFINISHED, OutgoingStatus

log = logging.getLogger("appliance.outbox")


def event(mail: OutgoingMail, name: str, detail: str = "") -> None:
    statements.insert(OutgoingEvent, mail=mail, at=clock.now(), event=name,
                      detail=detail[:2000])


def enqueue(signed: bytes, *, mail_from: str, recipients: list[str], subject: str,
            message_id: str, kind: str, item: Item | None = None,
            conversation_message: Message | None = None,
            signed_detail: str = "") -> OutgoingMail:
    """Queue ``signed`` (final bytes, DKIM signature included) for ``recipients``."""
    now = clock.now()
    mail = statements.insert(OutgoingMail, created_at=now, kind=kind, item=item,
                             conversation_message=conversation_message, subject=subject,
                             message_id=message_id, mail_from=mail_from, raw=signed,
                             status=OutgoingStatus.QUEUED, next_attempt_at=now)
    OutgoingRecipient.insert_many(
        [(mail.id, email, OutgoingStatus.QUEUED, now) for email in recipients],
        fields=[OutgoingRecipient.mail, OutgoingRecipient.email, OutgoingRecipient.status,
                OutgoingRecipient.updated_at]).execute()
    events = [(mail.id, now, OutgoingStatus.QUEUED, f"{kind} to {', '.join(recipients)}"[:2000])]
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
    mail = statements.insert(OutgoingMail, created_at=now, kind=kind, item=item,
                             subject=subject, message_id=message_id, mail_from=mail_from,
                             raw=b"", status=OutgoingStatus.SUPPRESSED, finished_at=now)
    for email in recipients:
        statements.insert(OutgoingRecipient, mail=mail, email=email,
                          status=OutgoingStatus.SUPPRESSED, reply=reason[:2000],
                          updated_at=now)
    event(mail, OutgoingStatus.SUPPRESSED, reason)
    log.info("suppressed outgoing=%s kind=%s item=%s to=%s: %s", mail.id, kind,
             item.id if item else "-", ",".join(recipients), reason)
    return mail


def overall_status(statuses: list[str]) -> OutgoingStatus:
    """One status for a message from its recipients' statuses."""
    if OutgoingStatus.QUEUED in statuses and OutgoingStatus.DEFERRED not in statuses:
        return OutgoingStatus.QUEUED
    if any(s in UNFINISHED for s in statuses):
        return OutgoingStatus.DEFERRED
    if statuses and all(s == OutgoingStatus.DELIVERED for s in statuses):
        return OutgoingStatus.DELIVERED
    if OutgoingStatus.BOUNCED in statuses:
        return OutgoingStatus.BOUNCED
    return OutgoingStatus.FAILED


def retry_now(mail_id: int, by: str, now: datetime | None = None) -> bool:
    """Make a deferred message due at once (the panel's "Retry now"): the queue runner
    takes it on its next round, within a second, instead of after the backoff.  Never a
    message a delivery run holds (its lease): that attempt is under way and its outcome is
    recorded as usual.  False when there is nothing to bring forward."""
    now = (now or clock.now()).replace(microsecond=0)   # stored times have whole seconds
    waiting = ((OutgoingMail.id == mail_id) & (OutgoingMail.status == OutgoingStatus.DEFERRED)
               & (OutgoingMail.next_attempt_at > now)
               & (OutgoingMail.leased_until.is_null()
                  | (OutgoingMail.leased_until != OutgoingMail.next_attempt_at)))
    with db.atomic():
        if not OutgoingMail.update(next_attempt_at=now).where(waiting).execute():
            return False
        OutgoingEvent.create(mail=mail_id, at=clock.now(), event="retry",
                             detail=f"Retry now, asked by {by}"[:2000])
    log.info("outgoing=%s due now: retry asked by %s", mail_id, by)
    return True


def purge_finished(now: datetime | None = None, hours: int | None = None) -> int:
    """Remove finished messages older than ``hours`` (``retention.hours``); never an
    unfinished one."""
    now = now or clock.now()
    if hours is None:
        hours = settingstore.value("retention.hours", "")
    cutoff = now - timedelta(hours=hours)
    old = (OutgoingMail.status.in_(FINISHED) & OutgoingMail.finished_at.is_null(False)
           & (OutgoingMail.finished_at < cutoff))
    with db.atomic():
        ids = [m.id for m in OutgoingMail.select(OutgoingMail.id).where(old)]
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            OutgoingEvent.delete().where(OutgoingEvent.mail.in_(part)).execute()
            OutgoingRecipient.delete().where(OutgoingRecipient.mail.in_(part)).execute()
            OutgoingMail.delete().where(OutgoingMail.id.in_(part)).execute()
    return len(ids)
