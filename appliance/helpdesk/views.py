"""The JSON documents of INTERFACE.md for items and the incoming log: one place, used by
the CLI and the web panel."""
from __future__ import annotations

from appliance.clock import iso
from appliance.helpdesk import people
from appliance.helpdesk.models import IncomingMail, Item, Message, Person


def person(row: Person | None) -> dict | None:
    return row.to_json() if row else None


def item_summary(item: Item) -> dict:
    return {"id": item.id, "type": item.type.name, "title": item.title, "status": item.status,
            "requester": person(item.requester),
            "followers": [p.to_json() for p in people.followers(item)],
            "sender_verified": item.sender_verified,
            "created_at": iso(item.created_at), "updated_at": iso(item.updated_at)}


def message_json(message: Message) -> dict:
    return {"id": message.id, "author": person(message.author), "body": message.body,
            "internal": message.internal, "created_at": iso(message.created_at),
            "message_id": message.message_id,
            "attachments": [{"filename": a.filename, "content_type": a.content_type,
                             "size": a.size} for a in message.attachments]}


def item_full(item: Item) -> dict:
    doc = item_summary(item)
    doc["description"] = item.description
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
            "reasons": row.reasons, "error": row.error, "peer": row.peer, "helo": row.helo}


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
