"""Intake: one spool entry in, one database transaction out (an item created, a message
appended, or the mail ignored), recorded in the incoming log with the reasons.

Idempotent by spool id (an entry already logged is not processed again) and by Message-ID
(one Message-ID makes at most one item), so a crash at any point followed by a restart
never loses or doubles a message.

Mail to the postmaster goes to the admins (:mod:`appliance.helpdesk.postmaster`), queued in
the same transaction; addressed to the postmaster alone it makes no item.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from appliance import clock
from appliance.addresses import parse_people
from appliance.helpdesk import (capture, classify, following, people, postmaster, relay,
                                threading)
from appliance.helpdesk.mailparse import Parsed, parse_message
from appliance.helpdesk.context import is_user
from appliance.helpdesk.models import (Attachment, Blocked, Event, IncomingMail, Item,
                                       ItemType, Message, MessageIdClaim, Person, Seen, User,
                                       db)
from appliance.mta.auth import AuthResults
from appliance.mta.deliverer import mark_bounced
from appliance.mta.spool import Entry
from appliance.helpdesk.settingstore import current as setting
from appliance.mta.policy import postmaster_address

if TYPE_CHECKING:
    from appliance.helpdesk.mailer import Mailer

log = logging.getLogger("appliance.intake")


@dataclass
class Outcome:
    action: str
    item: Item | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class IntakeContext:
    domain: str
    attachments_dir: Path
    types: dict[str, ItemType]          # capture address -> item type
    classify: classify.Context
    authenticate: Callable[[Entry], "AuthResults"] | None = None
    relay_delay: int = 60
    mailer: "Mailer | None" = None      # sends the postmaster's mail on to the admins


def load_context(domain: str, attachments_dir: Path) -> IntakeContext:
    """What intake needs from the database, read once per batch of entries."""
    types = capture.capture_types(domain)
    agents = frozenset(p.email.lower() for p in Person.select().join(User)
                       .where(User.active == True))  # noqa: E712
    company = setting("intake.company_addresses", domain)
    ctx = classify.Context(
        domain=domain,
        capture_addresses=frozenset(types),
        own_addresses=frozenset({setting("outbound.from_address", domain).lower(),
                                 postmaster_address(domain)}),
        company_addresses=frozenset(a for a in company.lower().split(",") if a),
        agents=agents,
        blocklist=tuple(b.pattern for b in Blocked.select()),
        agent_forwarding=setting("intake.agent_forwarding", domain) == "true",
    )
    return IntakeContext(domain, attachments_dir, types, ctx,
                         relay_delay=int(setting("relay.delay_seconds", domain)))


def store_attachment(root: Path, data: bytes) -> str:
    """Content-addressed and fsynced before the transaction that names it commits."""
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{digest[:2]}/{digest}"
    path = root / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return rel


def _item_type(ctx: IntakeContext, rcpt_tos: list[str]) -> ItemType | None:
    for rcpt in rcpt_tos:
        if rcpt.lower() in ctx.types:
            return ctx.types[rcpt.lower()]
    return None


def _add_message(item: Item, parsed: Parsed, author: Person | None, log_row: IncomingMail,
                 ctx: IntakeContext) -> Message:
    message = Message.create(item=item, author=author, body=parsed.text,
                             body_html=parsed.html, message_id=parsed.message_id,
                             incoming=log_row, created_at=clock.now())
    if author is not None:
        Seen.get_or_create(message=message, person=author)
    for part in parsed.attachments:
        rel = store_attachment(ctx.attachments_dir, part.data)
        Attachment.create(message=message, filename=part.filename[:255],
                          content_type=part.content_type[:255], size=len(part.data), path=rel)
    return message


def _announce(kind: str, item: Item, message: Message, parsed: Parsed,
              decision: classify.Decision, ctx: IntakeContext) -> None:
    """Tell automations (an event) and the relay (followers who did not get this mail
    themselves: the sender and the To/Cc people did)."""
    Event.create(kind=kind, item=item, message=message, at=clock.now(),
                 detail={"automated": decision.automated, "channel": "email"})
    got_it = {p.email.lower() for p in parse_people(parsed.message.get("To"),
                                                    parsed.message.get("Cc"))}
    relay.enqueue(message, ctx.relay_delay, got_it)


def _decide(entry: Entry, parsed: Parsed, decision: classify.Decision,
            sender: threading.Sender, ctx: IntakeContext, log_row: IncomingMail) -> Outcome:
    reasons = list(decision.reasons)
    known: dict[str, Person] = {}

    def person_row(person) -> Person:
        """people.get, once per address within this message."""
        key = person.email.lower()
        if key not in known:
            known[key] = people.get(person)
        return known[key]
    if parsed.message_id:
        claim = MessageIdClaim.get_or_none(MessageIdClaim.message_id == parsed.message_id)
        if claim:
            where = f"item #{claim.item_id}" if claim.item_id else "an earlier message"
            return Outcome("ignored", claim.item, reasons + [
                f"Duplicate: Message-ID {parsed.message_id} was already received "
                f"(spool {claim.spool_id}, {where})."])
    if postmaster.addressed(entry.envelope.rcpt_tos, ctx.domain) and \
            decision.automated != "loop":
        done = postmaster.deliver(ctx.mailer, entry, parsed, ctx.domain, _received_at(entry))
        if _item_type(ctx, entry.envelope.rcpt_tos) is None:
            return Outcome("ignored", None, reasons + [
                f"Mail to {postmaster_address(ctx.domain)}: {done}; no item is created."])
        reasons.append(f"Mail also to {postmaster_address(ctx.domain)}: {done}.")
    if decision.automated == "bounce":
        linked = mark_bounced(decision.bounced_message_ids, decision.bounced_recipients,
                              f"bounce report from {parsed.sender.email if parsed.sender else '?'}"
                              f" (incoming spool {entry.id})")
        note = (f"Bounce report: {linked} of our outgoing message(s) marked bounced."
                if linked else "Bounce report that names none of our outgoing messages.")
        return Outcome("ignored", None, reasons + [note, "Automated mail (bounce): "
                                                   "no item is created."])
    if decision.automated == "loop":
        return Outcome("ignored", None, reasons + [
            "Our own mail came back (loop): no item is created and nothing is sent."])
    thread = threading.find(parsed.in_reply_to, parsed.references, parsed.subject, sender)
    if thread.reason:
        reasons.append(thread.reason)
    author = person_row(parsed.sender) if parsed.sender else None
    if thread.item is not None:
        item = thread.item
        message = _add_message(item, parsed, author, log_row, ctx)
        following.from_mail(item, [person_row(p) for p in decision.followers],
                            thread.verified, False, sender.why, reasons)
        if thread.verified and decision.automated is None and is_user(author):
            following.promote(item)   # an agent's answer by mail, like one in the panel
        _announce("message_posted", item, message, parsed, decision, ctx)
        if decision.automated is None and item.status in ("closed", "resolved"):
            item.status = "open"
            reasons.append(f"Item #{item.id} reopened by the reply.")
        item.updated_at = clock.now()
        item.save()
        return Outcome("appended", item, reasons)
    if decision.automated == "auto_reply":
        return Outcome("ignored", None, reasons + [
            "Automatic reply that belongs to no item: no item is created."])
    item_type = _item_type(ctx, entry.envelope.rcpt_tos)
    if item_type is None:
        return Outcome("ignored", None, reasons + [
            "No enabled item type for the envelope recipients "
            f"({', '.join(entry.envelope.rcpt_tos)}): no item is created."])
    requester = person_row(decision.requester) if decision.requester else None
    item = Item.create(type=item_type, title=(parsed.subject or "(no subject)")[:500],
                       requester=requester, description=parsed.text,
                       description_html=parsed.html,
                       sender_verified=not sender.dmarc_failed, channel="email",
                       automated=decision.automated, may_belong_to=thread.linked,
                       created_at=clock.now(), updated_at=clock.now())
    message = _add_message(item, parsed, author, log_row, ctx)
    reasons.append(f"New {item_type.name} #{item.id} created from mail to "
                   f"{item_type.capture_local}@{ctx.domain}"
                   + (f"; it may belong to #{thread.linked.id}, for an agent to decide."
                      if thread.linked else "."))
    following.from_mail(item, [person_row(p) for p in decision.followers], sender.verified,
                        True, sender.why, reasons)
    _announce("item_created", item, message, parsed, decision, ctx)
    return Outcome("created", item, reasons)


def process(entry: Entry, ctx: IntakeContext) -> IncomingMail:
    """Turn one spool entry into its database effects in one transaction."""
    parsed = parse_message(entry.raw)
    # Over SMTP and from a pipe an empty sender is the null reverse path ``<>``: bounces
    # and auto-replies come that way (RFC 5321 4.5.5).
    env = classify.Envelope(mail_from=entry.envelope.mail_from or "<>",
                            rcpt_tos=tuple(entry.envelope.rcpt_tos), peer=entry.envelope.peer,
                            helo=entry.envelope.helo)
    decision = classify.classify(entry.raw, env, ctx.classify)
    results = ctx.authenticate(entry) if ctx.authenticate else None
    sender = _sender(parsed, results)
    auth = None
    if results is not None:
        auth = results.to_json(details=True)
        auth["header"] = results.header_line().decode("ascii", "replace")
    with db.atomic():
        row = IncomingMail.get_or_none(IncomingMail.spool_id == entry.id)
        if row is not None and row.action != "failed":
            return row  # processed before a crash; the caller only has to move the file
        values = dict(
            received_at=_received_at(entry), processed_at=clock.now(),
            peer=entry.envelope.peer, helo=entry.envelope.helo, tls=entry.envelope.tls,
            mail_from=entry.envelope.mail_from, rcpt_tos=entry.envelope.rcpt_tos,
            from_email=parsed.sender.email if parsed.sender else None,
            from_name=parsed.sender.name if parsed.sender else None,
            subject=parsed.subject[:1000], message_id=parsed.message_id,
            decision=decision.to_json(), auth=auth, size=len(entry.raw), error=None,
            action="failed")
        if row is None:
            row = IncomingMail.create(spool_id=entry.id, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        outcome = _decide(entry, parsed, decision, sender, ctx, row)
        if parsed.message_id and outcome.action in ("created", "appended"):
            MessageIdClaim.create(message_id=parsed.message_id, item=outcome.item,
                                  spool_id=entry.id)
        row.action, row.item, row.reasons = outcome.action, outcome.item, outcome.reasons
        row.save()
    log.info("intake spool=%s message-id=%s action=%s item=%s", entry.id,
             parsed.message_id or "-", row.action, row.item_id or "-")
    return row


def _sender(parsed: Parsed, results: AuthResults | None) -> threading.Sender:
    """The From address and whether its domain vouches for the mail (threading and
    followers depend on it)."""
    email = parsed.sender.email if parsed.sender else None
    if results is None:
        return threading.Sender(email, False, "no authentication results")
    verified, why = results.vouches_for(email.rpartition("@")[2] if email else None)
    return threading.Sender(email, verified, why, results.dmarc_failed)


def record_failure(entry_id: str, envelope_json: dict | None, error: str) -> IncomingMail:
    """Keep an entry that could not be processed visible in the incoming log."""
    with db.atomic():
        row = IncomingMail.get_or_none(IncomingMail.spool_id == entry_id)
        env = envelope_json or {}
        if row is None:
            row = IncomingMail(spool_id=entry_id, received_at=clock.now(),
                               mail_from=env.get("mail_from", ""),
                               rcpt_tos=env.get("rcpt_tos", []), peer=env.get("peer"),
                               helo=env.get("helo"))
        row.action, row.error, row.processed_at = "failed", error[:4000], clock.now()
        row.reasons = [f"Processing failed: {error.splitlines()[0][:300] if error else '?'}"]
        row.save()
    return row


def _received_at(entry: Entry):
    from datetime import datetime
    try:
        return datetime.fromisoformat(entry.envelope.received_at)
    except (TypeError, ValueError):
        return clock.now()
