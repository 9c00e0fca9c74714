"""The relay's table: a posted message waiting to be mailed to a follower, and the outgoing
mail that carried it.  Apart from :mod:`appliance.helpdesk.models` because it points at
the outgoing queue (:mod:`appliance.outbound.models`), which points at items: the three
modules import in that order, never in a circle.  Migration 4 creates it."""
from __future__ import annotations

from peewee import CharField, ForeignKeyField, TextField

from appliance.helpdesk.models import BaseModel, Item, Message, Person, UTCDateTimeField
from appliance.outbound.models import OutgoingMail
from appliance.statuses import RelayState


class RelayEntry(BaseModel):
    """A posted message waiting to be mailed to one follower unless they see it first."""
    message = ForeignKeyField(Message, on_delete="CASCADE")
    person = ForeignKeyField(Person, on_delete="CASCADE")
    item = ForeignKeyField(Item, on_delete="CASCADE")
    due_at = UTCDateTimeField(index=True)
    state = CharField(default=RelayState.PENDING, index=True)
    mail = ForeignKeyField(OutgoingMail, null=True, on_delete="SET NULL")
    done_at = UTCDateTimeField(null=True)
    error = TextField(null=True)    # failed: why (the relay template, on this item)

    class Meta:
        indexes = ((("message", "person"), True),)
