"""The JSON documents of INTERFACE.md for items and the incoming log: one place, used by
the CLI and the web panel."""
from __future__ import annotations

from appliance.clock import iso
from appliance.mailids import audience
from appliance.helpdesk import following
from appliance.helpdesk.models import IncomingMail, Item, Message, Person
from appliance.statuses import UNFINISHED, OutgoingStatus


def person(row: Person | None) -> dict | None:
    return row.to_json() if row else None


def item_summary(item: Item) -> dict:
    return item_summaries([item])[0]


def item_summaries(items) -> list[dict]:
    """The summaries of ``items`` (a query, or a list of rows) in a fixed number of
    queries however many there are (one per item per related table made a 6,000-item
    list take 30,000 queries)."""
    from peewee import ModelSelect

    from appliance.helpdesk.models import Follower, ItemType
    from appliance.outbound.models import OutgoingMail, OutgoingRecipient
    if isinstance(items, ModelSelect):
        # the columns a summary shows, as tuples: no description, no model objects
        rows = list(items.select(
            Item.id, Item.type.alias("type_id"), Item.title, Item.status, Item.priority,
            Item.assignee.alias("assignee_id"), Item.due_at, Item.channel, Item.automated,
            Item.requester.alias("requester_id"), Item.sender_verified,
            Item.may_belong_to.alias("may_belong_to_id"), Item.created_at,
            Item.updated_at).namedtuples())
    else:
        rows = list(items)
    if not rows:
        return []
    if isinstance(items, ModelSelect):   # the related rows of the same page, by subquery
        scopes = [(items.select(Item.id), items.select(Item.requester),
                   items.select(Item.assignee))]
    else:
        ids = [i.id for i in rows]
        people_ids = sorted({x for i in rows for x in (i.requester_id, i.assignee_id) if x})
        scopes = [(ids[n:n + 500], people_ids[n:n + 500], [])
                  for n in range(0, max(len(ids), len(people_ids)), 500)]
    types = {t.id: t.name for t in ItemType.select()}
    followers: dict[int, list[dict]] = {}
    bounced: dict[int, set[str]] = {}
    known: dict[int, dict] = {}
    for item_ids, requesters, assignees in scopes:
        for item_id, email, name in (Follower.select(Follower.item, Person.email, Person.name)
                                     .join(Person).where(Follower.item.in_(item_ids))
                                     .order_by(Follower.id).tuples()):
            followers.setdefault(item_id, []).append({"email": email, "name": name})
        for email, item_id in (OutgoingRecipient.select(OutgoingRecipient.email,
                                                        OutgoingMail.item)
                               .join(OutgoingMail)
                               .where(OutgoingMail.item.in_(item_ids),
                                      OutgoingRecipient.status == OutgoingStatus.BOUNCED)
                               .tuples()):
            bounced.setdefault(item_id, set()).add(email)
        for person_id, email, name in (Person.select(Person.id, Person.email, Person.name)
                                       .where(Person.id.in_(requesters)
                                              | Person.id.in_(assignees)).tuples()):
            known[person_id] = {"email": email, "name": name}
    docs = []
    for i in rows:
        gone = sorted(bounced.get(i.id, ()))
        requester = known.get(i.requester_id)
        docs.append({
            "id": i.id, "type": types.get(i.type_id), "title": i.title, "status": i.status,
            "priority": i.priority, "assignee": known.get(i.assignee_id),
            "due_at": iso(i.due_at), "channel": i.channel, "automated": i.automated,
            "requester": requester, "followers": followers.get(i.id, []),
            "sender_verified": i.sender_verified, "may_belong_to": i.may_belong_to_id,
            "bounced": gone,
            "requester_bounced": bool(requester and requester["email"].lower() in
                                      {a.lower() for a in gone}),
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at)})
    return docs


AUTOMATED_WORDS = {"auto_reply": "automatic reply", "bulk": "bulk mail"}


def automated_kind(message: Message) -> str | None:
    """The automated family of the mail a message came in with (an out-of-office reply is
    ``auto_reply``); None for people's messages and the box's own."""
    if message.incoming_id is None:
        return None
    incoming = message.incoming
    return (incoming.decision or {}).get("automated") if incoming else None


def message_json(message: Message) -> dict:
    return {"id": message.id, "author": person(message.author), "body": message.body,
            "internal": message.internal, "created_at": iso(message.created_at),
            "automation": message.automation, "automated": automated_kind(message),
            "message_id": message.message_id,
            "attachments": [{"filename": a.filename, "content_type": a.content_type,
                             "size": a.size} for a in message.attachments]}


def item_full(item: Item) -> dict:
    doc = item_summary(item)
    doc["description"] = item.description
    doc["copied"] = [{**c.person.to_json(), "state": c.state, "reason": c.reason}
                     for c in following.copied(item)]
    doc["messages"] = [message_json(m) for m in
                       item.messages.order_by(Message.created_at, Message.id)]
    return doc


def incoming_json(row: IncomingMail) -> dict:
    return {"id": row.id, "spool_id": row.spool_id, "received_at": iso(row.received_at),
            "mail_from": row.mail_from, "rcpt_tos": row.rcpt_tos,
            "from": {"email": row.from_email, "name": row.from_name} if row.from_email
            else None,
            "subject": row.subject, "message_id": row.message_id, "action": row.action,
            "item_id": row.item_id, "decision": row.decision,
            "auth": row.auth or {"spf": None, "dkim": None, "dmarc": None},
            "reasons": row.reasons, "error": row.error, "peer": row.peer, "helo": row.helo,
            "tls": row.tls}


def stored_message(row: IncomingMail, spool_dir) -> bytes | None:
    """The message as received, with the Authentication-Results header the box added."""
    from appliance.mta.spool import Spool
    entry = Spool(spool_dir).find(row.spool_id)
    if entry is None:
        return None
    header = (row.auth or {}).get("header")
    return (header.encode() if header else b"") + entry.raw


def outgoing_json(mail, full: bool = False) -> dict:
    from appliance.outbound.models import OutgoingEvent, OutgoingRecipient
    recipients = list(mail.recipients.order_by(OutgoingRecipient.id))
    doc = {"id": mail.id, "created_at": iso(mail.created_at),
           "to": [r.email for r in recipients], "subject": mail.subject,
           "status": mail.status, "item_id": mail.item_id, "kind": mail.kind,
           "audience": audience(mail.message_id) or "customer",
           "message_id": mail.message_id, "attempts": mail.attempts,
           "next_attempt_at": iso(mail.next_attempt_at) if mail.status in UNFINISHED
           else None,
           "recipients": [{"email": r.email, "status": r.status, "remote": r.remote,
                           "reply": r.reply} for r in recipients],
           # suppressed: why auto-reply protection kept it back (it was never sent)
           "reason": next((r.reply for r in recipients
                           if r.status == OutgoingStatus.SUPPRESSED), None)}
    if full:
        doc["raw"] = bytes(mail.raw).decode("utf-8", "replace")
        doc["events"] = [{"at": iso(e.at), "event": e.event, "detail": e.detail}
                         for e in mail.events.order_by(OutgoingEvent.at.desc(),
                                                       OutgoingEvent.id.desc())]
    return doc
