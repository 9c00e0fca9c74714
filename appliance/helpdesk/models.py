"""The helpdesk's data: items, conversations, people, followers, mail logs.

``db`` is deferred (``SqliteDatabase(None)``) and bound by :func:`open_database`, so every
process (MTA-free worker, web, CLI) opens the same file with the same pragmas.
"""
from __future__ import annotations

import json

from peewee import (BlobField, BooleanField, CharField, DatabaseProxy, DateTimeField,
                    ForeignKeyField, IntegerField, Model, TextField)

from appliance import clock

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
    status = CharField(default="open")
    requester = ForeignKeyField(Person, null=True)
    description = TextField(default="")
    description_html = TextField(null=True)
    sender_verified = BooleanField(default=True)
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)


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
    created_at = UTCDateTimeField(default=clock.now)


class Follower(BaseModel):
    item = ForeignKeyField(Item, backref="followers")
    person = ForeignKeyField(Person)

    class Meta:
        indexes = ((("item", "person"), True),)


class Attachment(BaseModel):
    message = ForeignKeyField(Message, backref="attachments")
    filename = CharField()
    content_type = CharField()
    size = IntegerField()
    path = CharField()  # relative to the attachments directory


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


class OutgoingMail(BaseModel):
    """One message the box sends, as sent (signed), with its delivery state.  A row is the
    durable queue entry: committed means it will be delivered or reported failed."""
    created_at = UTCDateTimeField(default=clock.now)
    kind = CharField(default="reply")  # reply | relay | auto_reply | automated | system | test
    item = ForeignKeyField(Item, null=True, backref="outgoing", on_delete="SET NULL")
    conversation_message = ForeignKeyField(Message, null=True, on_delete="SET NULL")
    subject = TextField(default="")
    message_id = CharField(unique=True)
    mail_from = CharField()           # envelope sender
    raw = BlobField()
    status = CharField(default="queued", index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True, index=True)
    finished_at = UTCDateTimeField(null=True)


class OutgoingRecipient(BaseModel):
    mail = ForeignKeyField(OutgoingMail, backref="recipients", on_delete="CASCADE")
    email = CharField(index=True)
    status = CharField(default="queued")  # queued | deferred | delivered | bounced | failed
    remote = CharField(null=True)         # the server that answered last
    reply = TextField(null=True)          # its reply line
    updated_at = UTCDateTimeField(default=clock.now)


class OutgoingEvent(BaseModel):
    mail = ForeignKeyField(OutgoingMail, backref="events", on_delete="CASCADE")
    at = UTCDateTimeField(default=clock.now)
    event = CharField()   # queued | signed | attempt | delivered | deferred | bounced | failed
    detail = TextField(default="")


ALL_MODELS = [Setting, Person, User, ItemType, Item, IncomingMail, Message, Follower,
              Attachment, Seen, MessageIdClaim, Blocked]
OUTBOUND_MODELS = [OutgoingMail, OutgoingRecipient, OutgoingEvent]
