"""The queue runner: take the outgoing mail that is due, send it through the transport
(:mod:`appliance.outbound.transport`), record what happened, schedule the retry.

``deliver_due`` claims due rows with one conditional UPDATE (their ``next_attempt_at`` moves
a lease ahead), so two workers never send the same message, and a run that is killed leaves
nothing behind: its rows become due again when the lease ends.  Recipients are grouped by
destination; each destination gets one connection that carries all its messages.  Each
message's outcome is committed in its own transaction right after its SMTP transaction.

Retries follow ``outbound.retry_intervals`` (after attempt n wait interval n, the last one
repeating); past ``outbound.max_lifetime_hours`` the recipients still open are ``failed``.
A run reads its settings once (:class:`OutboundSettings`).
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict
from datetime import datetime, timedelta

from appliance import clock, dnsresolver
from appliance.config import Config
from appliance.helpdesk.models import db
from appliance.outbound import queue, transport
from appliance.outbound.models import OutgoingEvent, OutgoingMail, OutgoingRecipient
from appliance.outbound.settings import OutboundSettings
from appliance.statuses import UNFINISHED, OutgoingStatus

log = logging.getLogger("appliance.delivery")

LEASE = timedelta(minutes=15)   # a claimed row is someone's for this long
BATCH = 200                     # messages claimed per run
# what a run counts (a run never suppresses or queues)
OUTCOMES = (OutgoingStatus.DELIVERED, OutgoingStatus.DEFERRED, OutgoingStatus.BOUNCED,
            OutgoingStatus.FAILED)


def retry_delay(attempts: int, intervals: list[int]) -> int:
    """Seconds to wait after attempt number ``attempts`` (1 = the first attempt)."""
    values = intervals or [300]
    return values[min(max(attempts, 1), len(values)) - 1]


def claim(now: datetime, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due messages for this run; returns their ids."""
    due = ((OutgoingMail.status.in_(UNFINISHED))
           & (OutgoingMail.next_attempt_at <= now))
    sub = (OutgoingMail.select(OutgoingMail.id).where(due)
           .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit))
    query = (OutgoingMail.update(next_attempt_at=now + LEASE, leased_until=now + LEASE)
             .where(OutgoingMail.id.in_(sub) & due)
             .returning(OutgoingMail.id))
    return sorted(row.id for row in query.execute())


_resolvers: dict = {}


def _resolver_for(cfg: Config, settings: OutboundSettings) -> dnsresolver.Resolver:
    """The resolver the ini names: a table file (read afresh each run) or real DNS."""
    from appliance import resolving
    if settings.dns_table:
        return dnsresolver.TableResolver.from_file(settings.dns_table)
    if cfg.path not in _resolvers:
        _resolvers[cfg.path] = resolving.configure(cfg)
    return _resolvers[cfg.path]


def deliver_due(cfg: Config, now: datetime | None = None,
                resolver: dnsresolver.Resolver | None = None,
                rng: random.Random | None = None) -> dict:
    """One delivery run over what is due at ``now``; returns counts per outcome."""
    now = (now or clock.now()).replace(microsecond=0)   # stored times have whole seconds
    counts = {"messages": 0, "connections": 0, **dict.fromkeys(OUTCOMES, 0)}
    ids = claim(now)
    if not ids:
        return counts
    counts["messages"] = len(ids)
    settings = OutboundSettings.load(cfg)
    lease_end = now + LEASE
    # destination key -> [(mail id, [recipient emails])]; what each mail still waits for
    groups: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    waiting: dict[int, int] = {}
    for mail_id in ids:
        open_rcpts = [r.email for r in OutgoingRecipient.select().where(
            (OutgoingRecipient.mail == mail_id)
            & OutgoingRecipient.status.in_(UNFINISHED)).order_by(OutgoingRecipient.id)]
        by_dest: dict[str, list[str]] = defaultdict(list)
        for email in open_rcpts:
            by_dest[transport.destination_key(settings, email)].append(email)
        waiting[mail_id] = len(by_dest)
        for key, emails in by_dest.items():
            groups[key].append((mail_id, emails))
        if not by_dest:
            _finish(mail_id, now, lease_end, settings, counts)
    resolver = resolver or (_resolver_for(cfg, settings) if settings.mode == "direct"
                            else dnsresolver.get_resolver())
    for key, work in groups.items():
        dest = transport.resolve(settings, key, resolver, rng)
        with transport.session_for(settings, dest) as session:
            for mail_id, emails in work:
                mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id)
                if mail is None:   # deleted meanwhile
                    continue
                outcomes, summary = _attempt(session, mail, emails)
                waiting[mail_id] -= 1
                final = waiting[mail_id] == 0
                _record(mail_id, outcomes, summary, now, lease_end, settings, counts, final)
            counts["connections"] += session.connections
    return counts


def _attempt(session: transport.Session, mail: OutgoingMail, emails: list[str]
             ) -> tuple[dict[str, transport.Outcome], str]:
    try:
        outcomes = session.send(mail.mail_from, emails, bytes(mail.raw))
    except Exception as exc:   # never let one message stop the run (and its lease)
        if not isinstance(exc, transport.DeliveryError):
            log.exception("delivery of outgoing mail %s failed unexpectedly", mail.id)
            session.close()
            exc = transport.DeliveryError(f"internal error: {type(exc).__name__}: {exc}")
        status = OutgoingStatus.BOUNCED if exc.permanent else OutgoingStatus.DEFERRED
        remote = exc.remote or session.remote
        outcomes = {e: transport.Outcome(status, remote, exc.reason) for e in emails}
        return outcomes, f"{remote or session.dest.key}: {exc.reason}"
    replies = sorted({o.reply for o in outcomes.values()})
    remote = next((o.remote for o in outcomes.values() if o.remote), session.remote)
    tls = f" ({session.tls})" if session.tls else ""
    return outcomes, f"{remote}{tls}: {' | '.join(replies)}"


# what a delivery run reads and writes of a queued message: never its raw bytes again
STATE_FIELDS = (OutgoingMail.attempts, OutgoingMail.status, OutgoingMail.next_attempt_at,
                OutgoingMail.finished_at, OutgoingMail.leased_until)


def _state(mail_id: int) -> OutgoingMail | None:
    return (OutgoingMail.select(OutgoingMail.id, OutgoingMail.message_id,
                                OutgoingMail.created_at, *STATE_FIELDS)
            .where(OutgoingMail.id == mail_id).first())


def _record(mail_id: int, outcomes: dict[str, transport.Outcome], summary: str,
            now: datetime, lease_end: datetime, settings: OutboundSettings, counts: dict,
            final: bool) -> None:
    """Commit one message's outcome at one destination (and its new state when final):
    the message and its recipients read once, the events written in one statement."""
    with db.atomic():
        mail = _state(mail_id)
        if mail is None or mail.next_attempt_at != lease_end:
            return   # gone, or no longer ours (our lease ran out and another run took it)
        at = clock.now()
        events = [(mail.id, at, "attempt", summary[:2000])]
        recipients = list(mail.recipients)
        for rcpt in recipients:
            outcome = outcomes.get(rcpt.email)
            if outcome is None:
                continue
            rcpt.status, rcpt.remote, rcpt.reply = outcome.status, outcome.remote, outcome.reply
            rcpt.updated_at = at
            rcpt.save()
            events.append((mail.id, at, outcome.status,
                           f"{rcpt.email}: {outcome.reply}"[:2000]))
            counts[outcome.status] += 1
            log.info("delivery outgoing=%s message-id=%s to=%s status=%s remote=%s reply=%r",
                     mail.id, mail.message_id, rcpt.email, outcome.status, outcome.remote,
                     outcome.reply)
        OutgoingEvent.insert_many(events, fields=[OutgoingEvent.mail, OutgoingEvent.at,
                                                  OutgoingEvent.event,
                                                  OutgoingEvent.detail]).execute()
        if final:
            _finish(mail_id, now, lease_end, settings, counts, mail, recipients)


def _finish(mail_id: int, now: datetime, lease_end: datetime, settings: OutboundSettings,
            counts: dict, mail: OutgoingMail | None = None,
            recipients: list[OutgoingRecipient] | None = None) -> None:
    """The message's new state once every destination had its turn (``mail`` and its
    ``recipients``: as :func:`_record` has them, inside its transaction)."""
    with db.atomic():
        if mail is None:
            mail = _state(mail_id)
            if mail is None or mail.next_attempt_at != lease_end:
                return
            recipients = list(mail.recipients)
        mail.attempts += 1
        mail.leased_until = None   # the run is done with it
        lifetime = timedelta(hours=settings.max_lifetime_hours)
        if now >= mail.created_at + lifetime:
            for rcpt in recipients:
                if rcpt.status in UNFINISHED:
                    rcpt.status, rcpt.updated_at = OutgoingStatus.FAILED, clock.now()
                    rcpt.save()
                    counts[OutgoingStatus.FAILED] += 1
                    queue.event(mail, OutgoingStatus.FAILED, f"{rcpt.email}: gave up after "
                                f"{settings.max_lifetime_hours} hours; last reply: "
                                f"{rcpt.reply or 'none'}")
        mail.status = queue.overall_status([r.status for r in recipients])
        if mail.status in UNFINISHED:
            delay = retry_delay(mail.attempts, settings.retry_intervals)
            mail.next_attempt_at = now + timedelta(seconds=delay)
        else:
            mail.next_attempt_at = None
            mail.finished_at = now
        mail.save(only=STATE_FIELDS)
