"""Every status word the appliance stores or shows, in one place: an item's status and
priority, an outgoing message's (and recipient's) delivery status, an incoming message's
action, a copied person's state and a relay entry's state.

The members are ``StrEnum``: each one *is* its stored string (``ItemStatus.OPEN ==
"open"``), so rows, JSON and templates see the same words as before.  The tuples below
group them the way the code asks (is it still to be worked on, still to be delivered)."""
from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class OutgoingStatus(StrEnum):
    """Of a message and of each of its recipients (the message's comes from theirs)."""
    QUEUED = "queued"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    # automated mail the box chose not to send (auto-reply protection: a rate limit, a
    # no-reply address, a recent bounce); kept in the log with the reason, never sent
    SUPPRESSED = "suppressed"


class IncomingAction(StrEnum):
    """What intake did with a message (the incoming log)."""
    CREATED = "created"
    APPENDED = "appended"
    IGNORED = "ignored"
    FAILED = "failed"


class CopiedState(StrEnum):
    """Of a person named in mail about an item who does not follow it (yet)."""
    PENDING = "pending"   # follows once an agent answers them
    LISTED = "listed"     # shown on the item only


class RelayState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SEEN = "seen"
    SKIPPED = "skipped"
    FAILED = "failed"


# items someone still works on (the time triggers look at these) and items that are done
# (a customer's reply opens them again)
ACTIVE = (ItemStatus.OPEN, ItemStatus.PENDING)
DONE = (ItemStatus.RESOLVED, ItemStatus.CLOSED)

# outgoing mail still to be delivered, and mail whose delivery is over
UNFINISHED = (OutgoingStatus.QUEUED, OutgoingStatus.DEFERRED)
FINISHED = (OutgoingStatus.DELIVERED, OutgoingStatus.BOUNCED, OutgoingStatus.FAILED,
            OutgoingStatus.SUPPRESSED)


def words(enum: type[StrEnum]) -> list[str]:
    """The stored words of ``enum``, in order (for argparse choices, forms, metrics)."""
    return [member.value for member in enum]
