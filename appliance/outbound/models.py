"""The outgoing queue and its log: one row per message the box sends (as sent, signed),
one per recipient with its delivery state, and every event on the way.  The tables are
the helpdesk database's (``db``), created by migration 2; a message may belong to an item
and to the conversation message it carries."""
from __future__ import annotations

from peewee import BlobField, CharField, ForeignKeyField, IntegerField, TextField

from appliance import clock
from appliance.helpdesk.models import BaseModel, Item, Message, UTCDateTimeField
from appliance.statuses import OutgoingStatus


class OutgoingMail(BaseModel):
    """One message the box sends, as sent (signed), with its delivery state.  A row is the
    durable queue entry: committed means it will be delivered or reported failed."""
    created_at = UTCDateTimeField(default=clock.now)
    kind = CharField(default="reply")  # reply|relay|auto_reply|automated|system|test|postmaster
    item = ForeignKeyField(Item, null=True, backref="outgoing", on_delete="SET NULL")
    conversation_message = ForeignKeyField(Message, null=True, on_delete="SET NULL")
    subject = TextField(default="")
    message_id = CharField(unique=True)
    mail_from = CharField()           # envelope sender
    raw = BlobField()
    status = CharField(default=OutgoingStatus.QUEUED, index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True, index=True)
    finished_at = UTCDateTimeField(null=True)
    # while a delivery run holds the row: its lease's end (= next_attempt_at), so "Retry
    # now" never takes a message out of the run that is sending it (migration 15)
    leased_until = UTCDateTimeField(null=True)


class OutgoingRecipient(BaseModel):
    mail = ForeignKeyField(OutgoingMail, backref="recipients", on_delete="CASCADE")
    email = CharField(index=True)
    status = CharField(default=OutgoingStatus.QUEUED)
    remote = CharField(null=True)         # the server that answered last
    reply = TextField(null=True)          # its reply line
    updated_at = UTCDateTimeField(default=clock.now)


class OutgoingEvent(BaseModel):
    mail = ForeignKeyField(OutgoingMail, backref="events", on_delete="CASCADE")
    at = UTCDateTimeField(default=clock.now)
    event = CharField()   # queued|signed|attempt|delivered|deferred|bounced|failed|suppressed
    detail = TextField(default="")


OUTBOUND_MODELS = [OutgoingMail, OutgoingRecipient, OutgoingEvent]
