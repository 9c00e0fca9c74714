"""Changing an item from the panel or the command line: posting a message, setting its
fields.  Each change records its event for automations, and a posted message is queued
for the relay (followers who do not see it within the delay get it by email)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Sequence

from appliance import clock
from appliance.helpdesk import attachments, context, following, people, relay, workflow
from appliance.helpdesk.mailparse import Part
from appliance.helpdesk.models import Event, Item, Message, Person, Seen, db
from appliance.settings import SettingError
from appliance.statuses import CopiedState, ItemStatus, Priority, words


NOBODY = "nobody would receive this: add the customer as a follower"


class NobodyWouldReceive(ValueError):
    """A public reply that would reach no customer by email; the message says what to do."""


def reply_receivers(item: Item, author: Person | None) -> list[Person]:
    """Who a public reply by ``author`` would reach by email: the followers but the author,
    and the people waiting as copied (the answer makes them followers)."""
    waiting = [c.person for c in following.copied(item) if c.state == CopiedState.PENDING]
    return [p for p in people.followers(item) + waiting
            if author is None or p.id != author.id]


def reaches_customer(item: Item, author: Person | None) -> bool:
    """A public reply is for the customer: it must reach the requester or someone who is
    not staff (staff alone would be told about an answer nobody outside gets)."""
    return any(p.id == item.requester_id or not context.is_user(p)
               for p in reply_receivers(item, author))


def post(item: Item, author: Person | None, body: str, internal: bool = False,
         relay_delay: int = 60, files: Sequence[Part] = (),
         attachments_dir: Path | None = None) -> Message:
    """Post a message; returns it.  Its author has seen it; the relay has the rest (with
    ``files``, stored under ``attachments_dir`` before the transaction opens).  An
    agent's public answer makes the people copied on the item followers first.  An agent's
    public reply that no customer would receive is refused (:class:`NobodyWouldReceive`): it
    would otherwise sit on the item as if sent."""
    now = clock.now()
    if not internal and context.is_user(author) and not reaches_customer(item, author):
        raise NobodyWouldReceive(
            f"Nothing was sent: {NOBODY} (or post it as an internal note). Item #{item.id} "
            + (f"has the requester {item.requester.email}, who does not follow it"
               if item.requester_id else "has no requester")
            + (", and no other customer follows it." if item.requester_id
               else " and no customer follows it."))
    if files and attachments_dir is None:
        raise ValueError("files need the attachments directory")
    stored = [attachments.store(attachments_dir, f.filename, f.content_type, f.data)
              for f in files]
    with db.atomic():
        message = Message.create(item=item, author=author, body=body, internal=internal,
                                 created_at=now)
        attachments.add(message, stored)
        if author is not None:
            Seen.get_or_create(message=message, person=author)
        following.staff_follows(item, author, "they posted on it")
        if not internal and context.is_user(author):
            if item.first_response_at is None:
                item.first_response_at = now
            following.promote(item)   # the people copied on the mail hear the answer
        # an agent's answer: waiting for the customer; a customer's words: open again
        workflow.after_message(item, author, internal=internal, automated=False, now=now)
        item.updated_at = now
        item.save()
        Event.create(kind="message_posted", item=item, message=message, at=now)
        relay.enqueue(message, relay_delay)
    return message


def add_follower(item: Item, person: Person, relay_delay: int = 60) -> bool:
    """An agent adds a follower by hand; False when they already followed.  A new
    follower who never received the item's last public answer gets it through the relay
    (with the conversation so far) once the relay delay has passed unseen."""
    with db.atomic():
        added = following.follow(item, person)
        if added:
            relay.catch_up(item, person, relay_delay)
    return added


def update(item: Item, *, status: str | None = None, priority: str | None = None,
           assignee: Person | None | bool = False, due_at: datetime | None | bool = False,
           by: Person | None = None) -> list[str]:
    """Change fields (``False`` leaves one as it is); returns what changed, in words.
    ``by``: who changes them (the panel's user; None from the command line).  A new
    assignee follows the item and an ``item_assigned`` event tells automations ("Assigned
    to you")."""
    if status is not None and status not in words(ItemStatus):
        raise SettingError(f"Status: “{status}” is not one of {', '.join(ItemStatus)}")
    if priority is not None and priority not in words(Priority):
        raise SettingError(f"Priority: “{priority}” is not one of {', '.join(Priority)}")
    changes = []
    now = clock.now()
    with db.atomic():
        if status is not None and status != item.status:
            changes.append(f"status {item.status} -> {status}")
            workflow.set_status(item, status, "changed by hand", by=by, now=now)
        if priority is not None and priority != item.priority:
            changes.append(f"priority {item.priority} -> {priority}")
            item.priority = priority
        if assignee is not False and assignee != item.assignee:
            changes.append(f"assignee -> {assignee.email if assignee else 'nobody'}")
            item.assignee = assignee
            if assignee is not None:
                following.staff_follows(item, assignee, "it is assigned to them")
                latest = (Message.select().where(Message.item == item,
                                                 Message.internal == False)  # noqa: E712
                          .order_by(Message.created_at.desc(), Message.id.desc()).first())
                Event.create(kind="item_assigned", item=item, message=latest, at=now,
                             detail={"assignee": assignee.id,
                                     "by": by.id if by is not None else None})
        if due_at is not False and due_at != item.due_at:
            changes.append(f"due -> {clock.iso(due_at) if due_at else 'none'}")
            item.due_at = due_at
        if changes:
            item.updated_at = now
            item.save()
    return changes
