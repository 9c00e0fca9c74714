"""The JSON documents of INTERFACE.md for items and the incoming log: one place, used by
the CLI and the web panel."""
from __future__ import annotations

from appliance.clock import iso
from appliance.mailids import audience
from appliance.helpdesk import following, people
from appliance.helpdesk.models import IncomingMail, Item, Message, Person


def person(row: Person | None) -> dict | None:
    return row.to_json() if row else None


def item_summary(item: Item) -> dict:
    return {"id": item.id, "type": item.type.name, "title": item.title, "status": item.status,
            "priority": item.priority, "assignee": person(item.assignee),
            "due_at": iso(item.due_at), "channel": item.channel, "automated": item.automated,
            "requester": person(item.requester),
            "followers": [p.to_json() for p in people.followers(item)],
            "sender_verified": item.sender_verified,
            "may_belong_to": item.may_belong_to_id,
            "bounced": bounced_addresses(item),
            "requester_bounced": bool(item.requester and item.requester.email.lower() in
                                      {a.lower() for a in bounced_addresses(item)}),
            "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}


def message_json(message: Message) -> dict:
    return {"id": message.id, "author": person(message.author), "body": message.body,
            "internal": message.internal, "created_at": iso(message.created_at),
            "automation": message.automation,
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


def search_incoming(query: str | None = None, limit: int = 200, offset: int = 0):
    rows = IncomingMail.select().order_by(IncomingMail.received_at.desc(), IncomingMail.id.desc())
    if query:
        like = f"%{query}%"
        rows = rows.where(IncomingMail.subject ** like | IncomingMail.from_email ** like
                          | IncomingMail.mail_from ** like | IncomingMail.message_id ** like
                          | (IncomingMail.item == (int(query.lstrip("#"))
                                                   if query.lstrip("#").isdigit() else -1)))
    return rows.limit(limit).offset(offset)


def stored_message(row: IncomingMail, spool_dir) -> bytes | None:
    """The message as received, with the Authentication-Results header the box added."""
    from appliance.mta.spool import Spool
    entry = Spool(spool_dir).find(row.spool_id)
    if entry is None:
        return None
    header = (row.auth or {}).get("header")
    return (header.encode() if header else b"") + entry.raw


def outgoing_json(mail, full: bool = False) -> dict:
    from appliance.helpdesk.models import OutgoingEvent, OutgoingRecipient
    recipients = list(mail.recipients.order_by(OutgoingRecipient.id))
    doc = {"id": mail.id, "created_at": iso(mail.created_at),
           "to": [r.email for r in recipients], "subject": mail.subject,
           "status": mail.status, "item_id": mail.item_id, "kind": mail.kind,
           "audience": audience(mail.message_id) or "customer",
           "message_id": mail.message_id, "attempts": mail.attempts,
           "next_attempt_at": iso(mail.next_attempt_at) if mail.status in (
               "queued", "deferred") else None,
           "recipients": [{"email": r.email, "status": r.status, "remote": r.remote,
                           "reply": r.reply} for r in recipients]}
    if full:
        doc["raw"] = bytes(mail.raw).decode("utf-8", "replace")
        doc["events"] = [{"at": iso(e.at), "event": e.event, "detail": e.detail}
                         for e in mail.events.order_by(OutgoingEvent.at.desc(),
                                                       OutgoingEvent.id.desc())]
    return doc


def search_outgoing(query: str | None = None, limit: int = 200, offset: int = 0):
    from appliance.helpdesk.models import OutgoingMail, OutgoingRecipient
    rows = OutgoingMail.select().order_by(OutgoingMail.created_at.desc(),
                                          OutgoingMail.id.desc())
    if query:
        like = f"%{query}%"
        number = int(query.lstrip("#")) if query.lstrip("#").isdigit() else -1
        by_rcpt = OutgoingRecipient.select(OutgoingRecipient.mail).where(
            OutgoingRecipient.email ** like)
        rows = rows.where(OutgoingMail.subject ** like | OutgoingMail.id.in_(by_rcpt)
                          | (OutgoingMail.item == number))
    return rows.limit(limit).offset(offset)


def bounced_addresses(item: Item) -> list[str]:
    """Addresses whose mail about this item bounced (shown with the item)."""
    from appliance.helpdesk.models import OutgoingMail, OutgoingRecipient
    rows = (OutgoingRecipient.select(OutgoingRecipient.email).join(OutgoingMail)
            .where(OutgoingMail.item == item, OutgoingRecipient.status == "bounced")
            .distinct())
    return sorted({r.email for r in rows})
