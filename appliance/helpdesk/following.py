"""Followers from mail are earned, never granted on the sender's word.

Whoever is named in To/Cc gets the box's mail about an item only once that is safe: at
once when the From domain vouches for the mail (an aligned DKIM or SPF pass), else only
after an agent posts a public answer (they are "copied" until then).  One mail adds at most
:data:`MAX_PER_MAIL` followers; the rest are listed on the item, not followed.  A reply
that appends without authentication adds nobody.  Automated mail (auto-replies, every
automation's email) goes only to the requester and to agents and admins, never to people
someone else put in Cc.  Without these rules two forged mails with 200 Cc addresses made
the box send 200 DKIM-signed mails to strangers.

Staff follow what they work on: the assignee and every agent or admin who posts on an item
(in the panel, the command line or by mail) follow it while ``intake.agents_follow`` is on,
so the relay brings them the customer's next messages (:func:`staff_follows`); a
blocklisted address never follows.
"""
from __future__ import annotations

from appliance import addresses
from appliance.helpdesk import people, statements
from appliance.helpdesk.context import is_user
from appliance.helpdesk.models import Blocked, Copied, Follower, Item, Person
from appliance.helpdesk.settingstore import value as setting
from appliance.statuses import CopiedState

MAX_PER_MAIL = 10      # followers (requester included) one mail may add
MAX_RECORDED = 500     # people one mail may name on an item; the rest are only counted
SHOWN = 10             # addresses named in one reason sentence; the item lists them all


def _names(rows: list[Person]) -> str:
    shown = ", ".join(p.email for p in rows[:SHOWN])
    return shown + (f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")


def _copy(item: Item, rows: list[Person], state: str, reason: str) -> None:
    """Record ``rows`` as copied on ``item`` (those already copied keep their state)."""
    for start in range(0, len(rows), 500):
        Copied.insert_many([{"item": item.id, "person": p.id, "state": state,
                             "reason": reason} for p in rows[start:start + 500]]
                           ).on_conflict_ignore().execute()


def bounded(named: list, reasons: list[str]) -> list:
    """The first :data:`MAX_RECORDED` people a mail names (before any database row is
    made for them); the rest are counted in a reason.  A mail naming 20,000 addresses once
    made 20,000 rows inside intake's transaction while every other mail waited."""
    if len(named) <= MAX_RECORDED:
        return named
    reasons.append(f"The mail names {len(named):,} people: only the first {MAX_RECORDED} are "
                   f"recorded on the item; the other {len(named) - MAX_RECORDED:,} are not.")
    return named[:MAX_RECORDED]


def from_mail(item: Item, named: list[Person], verified: bool, new_item: bool,
              why: str, reasons: list[str]) -> list[Person]:
    """Apply the rules to the people ``named`` by one mail (the requester first on a new
    item, then To/Cc; already filtered by classification); returns the new followers."""
    following = {f.person_id for f in Follower.select(Follower.person)
                 .where(Follower.item == item)} if not new_item else set()
    fresh = [p for p in dict.fromkeys(named) if p.id not in following]
    if not fresh:
        return []
    if not new_item and not verified:
        _copy(item, fresh, CopiedState.LISTED, "named in a reply whose sender is not authenticated")
        reasons.append(f"The reply's sender is not authenticated, so nobody it names becomes "
                       f"a follower: {_names(fresh)} listed on item #{item.id} as copied, not "
                       f"followed.")
        return []
    within, beyond = fresh[:MAX_PER_MAIL], fresh[MAX_PER_MAIL:]
    added: list[Person] = []
    if verified:
        added = within
    else:
        # the requester (first on a new item) follows: the item is theirs
        lead = within[:1] if new_item and item.requester_id == within[0].id else []
        added, waiting = lead, within[len(lead):]
        if waiting:
            _copy(item, waiting, CopiedState.PENDING,
                  "named in mail whose sender is not authenticated")
            reasons.append(f"The sender is not authenticated ({why}): {_names(waiting)} "
                           f"{'is' if len(waiting) == 1 else 'are'} copied on item "
                           f"#{item.id} and get nothing from the box until an agent posts "
                           f"a public answer.")
    if added:
        for person in added:   # at most MAX_PER_MAIL, each a statement built once
            statements.insert(Follower, ignore=True, item=item.id, person=person.id)
        if not new_item:   # a new item has no copied people yet but those just listed
            Copied.delete().where(Copied.item == item,
                                  Copied.person.in_([p.id for p in added])).execute()
        if verified:
            reasons.append(f"The sender is authenticated ({why}): {_names(added)} "
                           f"follow{'s' if len(added) == 1 else ''} item #{item.id}.")
    if beyond:
        _copy(item, beyond, CopiedState.LISTED,
              f"past the {MAX_PER_MAIL} followers one mail may add")
        reasons.append(f"At most {MAX_PER_MAIL} followers come from one mail: "
                       f"{_names(beyond)} {'is' if len(beyond) == 1 else 'are'} listed on "
                       f"item #{item.id} as copied, not followed.")
    return added


def promote(item: Item) -> list[Person]:
    """An agent answered publicly: the people waiting as copied now follow (in the
    caller's transaction, before the answer is queued for the relay)."""
    rows = list(Copied.select().where(Copied.item == item, Copied.state == CopiedState.PENDING))
    if not rows:
        return []
    Follower.insert_many([{"item": item.id, "person": r.person_id} for r in rows]
                         ).on_conflict_ignore().execute()
    Copied.delete().where(Copied.id.in_([r.id for r in rows])).execute()
    return [r.person for r in rows]


def follow(item: Item, person: Person) -> bool:
    """An agent adds a follower by hand: they no longer count as copied."""
    Copied.delete().where(Copied.item == item, Copied.person == person).execute()
    return people.follow(item, person)


def copied(item: Item) -> list[Copied]:
    return list(Copied.select(Copied, Person).join(Person).where(Copied.item == item)
                .order_by(Copied.id))


def gets_automated(item: Item, person: Person) -> bool:
    """Automated mail about ``item`` may go to ``person``: its requester, or an agent or
    admin, never anyone else who follows it."""
    return person.id == item.requester_id or is_user(person)


def staff_follows(item: Item, person: Person | None, why: str,
                  reasons: list[str] | None = None) -> bool:
    """An agent or admin who is assigned ``item`` or posts on it follows it (unless
    ``intake.agents_follow`` is off or the blocklist names them); True when they are
    new followers."""
    if person is None or not is_user(person):
        return False
    if not setting("intake.agents_follow", ""):
        return False
    if addresses.matches(person.email, tuple(b.pattern for b in Blocked.select())):
        if reasons is not None:
            reasons.append(f"{person.email} is blocklisted, so it does not follow item "
                           f"#{item.id} although {why}.")
        return False
    if not follow(item, person):
        return False
    if reasons is not None:
        reasons.append(f"{person.email} now follows item #{item.id}: {why}.")
    return True
