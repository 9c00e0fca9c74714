"""The helpdesk's data: items, conversations, people, followers, the incoming log and the
message center (the outgoing queue's tables are :mod:`appliance.outbound.models`).

``db`` is deferred (``SqliteDatabase(None)``) and bound by :func:`open_database`, so every
process (MTA-free worker, web, CLI) opens the same file with the same pragmas.
"""
from __future__ import annotations

import json

from peewee import (JOIN, BooleanField, CharField, DatabaseProxy, DateTimeField,
                    ForeignKeyField, IntegerField, Model, TextField)

from appliance import clock
from appliance.statuses import CopiedState, ItemStatus, Priority

db = DatabaseProxy()


class JSONField(TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class UTCDateTimeField(DateTimeField):
    """Stored as ISO text with offset, read back timezone-aware."""

    def db_value(self, value):
        return clock.iso(value) if value is not None else None

    def python_value(self, value):
        from datetime import datetime
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value)


class BaseModel(Model):
    class Meta:
        database = db


class Setting(BaseModel):
    key = CharField(primary_key=True)
    value = TextField()


class Person(BaseModel):
    """Anyone the helpdesk knows by address: requesters, followers, agents."""
    email = CharField(unique=True)
    name = CharField(null=True)
    created_at = UTCDateTimeField(default=clock.now)

    def to_json(self) -> dict:
        return {"email": self.email, "name": self.name}


class User(BaseModel):
    """A person who logs in: an agent or an admin."""
    person = ForeignKeyField(Person, unique=True, backref="user")
    role = CharField()  # agent | admin
    password_hash = CharField(null=True)
    active = BooleanField(default=True)
    created_at = UTCDateTimeField(default=clock.now)


class ItemType(BaseModel):
    name = CharField(unique=True)           # ticket | task
    capture_local = CharField(unique=True)  # tickets | tasks
    enabled = BooleanField(default=True)


class Item(BaseModel):
    type = ForeignKeyField(ItemType)
    title = TextField()
    status = CharField(default=ItemStatus.OPEN)
    requester = ForeignKeyField(Person, null=True)
    priority = CharField(default=Priority.NORMAL)
    assignee = ForeignKeyField(Person, null=True, backref="assigned")
    due_at = UTCDateTimeField(null=True)
    channel = CharField(default="email")            # email | panel | cli
    automated = CharField(null=True)                 # the incoming mail was automated
    first_response_at = UTCDateTimeField(null=True)  # an agent's first public answer
    description = TextField(default="")
    description_html = TextField(null=True)
    sender_verified = BooleanField(default=True)
    # made from mail that named this other item (a [#N] tag, References) but could not
    # prove it belongs there: an agent decides (see helpdesk/threading.py)
    may_belong_to = ForeignKeyField("self", null=True, backref="maybe_parts",
                                    on_delete="SET NULL")
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)


def with_item(query):
    """``query`` (of a model with an ``item`` key) with its item, the item's type and
    requester read in the same statement: the message center reads them for every
    event and relay entry, one lookup each before."""
    requester = Person.alias()
    return (query.select_extend(Item, ItemType, requester).switch(query.model)
            .join(Item).join(ItemType).switch(Item)
            .join(requester, JOIN.LEFT_OUTER, on=(Item.requester == requester.id),
                  attr="requester")
            .switch(query.model))


class IncomingMail(BaseModel):
    """One entry of the incoming log: one received message and what became of it."""
    spool_id = CharField(unique=True)
    received_at = UTCDateTimeField()
    processed_at = UTCDateTimeField(null=True)
    peer = CharField(null=True)
    helo = CharField(null=True)
    tls = BooleanField(default=False)
    mail_from = CharField(default="")
    rcpt_tos = JSONField(default=list)
    from_email = CharField(null=True)
    from_name = CharField(null=True)
    subject = TextField(default="")
    message_id = CharField(null=True, index=True)
    action = CharField()  # created | appended | ignored | failed
    item = ForeignKeyField(Item, null=True, backref="incoming")
    decision = JSONField(null=True)
    auth = JSONField(null=True)
    reasons = JSONField(default=list)
    error = TextField(null=True)
    size = IntegerField(default=0)


class Message(BaseModel):
    """One message of an item's conversation, public or internal."""
    item = ForeignKeyField(Item, backref="messages")
    author = ForeignKeyField(Person, null=True)
    body = TextField(default="")
    body_html = TextField(null=True)
    internal = BooleanField(default=False)
    message_id = CharField(null=True, index=True)
    incoming = ForeignKeyField(IncomingMail, null=True, on_delete="SET NULL")
    automation = CharField(null=True)   # code of the automation that posted it
    created_at = UTCDateTimeField(default=clock.now)


class Follower(BaseModel):
    item = ForeignKeyField(Item, backref="followers")
    person = ForeignKeyField(Person)

    class Meta:
        indexes = ((("item", "person"), True),)


class Copied(BaseModel):
    """Someone named in To/Cc of mail about an item who does not follow it: ``pending``
    (mail from an unverified sender: follows once an agent posts a public answer) or
    ``listed`` (past the followers one mail may add, or on an unauthenticated reply: shown
    to agents, who may add them).  Gets nothing from the box either way."""
    item = ForeignKeyField(Item, backref="copied", on_delete="CASCADE")
    person = ForeignKeyField(Person, on_delete="CASCADE")
    state = CharField(default=CopiedState.PENDING)
    reason = TextField(default="")
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("item", "person"), True),)


class Attachment(BaseModel):
    message = ForeignKeyField(Message, backref="attachments")
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    path = CharField()  # relative to the attachments directory
    content_id = CharField(null=True)   # an inline part's Content-ID, without <>, lower case


class Seen(BaseModel):
    """A person has seen a message (opened the item)."""
    message = ForeignKeyField(Message, backref="seen")
    person = ForeignKeyField(Person)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("message", "person"), True),)


class MessageIdClaim(BaseModel):
    """One Message-ID makes at most one item: the first spool entry to claim it wins."""
    message_id = CharField(primary_key=True)
    item = ForeignKeyField(Item, null=True)
    spool_id = CharField()


class Blocked(BaseModel):
    """Blocklist entry: an address or a ``*@domain`` pattern (mailboxes that are not people)."""
    pattern = CharField(unique=True)
    created_at = UTCDateTimeField(default=clock.now)


class Automation(BaseModel):
    """A rule of the message center: when (trigger + conditions) it does what (actions)."""
    code = CharField(primary_key=True)      # A02
    name = CharField()
    trigger = CharField()                   # item_created | message_posted | status_changed
    #                                         | due_soon | sla_breached | time_elapsed
    conditions = JSONField(default=dict)
    actions = JSONField(default=list)
    enabled = BooleanField(default=True)
    builtin = BooleanField(default=True)


class AutomationRun(BaseModel):
    """An automation fired once for this key (event id or time trigger): a restart or a
    second worker never fires it again."""
    automation = CharField()
    item = ForeignKeyField(Item, null=True, on_delete="CASCADE")
    key = CharField()
    at = UTCDateTimeField(default=clock.now)
    outcome = TextField(default="")
    error = TextField(null=True)    # the run failed (its template, on this item): why

    class Meta:
        indexes = ((("automation", "item", "key"), True),)


class Event(BaseModel):
    """Something happened to an item; automations look at it once."""
    kind = CharField()                      # item_created | message_posted | status_changed
    item = ForeignKeyField(Item, on_delete="CASCADE")
    message = ForeignKeyField(Message, null=True, on_delete="CASCADE")
    automation = CharField(null=True)       # set when an automation caused it
    detail = JSONField(default=dict)
    at = UTCDateTimeField(default=clock.now)
    processed = BooleanField(default=False, index=True)


class TemplateOverride(BaseModel):
    """An admin's edit of a message-center template; no row means the default."""
    name = CharField(primary_key=True)
    subject = TextField(null=True)
    body = TextField(null=True)
    enabled = BooleanField(default=True)
    updated_at = UTCDateTimeField(default=clock.now)


ALL_MODELS = [Setting, Person, User, ItemType, Item, IncomingMail, Message, Follower,
              Attachment, Seen, MessageIdClaim, Blocked]
# RelayEntry (appliance.helpdesk.relaymodels) is created with these, after them
CENTER_MODELS = [Automation, AutomationRun, Event, TemplateOverride]
TRUST_MODELS = [Copied]
