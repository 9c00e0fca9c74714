"""People in the database: one row per address, found case-insensitively."""
from __future__ import annotations

from appliance import addresses
from appliance.helpdesk import statements
from appliance.helpdesk.models import Follower, Item, Person


def find(email: str) -> Person | None:
    return statements.get(Person, Person.email, email.lower(), lower=True)


def get(person: addresses.Person) -> Person:
    """The row for ``person``, created on first sight; a name fills an empty one."""
    row = find(person.email)
    if row is None:
        return statements.insert(Person, email=person.email, name=person.name)
    if person.name and not row.name:
        row.name = person.name
        row.save()
    return row


def follow(item: Item, person: Person) -> bool:
    """Make ``person`` follow ``item``; False when they already did."""
    _, created = Follower.get_or_create(item=item, person=person)
    return created


def followers(item: Item) -> list[Person]:
    return _FOLLOWERS.rows(item.id)


_FOLLOWERS = statements.Query(lambda item: Person.select().join(Follower)
                              .where(Follower.item == item).order_by(Follower.id), 1)
