"""Intake: one spool entry in, one database transaction out (an item created, a message
appended, or the mail ignored), recorded in the incoming log with the reasons.

Idempotent by spool id (an entry already logged is not processed again) and by Message-ID
(one Message-ID makes at most one item), so a crash at any point followed by a restart
never loses or doubles a message.

Mail to the postmaster goes to the admins (:mod:`appliance.helpdesk.postmaster`), queued in
the same transaction; addressed to the postmaster alone it makes no item.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from peewee import InterfaceError, OperationalError

from appliance import clock
from appliance.addresses import parse_people
from appliance.helpdesk import (agentforward, attachments, capture, classify, failures,
                                following, people, postmaster, relay, statements, threading)
from appliance.helpdesk.mailparse import Parsed, Part, parse_message
from appliance.helpdesk.context import is_user
from appliance.helpdesk.models import (Attachment, Blocked, Event, IncomingMail, Item,
                                       ItemType, Message, MessageIdClaim, Person, Seen, User,
                                       db)
from appliance.mta.auth import AuthResults
from appliance.mta import limits
from appliance.outbound.bounces import mark_bounced
from appliance.mta.spool import Entry
from appliance.helpdesk.settingstore import value as setting
from appliance.mta.policy import postmaster_address
from appliance.statuses import DONE, ItemStatus

if TYPE_CHECKING:
    from appliance.outbound.mailer import Mailer

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
    ctx = classify.Context(
        domain=domain,
        capture_addresses=frozenset(types),
        own_addresses=frozenset({setting("outbound.from_address", domain).lower(),
                                 postmaster_address(domain)}),
        company_addresses=frozenset(a.lower() for a in
                                    setting("intake.company_addresses", domain)),
        agents=agents,
        blocklist=tuple(b.pattern for b in Blocked.select()),
        agent_forwarding=setting("intake.agent_forwarding", domain),
    )
    return IntakeContext(domain, attachments_dir, types, ctx,
                         relay_delay=setting("relay.delay_seconds", domain))


def _item_type(ctx: IntakeContext, rcpt_tos: list[str]) -> ItemType | None:
    for rcpt in rcpt_tos:
        if rcpt.lower() in ctx.types:
            return ctx.types[rcpt.lower()]
    return None


@dataclass
class Prepared:
    """Everything intake needs that costs time, done before its write transaction opens:
    the message read within ``mta.limits``, parsed once, classified, authenticated, its
    attachments on disk.  The transaction then only reads and writes rows, so one big
    mail never holds the write lock that the panel, the delivery thread and every other
    mail wait for."""

    parsed: Parsed
    decision: classify.Decision
    sender: threading.Sender
    auth: dict | None
    stored: dict[int, str]                  # id(part) -> its stored path
    got_it: set[str]                        # addresses that got the mail itself
    notes: list[str]                        # what the limits cut
    forward: agentforward.AgentForward | None = None


def prepare(entry: Entry, ctx: IntakeContext) -> Prepared:
    bounded = limits.bound(entry.raw)
    parsed = parse_message(bounded.raw, headers_only=not bounded.body_ok)
    notes = bounded.notes + parsed.notes
    whole = Part("message.eml", "message/rfc822", entry.raw)   # nothing cut is lost
    if not bounded.body_ok:
        parsed.text = ("(This message's body was not taken apart: it is too large or has too "
                       "many parts. The whole message is attached as message.eml.)")
        parsed.attachments = [whole]
    elif len(parsed.attachments) > limits.MAX_ATTACHMENTS:
        notes.append(f"The message has {len(parsed.attachments):,} attachments: the first "
                     f"{limits.MAX_ATTACHMENTS} are stored one by one and the whole message "
                     f"is attached as message.eml.")
        parsed.attachments = parsed.attachments[:limits.MAX_ATTACHMENTS] + [whole]
    elif parsed.notes or bounded.header_cut:
        parsed.attachments.append(whole)
    # Over SMTP and from a pipe an empty sender is the null reverse path ``<>``: bounces
    # and auto-replies come that way (RFC 5321 4.5.5).
    env = classify.Envelope(mail_from=entry.envelope.mail_from or "<>",
                            rcpt_tos=tuple(entry.envelope.rcpt_tos), peer=entry.envelope.peer,
                            helo=entry.envelope.helo)
    decision = classify.classify(parsed.message, env, ctx.classify)
    results = ctx.authenticate(replace(entry, raw=bounded.raw)) if ctx.authenticate else None
    auth = None
    if results is not None:
        auth = results.to_json(details=True)
        auth["header"] = results.header_line().decode("ascii", "replace")
    forward = agentforward.take_apart(parsed) if decision.agent_forward else None
    parts = parsed.attachments + (forward.attachments + forward.note_attachments
                                  if forward else [])
    stored = {id(part): attachments.store_file(ctx.attachments_dir, part.data)
              for part in parts}
    got_it = {p.email.lower() for p in parse_people(parsed.message.get("To"),
                                                    parsed.message.get("Cc"))}
    if parsed.sender:
        got_it.add(parsed.sender.email.lower())
    return Prepared(parsed, decision, _sender(parsed, results), auth, stored, got_it, notes,
                    forward)


def _add_message(item: Item, prep: Prepared, author: Person | None, log_row: IncomingMail,
                 internal: bool = False) -> Message:
    parsed = prep.parsed
    message = statements.insert(Message, item=item, author=author, body=parsed.text,
                                body_html=parsed.html, message_id=parsed.message_id,
                                incoming=log_row, internal=internal,
                                created_at=clock.now())
    _attach(message, author, parsed.attachments, prep)
    return message


def _seen(message: Message, person: Person) -> None:
    """``person`` has seen ``message`` (one statement; a mark already there stays)."""
    statements.insert(Seen, ignore=True, message=message, person=person, at=clock.now())


def _attach(message: Message, author: Person | None, parts: list[Part], prep: Prepared
            ) -> None:
    if author is not None:
        _seen(message, author)
    for part in parts:
        statements.insert(Attachment, message=message, filename=part.filename[:255],
                          content_type=part.content_type[:255], size=len(part.data),
                          path=prep.stored[id(part)], content_id=part.content_id)


def _add_forward(item: Item, prep: Prepared, agent: Person | None, original: Person | None,
                 log_row: IncomingMail, reasons: list[str], ctx: IntakeContext) -> Message:
    """An agent's forward: the original message public (by the original sender, with its
    date and attachments), the agent's words an internal note by the agent."""
    fwd = prep.forward
    message = Message.create(item=item, author=original, body=fwd.text, body_html=fwd.html,
                             message_id=prep.parsed.message_id, incoming=log_row,
                             created_at=fwd.sent_at or clock.now())
    _attach(message, original, fwd.attachments, prep)
    if agent is not None:
        _seen(message, agent)
    dated = f", dated {fwd.sent_at:%Y-%m-%d %H:%M} UTC" if fwd.sent_at else ""
    said = (f"{agent.email if agent else 'the agent'}'s own words above {fwd.how} are an "
            f"internal note by them; " if fwd.note or fwd.note_attachments else "")
    reasons.append(f"Agent forward: {said}the public message is the original message"
                   f"{' from ' + original.email if original else ''}{dated}.")
    if fwd.note or fwd.note_attachments:
        note = Message.create(item=item, author=agent, body=fwd.note, internal=True,
                              incoming=log_row, created_at=clock.now())
        _attach(note, agent, fwd.note_attachments, prep)
        relay.enqueue(note, ctx.relay_delay, prep.got_it)   # agents and admins only
    return message


def _announce(kind: str, item: Item, message: Message, prep: Prepared,
              ctx: IntakeContext) -> None:
    """Tell automations (an event) and the relay (followers who did not get this mail
    themselves: the sender and the To/Cc people did).  Automated mail (an out-of-office
    reply, list mail) is shown on the item with its badge but never relayed: nobody is
    told by email about a robot's answer, and it cannot start a loop of auto-replies."""
    statements.insert(Event, kind=kind, item=item, message=message, at=clock.now(),
                      detail={"automated": prep.decision.automated, "channel": "email"})
    if prep.decision.automated is None:
        relay.enqueue(message, ctx.relay_delay, prep.got_it)


def _decide(entry: Entry, prep: Prepared, ctx: IntakeContext, log_row: IncomingMail
            ) -> Outcome:
    parsed, decision, sender = prep.parsed, prep.decision, prep.sender
    reasons = prep.notes + list(decision.reasons)
    named = following.bounded(decision.followers, reasons)
    known: dict[str, Person] = {}

    def person_row(person) -> Person:
        """people.get, once per address within this message."""
        key = person.email.lower()
        if key not in known:
            known[key] = people.get(person)
        return known[key]
    if parsed.message_id:
        claim = statements.get(MessageIdClaim, MessageIdClaim.message_id, parsed.message_id)
        if claim:
            where = f"item #{claim.item_id}" if claim.item_id else "an earlier message"
            return Outcome("ignored", claim.item, reasons + [
                f"Duplicate: Message-ID {parsed.message_id} was already received "
                f"(spool {claim.spool_id}, {where})."])
    if decision.forwarding_confirmation:
        return Outcome("ignored", None, reasons + [
            "Not filed as an item: a forwarding confirmation is for the admins, who find "
            "its code and link on the capture addresses page."])
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
    requester = person_row(decision.requester) if decision.requester else None
    if thread.item is not None:
        item = thread.item
        if prep.forward and not thread.internal:
            message = _add_forward(item, prep, author, requester, log_row, reasons, ctx)
        else:
            message = _add_message(item, prep, author, log_row, internal=thread.internal)
        if thread.internal:
            # a note among staff: the people it names get nothing of the item from it,
            # agents and admins excepted
            named = [p for p in named if is_user(people.find(p.email))]
        following.from_mail(item, [person_row(p) for p in named],
                            thread.verified, False, sender.why, reasons)
        if thread.verified and decision.automated is None and is_user(author) \
                and not thread.internal:
            following.promote(item)   # an agent's answer by mail, like one in the panel
        following.staff_follows(item, author, "they posted on it", reasons)
        _announce("message_posted", item, message, prep, ctx)
        if decision.automated is None and not is_user(author) and not thread.internal:
            Event.create(kind="customer_replied", item=item, message=message,
                         at=clock.now(), detail={"channel": "email"})
        if decision.automated is None and not thread.internal and \
                item.status in DONE:
            item.status = ItemStatus.OPEN
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
    fwd = prep.forward
    title = fwd.title if fwd else parsed.subject
    item = statements.insert(
        Item, type=item_type, title=(title or "(no subject)")[:500], requester=requester,
        description=fwd.text if fwd else parsed.text,
        description_html=fwd.html if fwd else parsed.html,
        sender_verified=not sender.dmarc_failed, channel="email",
        automated=decision.automated, may_belong_to=thread.linked,
        created_at=clock.now(), updated_at=clock.now())
    message = (_add_forward(item, prep, author, requester, log_row, reasons, ctx)
               if fwd else _add_message(item, prep, author, log_row))
    reasons.append(f"New {item_type.name} #{item.id} created from mail to "
                   f"{item_type.capture_local}@{ctx.domain}"
                   + (f"; it may belong to #{thread.linked.id}, for an agent to decide."
                      if thread.linked else "."))
    following.from_mail(item, [person_row(p) for p in named], sender.verified,
                        True, sender.why, reasons)
    _announce("item_created", item, message, prep, ctx)
    return Outcome("created", item, reasons)


def process(entry: Entry, ctx: IntakeContext) -> IncomingMail:
    """Turn one spool entry into its database effects in one transaction."""
    prep = prepare(entry, ctx)
    with db.atomic():
        row = _file(entry, prep, ctx)
    _logged(entry, prep, row)
    return row


def process_batch(entries: list[Entry], ctx: IntakeContext
                  ) -> list[tuple[Entry, IncomingMail | None]]:
    """Several spool entries in one transaction, each in a savepoint of its own: a burst
    costs a commit (an fsync) and a turn of the write lock per batch, not per message.
    An entry that fails here is rolled back alone and comes back with None, for the
    caller to run through :func:`process` on its own (which records why); trouble of
    the database itself (locked, gone) raises and nothing of the batch is kept."""
    prepared = []
    for entry in entries:
        try:
            prepared.append((entry, prepare(entry, ctx)))
        except Exception:
            prepared.append((entry, None))
    results: list[tuple[Entry, IncomingMail | None]] = []
    with db.atomic():
        for entry, prep in prepared:
            row = None
            if prep is not None:
                try:
                    with db.atomic():
                        row = _file(entry, prep, ctx)
                except (OperationalError, InterfaceError):
                    raise
                except Exception:
                    row = None
            results.append((entry, row))
    for (entry, prep), (_, row) in zip(prepared, results):
        if row is not None:
            _logged(entry, prep, row)
    return results


def _logged(entry: Entry, prep: Prepared, row: IncomingMail) -> None:
    log.info("intake spool=%s message-id=%s action=%s item=%s", entry.id,
             prep.parsed.message_id or "-", row.action, row.item_id or "-")


def _file(entry: Entry, prep: Prepared, ctx: IntakeContext) -> IncomingMail:
    """The entry's database effects, inside the caller's transaction; an entry filed
    before (a crash between the commit and the file's move) is only returned."""
    parsed, decision, auth = prep.parsed, prep.decision, prep.auth
    row = statements.get(IncomingMail, IncomingMail.spool_id, entry.id)
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
    fresh = row is None
    if row is None:
        row = statements.insert(IncomingMail, spool_id=entry.id, **values)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    outcome = _decide(entry, prep, ctx, row)
    if parsed.message_id and outcome.action in ("created", "appended"):
        statements.insert(MessageIdClaim, message_id=parsed.message_id, item=outcome.item,
                          spool_id=entry.id)
    row.action, row.item, row.reasons = outcome.action, outcome.item, outcome.reasons
    # only what changed: the decision (JSON) is not written a second time
    if fresh:
        statements.update(row, IncomingMail.action, IncomingMail.item, IncomingMail.reasons)
    else:
        row.save()
    return row


def _sender(parsed: Parsed, results: AuthResults | None) -> threading.Sender:
    """The From address and whether its domain vouches for the mail (threading and
    followers depend on it)."""
    email = parsed.sender.email if parsed.sender else None
    if results is None:
        return threading.Sender(email, False, "no authentication results")
    verified, why = results.vouches_for(email.rpartition("@")[2] if email else None)
    return threading.Sender(email, verified, why, results.dmarc_failed)


def record_failure(entry_id: str, envelope_json: dict | None, error: str,
                   reason: str | None = None, raw: bytes | None = None) -> IncomingMail:
    """Keep an entry that could not be processed visible in the incoming log, with the
    subject, sender and Message-ID of its stored message (``raw``) when it has them
    (``reason``: the sentence shown, by default the error in one line)."""
    with db.atomic():
        row = IncomingMail.get_or_none(IncomingMail.spool_id == entry_id)
        env = envelope_json or {}
        if row is None:
            row = IncomingMail(spool_id=entry_id, received_at=_when(env.get("received_at")),
                               mail_from=env.get("mail_from", ""),
                               rcpt_tos=env.get("rcpt_tos", []), peer=env.get("peer"),
                               helo=env.get("helo"))
        for key, value in failures.mail_facts(raw).items():
            if value and not getattr(row, key):
                setattr(row, key, value)
        if len(error) > 4000:   # a traceback's end says what went wrong: keep it
            error = error[:1000] + "\n[...]\n" + error[-2990:]
        row.action, row.error, row.processed_at = "failed", error, clock.now()
        row.reasons = [reason or failures.filing_reason(error)]
        row.save()
    return row


def _received_at(entry: Entry):
    return _when(entry.envelope.received_at)


def _when(stamp: str | None):
    from datetime import datetime
    try:
        return datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return clock.now()
