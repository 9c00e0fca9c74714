"""The hot statements (appliance.helpdesk.statements) write and read exactly what peewee's
``create``, ``get_or_none``, ``save(only=...)`` and selects do, on a real SQLite file and,
in the suite's PostgreSQL run, on PostgreSQL; and they no longer build SQL per call."""
from __future__ import annotations

from datetime import timedelta

import peewee
import pytest
from conftest import Box


@pytest.fixture
def db(box: Box):
    box.db()
    from appliance.helpdesk.models import Item, ItemType, Person
    ticket = ItemType.get(name="ticket")
    ben = Person.create(email="Ben@Client.example", name="Ben")
    return ticket, ben, Item


def columns(row) -> dict:
    """Every column of ``row`` as the database holds it, read back by plain SQL."""
    from appliance.helpdesk.models import db
    meta = type(row)._meta
    names = [f.column_name for f in meta.sorted_fields]
    cursor = db.execute_sql(f'SELECT {", ".join(names)} FROM "{meta.table_name}" '
                            f'WHERE id = {int(row.id)}')
    return dict(zip(names, cursor.fetchone()))


def test_insert_writes_what_create_writes(db):
    from appliance import clock
    from appliance.helpdesk import statements
    from appliance.helpdesk.models import Event, Message
    ticket, ben, Item = db
    values = dict(type=ticket, title="Printer ↯ broken", requester=ben,
                  description="It prints blank pages.", channel="email",
                  created_at=clock.now(), updated_at=clock.now())
    made, fast = Item.create(**values), statements.insert(Item, **values)
    assert fast.id == made.id + 1 and not fast._dirty
    assert {**columns(fast), "id": None} == {**columns(made), "id": None}
    # defaults (status, priority) and JSON are converted as peewee converts them
    assert fast.status == "open" and columns(fast)["status"] == "open"
    event = statements.insert(Event, kind="item_created", item=fast,
                              detail={"automated": None, "channel": "email"})
    assert Event.get_by_id(event.id).detail == {"automated": None, "channel": "email"}
    # the returned instance is the row: its keys lead to the right rows
    message = statements.insert(Message, item=fast, author=ben, body="x")
    assert Message.get_by_id(message.id).item.title == "Printer ↯ broken"


def test_insert_ignore_keeps_the_first_row(db):
    from appliance.helpdesk import statements
    from appliance.helpdesk.models import Follower
    ticket, ben, Item = db
    item = Item.create(type=ticket, title="t", requester=ben)
    statements.insert(Follower, ignore=True, item=item.id, person=ben.id)
    statements.insert(Follower, ignore=True, item=item.id, person=ben.id)
    assert Follower.select().where(Follower.item == item).count() == 1
    with pytest.raises(peewee.IntegrityError):
        statements.insert(Follower, item=item.id, person=ben.id)


def test_get_reads_what_get_or_none_reads(db):
    from appliance.helpdesk import statements
    from appliance.helpdesk.models import Person
    ticket, ben, Item = db
    item = Item.create(type=ticket, title="t", requester=ben)
    fast = statements.get(Item, Item.id, item.id)
    slow = Item.get_or_none(Item.id == item.id)
    assert fast.__data__ == slow.__data__ and not fast._dirty
    assert fast.created_at.tzinfo is not None and fast.requester.email == "Ben@Client.example"
    assert statements.get(Person, Person.email, "ben@client.example", lower=True).id == ben.id
    assert statements.get(Person, Person.email, "ben@client.example") is None
    assert statements.get(Item, Item.id, item.id + 100) is None


def test_update_writes_only_the_fields_named(db):
    from appliance.helpdesk import statements
    ticket, ben, Item = db
    item = Item.create(type=ticket, title="t", requester=ben)
    stale = Item.get_by_id(item.id)
    stale.title, stale.status = "changed", "pending"
    statements.update(stale, Item.status)
    again = Item.get_by_id(item.id)
    assert (again.title, again.status) == ("t", "pending")
    assert "status" not in stale._dirty and "title" in stale._dirty


def test_query_reads_joined_rows_and_takes_new_values(db):
    from appliance import clock
    from appliance.helpdesk import statements
    from appliance.helpdesk.models import Message, Person
    ticket, ben, Item = db
    carla = Person.create(email="carla@acme.example")
    items = [Item.create(type=ticket, title=f"t{n}", requester=ben) for n in range(2)]
    for n, item in enumerate(items):
        Message.create(item=item, author=carla if n else ben, body=f"m{n}",
                       created_at=clock.now() + timedelta(seconds=n))
    query = statements.Query(lambda item: Message.select(Message, Person).join(Person)
                             .where(Message.item == item, Message.internal == False)  # noqa
                             .order_by(Message.id), 1)
    for n, item in enumerate(items):
        rows = query.rows(item.id)
        assert [r.body for r in rows] == [f"m{n}"]
        assert rows[0].__rel__["author"].email == (carla if n else ben).email
    assert query.rows(items[-1].id + 5) == []
    with pytest.raises(TypeError):
        query.rows()


def test_the_hot_paths_build_no_sql_after_the_first_call(db, monkeypatch):
    """The reason the module exists: peewee's SQL builder (Context.sql) is not called again
    for a second insert, lookup, update or query of the same shape."""
    from appliance.helpdesk import people, statements
    from appliance.helpdesk.models import Message
    ticket, ben, Item = db
    item = statements.insert(Item, type=ticket, title="t", requester=ben)
    statements.get(Item, Item.id, item.id)
    statements.update(item, Item.status)
    people.followers(item)
    built = []
    real = peewee.Context.sql

    def counting(self, obj):
        built.append(obj)
        return real(self, obj)
    monkeypatch.setattr(peewee.Context, "sql", counting)
    second = statements.insert(Item, type=ticket, title="u", requester=ben)
    statements.insert(Message, item=second, author=ben, body="c")
    statements.get(Item, Item.id, second.id)
    statements.update(second, Item.status)
    assert [p.email for p in people.followers(second)] == []
    assert built == []
    Item.get_or_none(Item.id == second.id)   # what it replaces builds every time
    assert built
