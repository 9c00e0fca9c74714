"""The relay: a message posted on an item reaches every follower who has not seen it
within ``relay.delay_seconds``, by email.

Posting a message queues one :class:`RelayEntry` per follower who may see it (never its
author; internal messages only for agents and admins).  Opening the item marks them seen.
When an entry falls due, the follower gets one email with the item's overview, the new
messages in full and the earlier ones they may see one line each, newest first; all their
other pending entries for that item go out with it, so messages that pile up within the
window make one email.  The history leaves out automatic messages (the box's auto-reply,
an out-of-office answer that came in: :func:`automated`), and every message shows its own
words only, its quoted history folded away (:mod:`appliance.helpdesk.quotes`).  An email
that brings an agent an internal note is staff-only (marked in its Message-ID); any other
shows only the public conversation (:func:`audience`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from peewee import JOIN, chunked, fn

from appliance import clock, mailids
from appliance.helpdesk import context as ctx
from appliance.helpdesk import following, people, protection, statements, templates
from appliance.helpdesk.dialect import for_update
from appliance.helpdesk.models import IncomingMail, Item, Message, Person, Seen, db, with_item
from appliance.helpdesk.relaymodels import RelayEntry
from appliance.outbound.render import RenderError
from appliance.statuses import RelayState

log = logging.getLogger("appliance.relay")


def may_see(message: Message, person: Person) -> bool:
    return not message.internal or ctx.is_user(person)


def enqueue(message: Message, delay_seconds: int, already_seen: set[str] = frozenset()
            ) -> int:
    """Queue ``message`` for the followers of its item (in the caller's transaction).
    ``already_seen``: addresses that got the message itself (the To/Cc of incoming mail).
    An automation's message goes only to the requester and to agents and admins."""
    due = message.created_at + timedelta(seconds=delay_seconds)
    item = message.item
    queued, seen = [], []
    for person in people.followers(item):
        if message.author_id is not None and person.id == message.author_id:
            continue
        if not may_see(message, person):
            continue
        if message.automation and not following.gets_automated(item, person):
            continue
        row = {"message": message.id, "person": person.id}
        if person.email.lower() in already_seen:
            seen.append({**row, "at": clock.now()})
        else:
            queued.append({**row, "item": item.id, "due_at": due})
    # a statement per 200 rows, however many follow the item
    for batch in chunked(seen, 200):
        Seen.insert_many(batch).on_conflict_ignore().execute()
    for batch in chunked(queued, 200):
        RelayEntry.insert_many(batch).on_conflict_ignore().execute()
    return len(queued)


def last_answer(item: Item) -> Message | None:
    """The item's newest public message by an agent or admin (the box's last answer)."""
    from appliance.helpdesk.models import User
    staff = User.select(User.person).where(User.active == True)  # noqa: E712
    return (item.messages.where(Message.internal == False,  # noqa: E712
                                Message.author.in_(staff))
            .order_by(Message.created_at.desc(), Message.id.desc()).first())


def catch_up(item: Item, person: Person, delay_seconds: int) -> bool:
    """A follower added later gets the last public answer when they never received it
    (neither by relay nor by seeing it); True when it was queued."""
    answer = last_answer(item)
    if answer is None or answer.author_id == person.id or not may_see(answer, person):
        return False
    if Seen.select().where(Seen.message == answer, Seen.person == person).exists():
        return False
    entry = RelayEntry.get_or_none(RelayEntry.message == answer, RelayEntry.person == person)
    due = clock.now() + timedelta(seconds=delay_seconds)
    if entry is None:
        RelayEntry.create(message=answer, person=person, item=item, due_at=due)
    elif entry.state in (RelayState.PENDING, RelayState.SENT):
        return False
    else:   # skipped or failed before: they never got it
        RelayEntry.update(state=RelayState.PENDING, due_at=due, done_at=None, mail=None,
                          error=None).where(RelayEntry.id == entry.id).execute()
    log.info("relay item=%s to=%s: the new follower gets answer %s", item.id, person.email,
             answer.id)
    return True


def mark_seen(item: Item, person: Person, now: datetime | None = None) -> int:
    """``person`` opened ``item``: its messages are seen and will not be relayed to them."""
    now = now or clock.now()
    count = 0
    with db.atomic():
        for message in item.messages:
            _, created = Seen.get_or_create(message=message, person=person,
                                            defaults={"at": now})
            count += created
        (RelayEntry.update(state=RelayState.SEEN, done_at=now)
         .where(RelayEntry.item == item, RelayEntry.person == person,
                RelayEntry.state == RelayState.PENDING).execute())
    return count


def visible_messages(item: Item, person: Person, public_only: bool = False
                     ) -> list[Message]:
    rows = _MESSAGES.rows(item.id)
    return [m for m in rows if may_see(m, person) and not (public_only and m.internal)]


def automated(messages: list[Message]) -> set[int]:
    """Ids of the messages no person wrote: posted by an automation (the auto-reply), or
    filed from mail that classification found automated (out-of-office, bulk)."""
    found = {m.id for m in messages if m.automation}
    by_mail = {m.incoming_id: m.id for m in messages if m.incoming_id is not None}
    for chunk in chunked(list(by_mail), 200):
        for row in IncomingMail.select(IncomingMail.id, IncomingMail.decision).where(
                IncomingMail.id.in_(chunk)):
            if (row.decision or {}).get("automated"):
                found.add(by_mail[row.id])
    return found


def history(messages: list[Message], new: list[Message]) -> list[Message]:
    """What a relay email shows: the new messages, and the earlier ones people wrote."""
    fresh = {m.id for m in new}
    robots = automated([m for m in messages if m.id not in fresh])
    return [m for m in messages if m.id in fresh or m.id not in robots]


def audience(person: Person, new: list[Message]) -> str:
    """A relay email is staff-only when it brings an agent or admin an internal note (a
    reply to it is filed as an internal note); otherwise it is customer-facing and shows
    the public conversation only, so a reply to it, which is a public answer and quotes
    the email, never carries an internal note to the customer."""
    if ctx.is_user(person) and any(m.internal for m in new):
        return mailids.STAFF
    return mailids.CUSTOMER


# an item's pending entries for one follower, with their messages, the follower, the item,
# its type and requester (one statement a relay email)
_PENDING = statements.Query(lambda item, person: for_update(with_item(
    RelayEntry.select(RelayEntry, Message, Person)
    .join(Message).switch(RelayEntry).join(Person)).where(
    RelayEntry.item == item, RelayEntry.person == person,
    RelayEntry.state == RelayState.PENDING)), 2)
# an item's messages, newest first, with their authors
_MESSAGES = statements.Query(lambda item: (
    Message.select(Message, Person).join(Person, JOIN.LEFT_OUTER)
    .where(Message.item == item).order_by(Message.created_at.desc(), Message.id.desc())), 1)


# which of those pending messages the follower has seen meanwhile (opened the item)
_SEEN = statements.Query(lambda person, item, follower, pending: Seen.select().where(
    Seen.person == person, Seen.message.in_(
        RelayEntry.select(RelayEntry.message).where(
            RelayEntry.item == item, RelayEntry.person == follower,
            RelayEntry.state == pending))), 4)


def run(mailer, now: datetime | None = None, limit: int = 200) -> int:
    """Send what is due, the longest waiting first, at most ``limit`` emails a turn (so
    a big item never holds back the rest for long); returns the number queued."""
    now = now or clock.now()
    due = (RelayEntry.select(RelayEntry.item, RelayEntry.person)
           .where(RelayEntry.state == RelayState.PENDING, RelayEntry.due_at <= now)
           .group_by(RelayEntry.item, RelayEntry.person)
           .order_by(fn.MIN(RelayEntry.due_at)).limit(limit))
    relay_on = templates.get("relay").enabled
    sent = 0
    for pair in list(due):
        with db.atomic():
            # FOR UPDATE on PostgreSQL: a second box waits here, then finds them sent
            entries = _PENDING.rows(pair.item_id, pair.person_id)
            if not entries:
                continue  # another worker took them
            item, person = entries[0].item, entries[0].person
            seen = {s.message_id for s in _SEEN.rows(person.id, item.id, person.id,
                                                     str(RelayState.PENDING))}
            fresh = [e for e in entries if e.message_id not in seen]
            mail, why, error = None, None, None
            if fresh and all(e.message.automation for e in fresh):
                why = protection.refusal_by(mailer, person.email, item.id, now)
            if fresh and relay_on and not why:
                try:
                    mail = send(mailer, item, person, [e.message for e in fresh])
                    sent += 1
                except RenderError as exc:
                    # the relay template fails on this item's data: this email is marked
                    # failed with the reason (shown in the panel); the others go on
                    error = f"template relay: {exc}"
                    log.warning("relay item=%s to=%s failed: %s", item.id, person.email,
                                error)
            elif why and relay_on:
                log.info("relay item=%s to=%s skipped: %s", item.id, person.email, why)
                newest = max((e.message for e in fresh), key=lambda m: (m.created_at, m.id))
                mailer.suppress(to=person, subject_source=templates.get("relay").subject,
                                context=ctx.for_item(item, person, mailer.cfg.public_url,
                                                     mailer.appearance().company_name,
                                                     newest),
                                kind="relay_automated", item=item,
                                reason=f"not sent: relay of automatic messages: {why}")
            state = RelayState.FAILED if error else RelayState.SENT if mail else (
                RelayState.SEEN if not fresh else RelayState.SKIPPED)
            ids = [e.id for e in entries]
            RelayEntry.update(state=state, mail=mail, done_at=now, error=error).where(
                RelayEntry.id.in_(ids)).execute()
    return sent


def send(mailer, item: Item, person: Person, new: list[Message]):
    meant_for = audience(person, new)
    messages = history(visible_messages(item, person,
                                        public_only=meant_for == mailids.CUSTOMER), new)
    newest = max(new, key=lambda m: (m.created_at, m.id))
    context = ctx.for_item(item, person, mailer.cfg.public_url,
                           mailer.appearance().company_name, newest, messages,
                           new={m.id for m in new})
    template = templates.get("relay")
    automated = all(m.automation for m in new)
    author = newest.author if not newest.automation else None
    mail = mailer.send(to=person, subject_source=template.subject,
                       body_source=template.body, context=context,
                       kind="relay_automated" if automated else "relay", item=item,
                       author=author, conversation_message=newest,
                       auto_submitted="auto-replied" if automated else None,
                       audience=meant_for, files=files_of(mailer, new, messages))
    log.info("relay item=%s to=%s messages=%s outgoing=%s message-id=%s", item.id,
             person.email, ",".join(str(m.id) for m in new), mail.id, mail.message_id)
    return mail


def files_of(mailer, new: list[Message], shown: list[Message]) -> list:
    """The attachments of the new messages this email shows (never an internal note's in
    customer mail: ``shown`` has only what the audience may see), oldest first, as long
    as together they stay within ``attachments.max_upload_mb``; what does not fit stays
    on the item (logged)."""
    from appliance.helpdesk import attachments
    from appliance.outbound.compose import File
    ids = {m.id for m in shown}
    wanted = sorted((m for m in new if m.id in ids), key=lambda m: (m.created_at, m.id))
    found = attachments.of_messages(wanted)
    if not any(found.values()):
        return []
    budget = mailer.setting("attachments.max_upload_mb") * 1024 * 1024
    files, total = [], 0
    for message in wanted:
        for att in found[message.id]:
            data = attachments.read(mailer.cfg.attachments_dir, att)
            if data is None or total + len(data) > budget:
                log.warning("relay message=%s: attachment %s (%s) not mailed: %s", message.id,
                            att.id, att.filename, "its file is missing" if data is None
                            else "over attachments.max_upload_mb together")
                continue
            total += len(data)
            files.append(File(att.filename, att.content_type, data))
    return files
