"""The status workflow: an item's status follows the conversation, whatever way a message
came (the panel, ``appliance items reply``, mail), so nobody has to move it by hand.

- an agent's public answer to an ``open`` item makes it ``pending`` (waiting for the
  customer); a ``pending``, ``resolved`` or ``closed`` item stays as it is (the agent chose
  that, and a reply form does not ask again);
- a customer's reply (anyone who is not an active agent or admin, or mail from an agent's
  address that did not prove its sender) makes a ``pending``, ``resolved`` or ``closed``
  item ``open`` again;
- internal notes, messages automations post and automated mail (auto-replies, bounces,
  lists) never change it;
- a ``resolved`` item closes ``workflow.close_resolved_days`` days after it was resolved:
  the worker's scheduler does it with the injected clock (:func:`close_resolved`).

Every change, by these rules, by hand or by an automation, goes through
:func:`set_status`: it records a ``status_changed`` event (``from``, ``to``, ``why``),
which the automations' trigger "an item's status changes" looks at."""
from __future__ import annotations

from datetime import datetime, timedelta

from appliance import clock
from appliance.helpdesk.context import is_user
from appliance.helpdesk.models import Event, Item, Person, db
from appliance.statuses import ItemStatus

AGENT_ANSWERED = "an agent answered"
CUSTOMER_REPLIED = "the customer replied"
CLOSE_BATCH = 200


def set_status(item: Item, status: str, why: str, by: Person | None = None,
               automation: str | None = None, now: datetime | None = None) -> bool:
    """Give ``item`` its new status and record the event; False when it had it already.
    The caller saves the item (with its other changes, in its transaction)."""
    if status == item.status:
        return False
    now = now or clock.now()
    detail = {"from": item.status, "to": str(status), "why": why}
    if by is not None:
        detail["by"] = by.id   # whoever made the change is not told of it (automations)
    Event.create(kind="status_changed", item=item, automation=automation, detail=detail,
                 at=now)
    item.status = status
    item.status_changed_at = now
    return True


def after_message(item: Item, author: Person | None, *, internal: bool, automated: bool,
                  verified: bool = True, now: datetime | None = None) -> str | None:
    """Apply the rules above to a message just posted on ``item``; returns the change in
    words ("pending -> open: the customer replied") or None.  ``verified``: mail whose
    sender was proven (a panel or command-line author always is)."""
    if internal or automated or author is None:
        return None
    before = item.status
    if is_user(author) and verified:
        if item.status != ItemStatus.OPEN:
            return None
        changed = set_status(item, ItemStatus.PENDING, AGENT_ANSWERED, by=author, now=now)
        why = AGENT_ANSWERED
    else:
        changed = set_status(item, ItemStatus.OPEN, CUSTOMER_REPLIED, now=now)
        why = CUSTOMER_REPLIED
    return f"{before} -> {item.status}: {why}" if changed else None


def close_resolved(days: int, now: datetime | None = None, limit: int = CLOSE_BATCH) -> int:
    """Close the items resolved at least ``days`` days ago; returns how many.  Each one
    by a conditional UPDATE, so an item a reply reopened meanwhile stays open."""
    now = now or clock.now()
    cutoff = now - timedelta(days=days)
    still = (Item.status == ItemStatus.RESOLVED) & (Item.status_changed_at <= cutoff)
    due = [row.id for row in Item.select(Item.id).where(still)
           .order_by(Item.status_changed_at, Item.id).limit(limit)]
    why = f"resolved for {days} day{'' if days == 1 else 's'}"
    closed = 0
    with db.atomic():
        for item_id in due:
            if Item.update(status=ItemStatus.CLOSED, status_changed_at=now, updated_at=now) \
                    .where(Item.id == item_id, still).execute():
                Event.create(kind="status_changed", item=item_id, at=now,
                             detail={"from": ItemStatus.RESOLVED.value,
                                     "to": ItemStatus.CLOSED.value, "why": why})
                closed += 1
    return closed
