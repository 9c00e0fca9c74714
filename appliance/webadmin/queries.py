"""The list queries behind the panel's pages and the API: newest first, filtered, searched
through the FTS5 tables of :mod:`appliance.webadmin.search` (never a LIKE scan)."""
from __future__ import annotations

from peewee import SQL, JOIN

from appliance.helpdesk.models import IncomingMail, Item, ItemType, OutgoingMail, Person
from appliance.webadmin.search import item_number, match_expression

ITEM_STATUSES = ["open", "pending", "resolved", "closed"]
INCOMING_ACTIONS = ["created", "appended", "ignored", "failed"]
OUTGOING_STATUSES = ["queued", "deferred", "delivered", "bounced", "failed"]


def _fts_ids(table: str, expression: str):
    return SQL(f"(SELECT rowid FROM {table} WHERE {table} MATCH ?)", [expression])


def items(text: str = "", type_name: str = "", status: str = "", requester: str = "",
          assignee: str = "", limit: int = 50, offset: int = 0) -> list[Item]:
    """Items with their type and requester joined, newest first."""
    query = (Item.select(Item, ItemType, Person).join(ItemType)
             .switch(Item).join(Person, JOIN.LEFT_OUTER, on=(Item.requester == Person.id))
             .order_by(Item.created_at.desc(), Item.id.desc()))
    if type_name:
        query = query.where(ItemType.name == type_name)
    if status:
        query = query.where(Item.status == status)
    if requester:
        expr = match_expression(requester, "requester")
        if expr is None:
            return []
        query = query.where(Item.id.in_(_fts_ids("item_fts", expr)))
    if assignee and "assignee" in Item._meta.fields:
        agent = Person.alias()
        query = query.where(Item.assignee.in_(
            agent.select(agent.id).where(agent.email == assignee.strip().lower())))
    if text:
        number = item_number(text)
        expr = match_expression(text)
        if expr is None and number is None:
            return []
        found = []
        if expr:
            found.append(Item.id.in_(_fts_ids("item_fts", expr)))
            found.append(Item.id.in_(SQL(
                "(SELECT item_id FROM message WHERE id IN "
                "(SELECT rowid FROM message_fts WHERE message_fts MATCH ?))", [expr])))
        if number is not None:
            found.append(Item.id == number)
        condition = found[0]
        for other in found[1:]:
            condition = condition | other
        query = query.where(condition)
    return list(query.limit(limit).offset(offset))


def incoming(text: str = "", action: str = "", limit: int = 50, offset: int = 0):
    query = IncomingMail.select().order_by(IncomingMail.received_at.desc(),
                                           IncomingMail.id.desc())
    if action:
        query = query.where(IncomingMail.action == action)
    if text:
        number, expr = item_number(text), match_expression(text)
        if expr is None and number is None:
            return []
        condition = IncomingMail.id.in_(_fts_ids("incoming_fts", expr)) if expr else None
        if number is not None:
            by_item = IncomingMail.item == number
            condition = by_item if condition is None else condition | by_item
        query = query.where(condition)
    return list(query.limit(limit).offset(offset))


def outgoing(text: str = "", status: str = "", limit: int = 50, offset: int = 0):
    query = OutgoingMail.select().order_by(OutgoingMail.created_at.desc(),
                                           OutgoingMail.id.desc())
    if status:
        query = query.where(OutgoingMail.status == status)
    if text:
        number, expr = item_number(text), match_expression(text)
        if expr is None and number is None:
            return []
        condition = OutgoingMail.id.in_(_fts_ids("outgoing_fts", expr)) if expr else None
        if number is not None:
            by_item = OutgoingMail.item == number
            condition = by_item if condition is None else condition | by_item
        query = query.where(condition)
    return list(query.limit(limit).offset(offset))


def outgoing_recipients(mails) -> dict[int, list[str]]:
    """Recipients of a page of outgoing mail, in one query."""
    from appliance.helpdesk.models import OutgoingRecipient
    found: dict[int, list[str]] = {}
    ids = [m.id for m in mails]
    if ids:
        for r in (OutgoingRecipient.select(OutgoingRecipient.mail, OutgoingRecipient.email)
                  .where(OutgoingRecipient.mail.in_(ids)).order_by(OutgoingRecipient.id)):
            found.setdefault(r.mail_id, []).append(r.email)
    return found
