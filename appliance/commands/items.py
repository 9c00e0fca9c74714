"""``appliance items``: list, show, reply, seen."""
from __future__ import annotations

from appliance.commands.common import add_config, add_json, emit, open_db
from appliance.errors import CommandError
from appliance.statuses import ItemStatus, Priority, words


DEFAULT_LIMIT = 1000   # a page; `--limit 0` lists everything


def register(sub) -> None:
    items = sub.add_parser("items", help="helpdesk items").add_subparsers(dest="action",
                                                                          metavar="ACTION")
    items.required = True
    p = items.add_parser("list", help="items, newest first")
    add_config(p)
    add_json(p)
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                   help=f"at most this many (default {DEFAULT_LIMIT}; 0: all)")
    p.add_argument("--offset", type=int, default=0, help="skip this many first")
    p.set_defaults(func=cmd_list)
    p = items.add_parser("show", help="one item with its messages")
    add_config(p)
    add_json(p)
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_show)
    p = items.add_parser("reply", help="post a message into an item's conversation")
    add_config(p)
    p.add_argument("id", type=int)
    p.add_argument("--author", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--internal", action="store_true")
    p.set_defaults(func=cmd_reply)
    p = items.add_parser("set", help="change an item's status, priority, assignee, due date")
    add_config(p)
    p.add_argument("id", type=int)
    p.add_argument("--status", choices=words(ItemStatus))
    p.add_argument("--priority", choices=words(Priority))
    p.add_argument("--assignee", help="a user's email, or 'none'")
    p.add_argument("--due", help="ISO 8601 date and time with offset, or 'none'")
    p.set_defaults(func=cmd_set)
    p = items.add_parser("seen", help="mark an item's messages seen by a person")
    add_config(p)
    p.add_argument("id", type=int)
    p.add_argument("--by", required=True)
    p.set_defaults(func=cmd_seen)


def _item(item_id: int):
    from appliance.helpdesk.models import Item
    item = Item.get_or_none(Item.id == item_id)
    if item is None:
        raise CommandError(f"no item #{item_id}")
    return item


def cmd_list(args) -> int:
    import sys

    from appliance.helpdesk.models import Item
    from appliance.helpdesk.views import item_summaries
    if args.limit < 0 or args.offset < 0:
        raise CommandError("--limit and --offset must be 0 or more")
    open_db(args)
    rows = Item.select().order_by(Item.created_at.desc(), Item.id.desc()).offset(args.offset)
    if args.limit:
        rows = rows.limit(args.limit)
    docs = item_summaries(rows)
    lines = [f"#{d['id']:<5} {d['type']:<6} {d['status']:<8} "
             f"{(d['requester'] or {}).get('email') or '-':<30} {d['title']}" for d in docs]
    emit(docs, args.json, "\n".join(lines) or "no items")
    if args.limit and len(docs) == args.limit:
        total = Item.select().count()
        if total > args.offset + len(docs):
            print(f"items {args.offset + 1}-{args.offset + len(docs)} of {total}: "
                  f"--offset {args.offset + len(docs)} for the next page, --limit 0 for all",
                  file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    from appliance.helpdesk.views import item_full
    open_db(args)
    doc = item_full(_item(args.id))
    text = [f"#{doc['id']} [{doc['type']}, {doc['status']}] {doc['title']}",
            f"Requester: {(doc['requester'] or {}).get('email') or '(none)'}",
            "Followers: " + (", ".join(f["email"] for f in doc["followers"]) or "(none)")]
    for m in doc["messages"]:
        who = (m["author"] or {}).get("email") or "(unknown)"
        text.append(f"\n--- {m['created_at']} {who}{' (internal)' if m['internal'] else ''}")
        text.append(m["body"])
    emit(doc, args.json, "\n".join(text))
    return 0


def _user_person(email: str):
    from appliance.helpdesk import people
    person = people.find(email)
    if person is None:
        raise CommandError(f"unknown person {email}: add them with 'appliance users add'")
    return person


def cmd_reply(args) -> int:
    from appliance.helpdesk import conversation
    from appliance.helpdesk.settingstore import value as setting
    from appliance.helpdesk.relaymodels import RelayEntry
    cfg = open_db(args)
    item = _item(args.id)
    author = _user_person(args.author)
    delay = setting("relay.delay_seconds", cfg.domain)
    try:
        message = conversation.post(item, author, args.body, args.internal, delay)
    except conversation.NobodyWouldReceive as exc:
        raise CommandError(str(exc)) from None
    waiting = [e.person.email for e in RelayEntry.select().where(RelayEntry.message == message)]
    print(f"message {message.id} posted on item #{item.id}"
          + (f"; relayed in {delay} s unless seen: {', '.join(waiting)}" if waiting else ""))
    return 0


def cmd_set(args) -> int:
    from datetime import datetime

    from appliance.helpdesk import conversation
    open_db(args)
    item = _item(args.id)
    fields: dict = {"status": args.status, "priority": args.priority}
    if args.assignee:
        fields["assignee"] = None if args.assignee == "none" else _user_person(args.assignee)
    if args.due:
        try:
            due = None if args.due == "none" else datetime.fromisoformat(args.due)
        except ValueError:
            raise CommandError(f"--due: not an ISO 8601 time: {args.due!r}") from None
        if due is not None and due.tzinfo is None:
            raise CommandError("--due needs a UTC offset, e.g. 2026-12-01T09:00:00+00:00")
        fields["due_at"] = due
    changes = conversation.update(item, **fields)
    print(f"item #{item.id}: " + ("; ".join(changes) if changes else "nothing changed"))
    return 0


def cmd_seen(args) -> int:
    from appliance.helpdesk import relay
    open_db(args)
    item = _item(args.id)
    person = _user_person(args.by)
    count = relay.mark_seen(item, person)
    print(f"{count} message(s) of item #{item.id} marked seen by {person.email}")
    return 0
