"""Items for agents and admins: the list with filters and search, the item page with its
conversation (public and internal apart), reply, internal note, status and followers.
Opening an item marks its messages seen by the viewer."""
from __future__ import annotations

import bottle
from peewee import JOIN

from appliance import addresses, clock
from appliance.helpdesk import conversation, people
from appliance.helpdesk.models import Item, ItemType, Message, Person, Seen, db
from appliance.helpdesk.views import bounced_addresses
from appliance.webadmin import queries, security
from appliance.webadmin.pages import Paging, done, render

# Fields the lead adds for issue 5; shown when the model has them.
OPTIONAL_FIELDS = [("priority", "Priority"), ("assignee", "Assignee"), ("due_at", "Due")]


def mark_seen(item: Item, person: Person) -> int:
    now = clock.now()
    rows = [{"message": m.id, "person": person.id, "at": now}
            for m in item.messages.select(Message.id)]
    if not rows:
        return 0
    with db.atomic():
        return Seen.insert_many(rows).on_conflict_ignore().execute() or 0


def optional_fields(item: Item) -> list[tuple[str, str]]:
    shown = []
    for name, label in OPTIONAL_FIELDS:
        if name not in Item._meta.fields:
            continue
        value = getattr(item, name, None)
        if isinstance(value, Person):
            value = value.name or value.email
        elif hasattr(value, "isoformat"):
            value = clock.iso(value)
        shown.append((label, value if value not in (None, "") else "—"))
    return shown


def post(cfg, item: Item, author: Person, body: str, internal: bool) -> tuple[Message, str]:
    """Post through :func:`conversation.post` (which queues the mail or the relay); the
    second value says in words what happens next."""
    import inspect
    if "mailer" in inspect.signature(conversation.post).parameters:
        from appliance.helpdesk.mailer import Mailer
        message, mails = conversation.post(Mailer(cfg), item, author, body, internal)
        return message, (f"{len(mails)} email(s) queued to followers" if mails
                         else "no follower gets an email")
    from appliance.helpdesk.intake import setting
    delay = int(setting("relay.delay_seconds", cfg.domain))
    message = conversation.post(item, author, body, internal, relay_delay=delay)
    return message, f"followers who have not seen it within {delay} s get it by email"


def set_status(item: Item, status: str) -> None:
    if hasattr(conversation, "update"):
        conversation.update(item, status=status)  # records the event automations use
    else:
        item.status = status
        item.updated_at = clock.now()
        item.save()


def routes(app: bottle.Bottle, cfg) -> None:

    def _item(item_id: int) -> Item:
        return Item.get_or_none(Item.id == item_id) or bottle.abort(404, "No such item.")

    @app.get("/")
    def home():
        bottle.redirect("/items")

    @app.get("/items")
    def item_list():
        q = bottle.request.query
        filters = {"text": (q.getunicode("q") or "").strip(),
                   "type_name": q.getunicode("type") or "",
                   "status": q.getunicode("status") or "",
                   "requester": (q.getunicode("requester") or "").strip(),
                   "assignee": (q.getunicode("assignee") or "").strip()}
        paging = Paging()
        rows = paging.cut(queries.items(**filters, limit=paging.size + 1,
                                        offset=paging.offset))
        return render("items.html", rows=rows, paging=paging, filters=filters,
                      types=[t.name for t in ItemType.select().order_by(ItemType.name)],
                      statuses=queries.ITEM_STATUSES,
                      has_assignee="assignee" in Item._meta.fields)

    @app.get("/items/<item_id:int>")
    def item_page(item_id):
        item = _item(item_id)
        user = security.current_user()
        mark_seen(item, user.person)
        messages = list(item.messages.select(Message, Person)
                        .join(Person, on=(Message.author == Person.id), join_type=JOIN.LEFT_OUTER)
                        .order_by(Message.created_at, Message.id))
        return render("item.html", item=item, messages=messages,
                      followers=people.followers(item), bounced=bounced_addresses(item),
                      optional=optional_fields(item), statuses=queries.ITEM_STATUSES)

    @app.get("/items/<item_id:int>/messages/<message_id:int>/frame")
    def message_frame(item_id, message_id):
        from appliance.webadmin.mailpages import frame
        message = Message.get_or_none(Message.id == message_id, Message.item == item_id) \
            or bottle.abort(404)
        return frame(message.body_html or "")

    @app.post("/items/<item_id:int>/messages")
    def post_message(item_id):
        item = _item(item_id)
        body = (bottle.request.forms.getunicode("body") or "").strip()
        internal = bottle.request.forms.get("kind") == "note"
        if not body:
            done("Write something first: the message was empty.", f"/items/{item_id}#reply")
        user = security.current_user()
        message, next_step = post(cfg, item, user.person, body, internal)
        mark_seen(item, user.person)
        what = "Internal note added" if internal else "Reply posted"
        done(f"{what}; {next_step}.", f"/items/{item_id}#m{message.id}")

    @app.post("/items/<item_id:int>/status")
    def change_status(item_id):
        item = _item(item_id)
        status = bottle.request.forms.getunicode("status") or ""
        if status not in queries.ITEM_STATUSES:
            bottle.abort(400, "Unknown status.")
        set_status(item, status)
        done(f"Status set to {status}.", f"/items/{item_id}")

    @app.post("/items/<item_id:int>/followers")
    def add_follower(item_id):
        item = _item(item_id)
        value = bottle.request.forms.getunicode("email") or ""
        email = addresses.normalize(value)
        if not email:
            done(f"Not an email address: {value}", f"/items/{item_id}#followers")
        with db.atomic():
            added = people.follow(item, people.get(addresses.Person(email, None)))
        done(f"{email} {'now follows' if added else 'already follows'} this item.",
             f"/items/{item_id}#followers")

    @app.post("/items/<item_id:int>/followers/remove")
    def remove_follower(item_id):
        from appliance.helpdesk.models import Follower
        item = _item(item_id)
        person = people.find(bottle.request.forms.getunicode("email") or "")
        if person:
            Follower.delete().where(Follower.item == item, Follower.person == person).execute()
        done("Follower removed.", f"/items/{item_id}#followers")
