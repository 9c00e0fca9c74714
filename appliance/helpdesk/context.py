"""What templates see: plain values built from the database, never model objects (a
template must not be able to call ``delete_instance``)."""
from __future__ import annotations

from appliance.clock import iso
from appliance.helpdesk import quotes
from appliance.helpdesk.models import Item, Message, Person, User
from appliance.helpdesk.turn import remembered


EMPTY_MESSAGE = {"author": "", "body": "", "text": "", "summary": "", "created_at": "",
                 "internal": False, "new": False}


def person(row: Person | None) -> dict:
    if row is None:
        return {"name": "", "email": ""}
    return {"name": row.name or row.email.split("@")[0], "email": row.email}


def is_user(row: Person | None) -> bool:
    """An active agent or admin (read once per worker turn: :mod:`turn`)."""
    return row is not None and row.id in remembered("staff", staff_ids)


def staff_ids() -> frozenset[int]:
    return frozenset(u.person_id for u in User.select(User.person)
                     .where(User.active == True))  # noqa: E712


def item(row: Item, base_url: str) -> dict:
    return {"id": row.id, "title": row.title, "type": row.type.name, "status": row.status,
            "priority": row.priority, "due_at": iso(row.due_at) or "",
            "url": f"{base_url}items/{row.id}"}


def message(row: Message, new: bool = False) -> dict:
    """``body`` as it came; ``text`` without the quoted history, ``summary`` its first
    words (:mod:`appliance.helpdesk.quotes`); ``new``: what this email brings."""
    author = row.author.name or row.author.email if row.author else None
    if author is None:
        author = f"Automation {row.automation}" if row.automation else "Unknown sender"
    text = quotes.fold(row.body).text
    return {"id": row.id, "author": author, "body": row.body, "text": text,
            "summary": quotes.summary(text), "internal": row.internal,
            "created_at": iso(row.created_at), "new": new}


def for_item(row: Item, recipient: Person | None, base_url: str, organisation: str,
             message_row: Message | None = None,
             messages: list[Message] | None = None, new: set[int] = frozenset()) -> dict:
    """``new``: ids of the messages the email brings (the relay's), marked ``new``."""
    return {
        "item": item(row, base_url), "requester": person(row.requester),
        "assignee": person(row.assignee),
        "recipient": {**person(recipient), "is_user": is_user(recipient)},
        "message": message(message_row) if message_row else dict(EMPTY_MESSAGE),
        "messages": [message(m, m.id in new) for m in messages or []],
        "organisation": {"name": organisation},
        "link": {"url": "", "valid_hours": 0},
    }
