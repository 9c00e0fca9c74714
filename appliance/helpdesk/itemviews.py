"""The agent's saved views of the item list: Mine, Unassigned, Waiting for customer,
Overdue and All, each defined once here as data (who it is assigned to, which statuses,
whether its due date has passed) and turned into the two forms the lists need: a peewee
condition for a plain list or count, SQL on the base table ``t`` for a search
(:mod:`appliance.helpdesk.lists`).  docs/panel.md ("Agent views") says the same in words.

"Active" is ``statuses.ACTIVE`` (open or pending): what someone still works on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import Expression

from appliance import clock
from appliance.helpdesk.models import Item, Person, db
from appliance.statuses import ACTIVE, ItemStatus

ME, NOBODY = "me", "nobody"


@dataclass(frozen=True)
class View:
    key: str                          # in the URL: /items?view=mine
    label: str                        # the tab
    meaning: str                      # the tab's title, the docs
    assignee: str | None = None       # ME: the viewer; NOBODY: unassigned; None: anyone
    statuses: tuple[str, ...] = ()    # empty: any status
    overdue: bool = False             # its due date is before now
    by_due: bool = False              # listed by due date, the longest overdue first

    def condition(self, viewer: Person | None, now: datetime) -> Expression | None:
        """The peewee condition on :class:`Item` (None: every item)."""
        parts = []
        if self.assignee == ME:
            parts.append(Item.assignee == (viewer.id if viewer else 0))
        elif self.assignee == NOBODY:
            parts.append(Item.assignee.is_null(True))
        if self.statuses:
            parts.append(Item.status.in_([str(s) for s in self.statuses]))
        if self.overdue:
            parts.append(Item.due_at.is_null(False) & (Item.due_at < now))
        condition = None
        for part in parts:
            condition = part if condition is None else condition & part
        return condition

    def order(self) -> tuple:
        """The list's order without search text (a search lists newest first)."""
        if self.by_due:
            return (Item.due_at, Item.id)
        return (Item.created_at.desc(), Item.id.desc())

    def sql(self, viewer: Person | None, now: datetime) -> list[tuple[str, tuple]]:
        """The same condition as SQL with ``?`` on the base table ``t`` and its values."""
        where: list[tuple[str, tuple]] = []
        if self.assignee == ME:
            where.append(("t.assignee_id = ?", (viewer.id if viewer else 0,)))
        elif self.assignee == NOBODY:
            where.append(("t.assignee_id IS NULL", ()))
        if self.statuses:
            where.append((f"t.status IN ({', '.join('?' * len(self.statuses))})",
                          tuple(str(s) for s in self.statuses)))
        if self.overdue:
            # due dates are stored as UTC ISO text, so text order is time order
            where.append(("t.due_at IS NOT NULL AND t.due_at < ?", (clock.iso(now),)))
        return where


VIEWS: dict[str, View] = {v.key: v for v in [
    View("mine", "Mine", "assigned to you, open or pending", assignee=ME, statuses=ACTIVE),
    View("unassigned", "Unassigned", "assigned to nobody, open or pending",
         assignee=NOBODY, statuses=ACTIVE),
    View("waiting", "Waiting for customer",
         "pending: an agent answered and the customer has not replied yet",
         statuses=(ItemStatus.PENDING,)),
    View("overdue", "Overdue",
         "open or pending with a due date that has passed, the longest overdue first",
         statuses=ACTIVE, overdue=True, by_due=True),
    View("all", "All", "every item, whatever its status"),
]}
DEFAULT = "all"


def find(key: str | None) -> View:
    """The view named ``key``; All for an empty or unknown name."""
    return VIEWS.get((key or "").strip().lower(), VIEWS[DEFAULT])


def counts(viewer: Person | None, now: datetime | None = None) -> dict[str, int]:
    """How many items each view holds (filters and search aside), in one query: one
    ``COUNT(*)`` subquery per view, each answered from an index."""
    now = now or clock.now()
    parts, params = [], []
    for view in VIEWS.values():
        where = view.sql(viewer, now)
        parts.append("(SELECT COUNT(*) FROM item AS t"
                     + (" WHERE " + " AND ".join(sql for sql, _ in where) if where else "")
                     + ")")
        params += [value for _, values in where for value in values]
    row = db.execute_sql(("SELECT " + ", ".join(parts)).replace("?", db.param),
                         params).fetchone()
    return dict(zip(VIEWS, row))


def mine_count(viewer: Person | None, now: datetime | None = None) -> int:
    """The navigation's "Items · N mine"."""
    if viewer is None:
        return 0
    condition = VIEWS["mine"].condition(viewer, now or clock.now())
    return Item.select().where(condition).count()
