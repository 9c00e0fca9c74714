"""Items for agents and admins: the list with filters and search, the item page with its
conversation (public and internal apart), reply, internal note, status, priority,
assignee, due date and followers.  Opening an item marks its messages seen by the viewer
(:func:`relay.mark_seen`: they are not relayed to them by email).  Posting and changing
fields go through :mod:`appliance.helpdesk.conversation`, like the command line."""
from __future__ import annotations

from datetime import datetime, timezone

import bottle
from peewee import JOIN

from appliance import addresses, clock
from appliance.helpdesk import (conversation, following, itemviews, lists, people,
                                relay)
from appliance.helpdesk.settingstore import value as setting
from appliance.helpdesk.models import IncomingMail, Item, ItemType, Message, Person, User, db
from appliance.helpdesk.relaymodels import RelayEntry
from appliance.helpdesk.search import exact_item
from appliance.helpdesk.views import AUTOMATED_WORDS, automated_kind, item_summary
from appliance.settings import SettingError
from appliance.statuses import ItemStatus, Priority, RelayState, words
from appliance.helpdesk.attachments import of_messages
from appliance.webadmin import attachments, security
from appliance.webadmin.pages import Paging, done, panel_tz, render, since_filter


def post(cfg, item: Item, author: Person, body: str, internal: bool, files=()
         ) -> tuple[Message, str]:
    """Post through :func:`conversation.post`, which stores ``files`` with the message
    and queues the relay; the second value says in words what happens next."""
    delay = setting("relay.delay_seconds", cfg.domain)
    message = conversation.post(item, author, body, internal, relay_delay=delay,
                                files=files, attachments_dir=cfg.attachments_dir)
    waiting = [e.person.email for e in RelayEntry.select().where(RelayEntry.message == message)]
    if not waiting:
        return message, "nobody else follows it, so it is not mailed to anyone"
    return message, (f"{', '.join(waiting[:5])}{' and others' if len(waiting) > 5 else ''} "
                     f"get{'s' if len(waiting) == 1 else ''} it by email unless they see it "
                     f"within {delay} s")


DUE_FORMAT = "%Y-%m-%d %H:%M"   # 2026-12-01 17:00: the same in every browser's language


def due_text(moment: datetime | None) -> str:
    """The Due field's value for a stored (UTC) due date."""
    return moment.astimezone(panel_tz()[0]).strftime(DUE_FORMAT) if moment else ""


def parse_due(value: str) -> datetime | None:
    """The Due field (``YYYY-MM-DD HH:MM``, ``YYYY-MM-DDTHH:MM`` or ``YYYY-MM-DD``, in
    the panel's timezone) as a UTC moment; None when empty."""
    value = value.strip()
    if not value:
        return None
    zone, name = panel_tz()
    for pattern in (DUE_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=zone) \
                .astimezone(timezone.utc)
        except ValueError:
            continue
    raise SettingError(f"Due ({name}): {value!r} is not a date and time like "
                       f"2026-12-01 17:00 (year-month-day, then 24-hour time)")


def users() -> list[Person]:
    """The people an item can be assigned to: active agents and admins."""
    return list(Person.select().join(User).where(User.active == True)  # noqa: E712
                .order_by(Person.name, Person.email))


def routes(app: bottle.Bottle, cfg) -> None:

    def _item(item_id: int) -> Item:
        return Item.get_or_none(Item.id == item_id) or bottle.abort(404, "No such item.")

    @app.get("/items")
    def item_list():
        q = bottle.request.query
        filters = {"text": (q.getunicode("q") or "").strip(),
                   "type_name": q.getunicode("type") or "",
                   "status": q.getunicode("status") or "",
                   "requester": (q.getunicode("requester") or "").strip(),
                   "assignee": (q.getunicode("assignee") or "").strip()}
        number = exact_item(filters["text"])   # "#7" opens item 7
        if number is not None and Item.get_or_none(Item.id == number) is not None:
            bottle.redirect(f"/items/{number}", 303)
        view = itemviews.find(q.getunicode("view"))
        viewer = security.current_user().person
        now = clock.now()
        paging, since = Paging(), since_filter()
        rows = paging.cut(lists.items(**filters, limit=paging.size + 1,
                                      offset=paging.offset, view=view.key, viewer=viewer,
                                      now=now, since=since.moment))
        # the tabs keep the search and filters; the filter form keeps the view
        kept = {k: v for k, v in q.items() if k not in ("view", "page") and v}
        tabs = [(v, "/items?" + bottle.urlencode({"view": v.key, **kept}))
                for v in itemviews.VIEWS.values()]
        return render("items.html", rows=rows, paging=paging, filters=filters,
                      types=[t.name for t in ItemType.select().order_by(ItemType.name)],
                      statuses=words(ItemStatus), view=view, tabs=tabs, since=since,
                      counts=itemviews.counts(viewer, now),
                      unread=lists.unread(rows, viewer), now=now, has_assignee=True,
                      **({"flash": f"No item #{number}."} if number is not None else {}))

    @app.get("/items/<item_id:int>")
    def item_page(item_id):
        return _page(_item(item_id))

    def _page(item: Item, reply_error: str | None = None, draft: str = ""):
        user = security.current_user()
        relay.mark_seen(item, user.person)
        messages = list(item.messages.select(Message, Person, IncomingMail.id,
                                             IncomingMail.decision)
                        .join(Person, on=(Message.author == Person.id), join_type=JOIN.LEFT_OUTER)
                        .switch(Message)
                        .join(IncomingMail, on=(Message.incoming == IncomingMail.id),
                              join_type=JOIN.LEFT_OUTER)
                        .order_by(Message.created_at, Message.id))
        automated = {m.id: AUTOMATED_WORDS.get(automated_kind(m) or "") for m in messages}
        files = {i: attachments.listing(rows) for i, rows in of_messages(messages).items()}
        summary = item_summary(item)
        return render("item.html", item=item, messages=messages,
                      automated=automated,
                      followers=people.followers(item), copied=following.copied(item),
                      bounced=summary["bounced"],
                      requester_bounced=summary["requester_bounced"],
                      statuses=words(ItemStatus), priorities=words(Priority),
                      assignees=users(),
                      due_value=due_text(item.due_at),
                      due_zone=panel_tz()[1],
                      reply_error=reply_error, draft=draft, files=files,
                      upload_limit=attachments.upload_limit(cfg),
                      reaches_customer=conversation.reaches_customer(item, user.person))

    @app.get("/items/<item_id:int>/messages/<message_id:int>/frame")
    def message_frame(item_id, message_id):
        from appliance.webadmin.mailpages import frame
        message = Message.get_or_none(Message.id == message_id, Message.item == item_id) \
            or bottle.abort(404)
        return frame(message.body_html or "", attachments.message_images(cfg, message))

    @app.post("/items/<item_id:int>/messages")
    def post_message(item_id):
        item = _item(item_id)
        body = (bottle.request.forms.getunicode("body") or "").strip()
        internal = bottle.request.forms.get("kind") == "note"
        try:
            files = attachments.read_uploads("files", attachments.upload_limit(cfg))
        except attachments.TooLarge as exc:
            bottle.response.status = 413    # the text stays in the form, nothing is posted
            return _page(item, reply_error=str(exc), draft=body)
        if not body:
            if files:
                bottle.response.status = 400
                return _page(item, reply_error="Nothing was posted: write a few words to go "
                             "with the attached files (and attach them again).")
            done("Write something first: the message was empty.", f"/items/{item_id}#reply")
        user = security.current_user()
        try:
            message, next_step = post(cfg, item, user.person, body, internal, files)
        except conversation.NobodyWouldReceive as exc:
            bottle.response.status = 409    # the reply stays in the form, nothing is posted
            again = " Attach the files again when you send it." if files else ""
            return _page(item, reply_error=str(exc) + again, draft=body)
        relay.mark_seen(item, user.person)
        what = "Internal note added" if internal else "Reply posted"
        if files:
            what += f" with {len(files)} attachment{'s' if len(files) != 1 else ''}"
        done(f"{what}; {next_step}.", f"/items/{item_id}#m{message.id}")

    @app.post("/items/<item_id:int>/status")
    def change_status(item_id):
        item = _item(item_id)
        status = bottle.request.forms.getunicode("status") or ""
        if status not in words(ItemStatus):
            bottle.abort(400, f"Status: “{status}” is not one of {', '.join(ItemStatus)}.")
        conversation.update(item, status=status)
        done(f"Status set to {status}.", f"/items/{item_id}")

    @app.post("/items/<item_id:int>/fields")
    def change_fields(item_id):
        """Status, priority, assignee and due date in one form."""
        item = _item(item_id)
        form = bottle.request.forms
        status = form.getunicode("status") or None
        priority = form.getunicode("priority") or None
        assignee: Person | None | bool = False
        if "assignee" in form:
            value = form.getunicode("assignee") or ""
            assignee = None
            if value:
                assignee = next((p for p in users() if str(p.id) == value), None)
                if assignee is None:
                    bottle.abort(400, "Assignee: choose an active agent or admin.")
        try:
            due = parse_due(form.getunicode("due_at") or "") \
                if "due_at" in form else False
            changes = conversation.update(item, status=status, priority=priority,
                                          assignee=assignee, due_at=due,
                                          by=security.current_user().person)
        except SettingError as exc:
            bottle.abort(400, f"Nothing changed: {exc}.")
        done(("Changed: " + "; ".join(changes) + ".") if changes else "Nothing to change.",
             f"/items/{item_id}")

    @app.post("/items/<item_id:int>/followers")
    def add_follower(item_id):
        item = _item(item_id)
        value = bottle.request.forms.getunicode("email") or ""
        email = addresses.normalize(value)
        if not email:
            done(f"Add a follower: “{value}” is not an email address.",
                 f"/items/{item_id}#followers")
        delay = setting("relay.delay_seconds", cfg.domain)
        with db.atomic():
            person = people.get(addresses.Person(email, None))
            added = conversation.add_follower(item, person, delay)
        caught_up = added and RelayEntry.select().where(
            RelayEntry.item == item, RelayEntry.person == person,
            RelayEntry.state == RelayState.PENDING).exists()
        done(f"{email} {'now follows' if added else 'already follows'} this item"
             + (f"; they get the last answer by email within {delay} s." if caught_up
                else "."), f"/items/{item_id}#followers")

    @app.post("/items/<item_id:int>/followers/remove")
    def remove_follower(item_id):
        from appliance.helpdesk.models import Follower
        item = _item(item_id)
        person = people.find(bottle.request.forms.getunicode("email") or "")
        if person:
            Follower.delete().where(Follower.item == item, Follower.person == person).execute()
        done("Follower removed.", f"/items/{item_id}#followers")
