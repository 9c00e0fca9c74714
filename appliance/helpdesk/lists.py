"""The lists of items and of the mail logs, for the panel's pages, the API and the CLI:
newest first, filtered, searched through :mod:`appliance.helpdesk.search` (never a LIKE
scan), so all three find the same rows for the same text.

Without search text a list walks its ``(created_at, id)`` index.  With search text it walks
the search index in descending row id (newest first) joined to the base table for the
filters, and stops at the page's last row.  A saved view (:mod:`itemviews`) is one more
condition on either."""
from __future__ import annotations

from datetime import datetime

from peewee import JOIN, fn

from appliance import clock
from appliance.helpdesk import itemviews
from appliance.helpdesk.models import IncomingMail, Item, ItemType, Message, Person, Seen
from appliance.helpdesk.search import item_number, match_expression, search_ids
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.statuses import OutgoingStatus


def _in_order(query, model, ids: list[int]) -> list:
    rows = {row.id: row for row in query.where(model.id.in_(ids))} if ids else {}
    return [rows[i] for i in ids if i in rows]


def _with_number(found: list, number: int | None, lookup, offset: int) -> list:
    """``#N`` (or a bare number) also names entry/item N: shown first on the first page."""
    if number is None or offset:
        return found
    row = lookup(number)
    return ([row] + [r for r in found if r.id != number]) if row is not None else found


def items(text: str = "", type_name: str = "", status: str = "", requester: str = "",
          assignee: str = "", limit: int = 50, offset: int = 0, view: str = "",
          viewer: Person | None = None, now: datetime | None = None,
          since: datetime | None = None) -> list[Item]:
    """Items with their type, requester and assignee joined, newest first (Overdue without
    search text: by due date); ``view`` one of :data:`itemviews.VIEWS` (Mine:
    ``viewer``'s), combined with the filters and search; ``since``: created between then
    and ``now`` (the window a home page figure counted)."""
    assigned = Person.alias()
    query = (Item.select(Item, ItemType, Person, assigned).join(ItemType)
             .switch(Item).join(Person, JOIN.LEFT_OUTER, on=(Item.requester == Person.id))
             .switch(Item).join(assigned, JOIN.LEFT_OUTER,
                                on=(Item.assignee == assigned.id)))
    saved = itemviews.find(view)
    now = now or clock.now()
    in_view = saved.condition(viewer, now)
    if in_view is not None:
        query = query.where(in_view)
    if since is not None:
        query = query.where(Item.created_at >= since, Item.created_at <= now)
    agent_id = None
    if assignee:
        agent = Person.get_or_none(Person.email == assignee.strip().lower())
        if agent is None:
            return []
        agent_id = agent.id
    parts = []
    if text:
        expr = match_expression(text)
        if expr is None and item_number(text) is None:
            return []
        if expr:
            parts.append(expr)
    if requester:
        expr = match_expression(requester, "requester")
        if expr is None:
            return []
        parts.append(expr)
    if parts:
        where = list(saved.sql(viewer, now))
        if status:
            where.append(("t.status = ?", status))
        if type_name:
            where.append(("t.type_id = (SELECT id FROM itemtype WHERE name = ?)", type_name))
        if agent_id is not None:
            where.append(("t.assignee_id = ?", agent_id))
        if since is not None:
            where += [("t.created_at >= ?", Item.created_at.db_value(since)),
                      ("t.created_at <= ?", Item.created_at.db_value(now))]
        ids = search_ids("item", " AND ".join(f"({p})" for p in parts), where, limit,
                         offset)
        found = _in_order(query, Item, ids)
    elif text:
        found = []   # only a number was typed
    else:
        if type_name:
            query = query.where(ItemType.name == type_name)
        if status:
            query = query.where(Item.status == status)
        if agent_id is not None:
            query = query.where(Item.assignee == agent_id)
        return list(query.order_by(*saved.order()).limit(limit).offset(offset))

    def lookup(number):
        row = query.where(Item.id == number).first()
        if row is None or (status and row.status != status) or \
                (type_name and row.type.name != type_name):
            return None
        return row
    return _with_number(found, item_number(text) if text else None, lookup, offset)


def unread(items: list[Item], viewer: Person | None) -> set[int]:
    """The ids of those ``items`` with a message ``viewer`` has not seen (opening an item
    marks its messages seen: :func:`relay.mark_seen`), in one query."""
    ids = [i.id for i in items]
    if not ids or viewer is None:
        return set()
    seen = Seen.select(Seen.id).where(Seen.message == Message.id, Seen.person == viewer.id)
    return {row[0] for row in Message.select(Message.item).where(
        Message.item.in_(ids), ~fn.EXISTS(seen)).distinct().tuples()}


def _log(model, table: str, time_field, column: str, value: str, text: str,
         limit: int, offset: int, since: datetime | None) -> list:
    query = model.select()
    if since is not None:
        query = query.where(time_field >= since)
    if not text:
        if value:
            query = query.where(getattr(model, column) == value)
        return list(query.order_by(time_field.desc(), model.id.desc())
                    .limit(limit).offset(offset))
    number, expr = item_number(text), match_expression(text)
    found = []
    if expr:
        where = [(f"t.{column} = ?", value)] if value else []
        if since is not None:
            where.append((f"t.{time_field.column_name} >= ?", time_field.db_value(since)))
        found = _in_order(query, model, search_ids(table, expr, where, limit, offset))
    elif number is None:
        return []
    if number is not None and not offset:
        by_item = query.where(model.item == number)
        if value:
            by_item = by_item.where(getattr(model, column) == value)
        seen = {r.id for r in found}
        found = [r for r in by_item.order_by(model.id.desc()).limit(limit)
                 if r.id not in seen] + found
    return found[:limit]


def incoming(text: str = "", action: str = "", limit: int = 50, offset: int = 0,
             since: datetime | None = None):
    """The incoming log, newest first; ``since``: received then or later."""
    return _log(IncomingMail, "incomingmail", IncomingMail.received_at,
                "action", action, text, limit, offset, since)


def outgoing(text: str = "", status: str = "", limit: int = 50, offset: int = 0,
             since: datetime | None = None):
    """The outgoing log, newest first; ``since``: created then or later."""
    return _log(OutgoingMail, "outgoingmail", OutgoingMail.created_at,
                "status", status, text, limit, offset, since)


def suppressed_reasons(mails) -> dict[int, str]:
    """Why each suppressed mail of a page was not sent, in one query."""
    ids = [m.id for m in mails if m.status == OutgoingStatus.SUPPRESSED]
    if not ids:
        return {}
    return {r.mail_id: r.reply or "" for r in
            OutgoingRecipient.select(OutgoingRecipient.mail, OutgoingRecipient.reply)
            .where(OutgoingRecipient.mail.in_(ids))}


def outgoing_recipients(mails) -> dict[int, list[str]]:
    """Recipients of a page of outgoing mail, in one query."""
    found: dict[int, list[str]] = {}
    ids = [m.id for m in mails]
    if ids:
        for r in (OutgoingRecipient.select(OutgoingRecipient.mail, OutgoingRecipient.email)
                  .where(OutgoingRecipient.mail.in_(ids)).order_by(OutgoingRecipient.id)):
            found.setdefault(r.mail_id, []).append(r.email)
    return found
