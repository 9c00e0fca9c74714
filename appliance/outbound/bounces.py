"""Bounce reports for mail the box sent: intake finds one (a DSN naming our Message-ID)
and marks the recipients it names bounced, so the outgoing log shows it even when the
receiving server had first said 250."""
from __future__ import annotations

from appliance import clock
from appliance.helpdesk.models import db
from appliance.outbound import queue
from appliance.outbound.models import OutgoingMail
from appliance.statuses import FINISHED, OutgoingStatus


def _id_forms(message_id: str) -> set[str]:
    bare = message_id.strip().strip("<>").strip()
    return {bare, f"<{bare}>"} if bare else set()


def mark_bounced(message_ids: list[str], recipients: list[str], detail: str) -> int:
    """A bounce report arrived for our messages ``message_ids``: their named recipients
    (all of them when none is named, or none of the named ones is theirs) become bounced.
    Returns how many messages changed."""
    forms = set().union(*(_id_forms(m) for m in message_ids if m)) if message_ids else set()
    if not forms:
        return 0
    named = {r.strip().lower() for r in recipients if r and r.strip()}
    changed = 0
    now = clock.now()
    with db.atomic():
        for mail in OutgoingMail.select().where(OutgoingMail.message_id.in_(sorted(forms))):
            rows = list(mail.recipients)
            hit = [r for r in rows if r.email.lower() in named] or rows
            for rcpt in hit:
                rcpt.status, rcpt.reply = OutgoingStatus.BOUNCED, detail[:2000]
                rcpt.updated_at = now
                rcpt.save()
                queue.event(mail, OutgoingStatus.BOUNCED,
                            f"{rcpt.email}: bounce report received: {detail}")
            mail.status = queue.overall_status([r.status for r in rows])
            if mail.status in FINISHED:
                mail.finished_at = mail.finished_at or now
                mail.next_attempt_at = None
            mail.save()
            changed += 1
    return changed
