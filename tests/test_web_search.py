"""The search index (FTS5 tables of migration 5 on SQLite, tsvector tables of migration 10
on PostgreSQL): kept in sync by triggers, filled from rows that existed before the
migration, and the query builder never produces FTS syntax errors."""
from __future__ import annotations

import pytest
from conftest import PG_URL, fresh_database, sqlite_only
from hypothesis import given, settings, strategies as st

from appliance.helpdesk import lists, search, searchindex


@pytest.fixture
def database(tmp_path):
    from appliance.helpdesk.database import open_database
    from appliance.helpdesk.models import ItemType
    db = open_database(fresh_database() if PG_URL else tmp_path / "t.db")
    assert ItemType.select().count() == 2
    return db


def new_item(title, body="", email="ben@client.example"):
    from appliance.helpdesk.models import Item, ItemType, Message, Person
    person = Person.get_or_create(email=email)[0]
    item = Item.create(type=ItemType.get(name="ticket"), title=title, requester=person,
                       description=body)
    Message.create(item=item, author=person, body=body)
    return item


def ids(rows):
    return sorted(r.id for r in rows)


def test_triggers_follow_inserts_updates_and_deletes(database):
    from appliance.helpdesk.models import IncomingMail, Item
    from appliance.outbound.models import OutgoingMail, OutgoingRecipient
    item = new_item("Printer jammed", "paper stuck in tray 2")
    assert ids(lists.items("jammed")) == [item.id]
    assert ids(lists.items("tray")) == [item.id]          # via its message
    Item.update(title="Scanner offline").where(Item.id == item.id).execute()
    assert lists.items("jammed") == [] and ids(lists.items("scanner")) == [item.id]
    assert ids(lists.items(requester="ben@client.example")) == [item.id]
    mail = OutgoingMail.create(subject="Re: Scanner", message_id="<1@x>", mail_from="a@b.c",
                               raw=b"x")
    OutgoingRecipient.create(mail=mail, email="carla@acme.example")
    OutgoingRecipient.create(mail=mail, email="dan@acme.example")
    assert ids(lists.outgoing("dan@acme.example")) == [mail.id]
    assert ids(lists.outgoing("carla")) == [mail.id]
    from appliance import clock
    row = IncomingMail.create(spool_id="s1", received_at=clock.now(), from_email="eve@x.example",
                              subject="Invoice 4711", message_id="<abc.def@x.example>",
                              action="created")
    assert ids(lists.incoming("4711")) == [row.id]
    assert ids(lists.incoming("abc.def@x.example")) == [row.id]
    row.delete_instance()
    assert lists.incoming("4711") == []


def test_migration_indexes_rows_that_existed_before(database):
    item = new_item("Old ticket from before", "legacy words")
    database.execute_sql("DELETE FROM item_fts")
    assert lists.items("legacy") == []
    searchindex.install(database)
    assert ids(lists.items("legacy")) == [item.id]
    assert ids(lists.items("before")) == [item.id]


@sqlite_only
def test_list_queries_use_indexes_not_scans(database):
    new_item("x")
    for sql in ("SELECT id FROM item ORDER BY created_at DESC, id DESC LIMIT 51",
                "SELECT id FROM incomingmail ORDER BY received_at DESC, id DESC LIMIT 51",
                "SELECT id FROM outgoingmail ORDER BY created_at DESC, id DESC LIMIT 51"):
        plan = " ".join(str(r) for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX" in plan and "TEMP B-TREE" not in plan, plan


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_text_is_a_valid_query(text):
    import sqlite3
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(a, requester)")
    for column in (None, "requester"):
        expr = search.match_expression(text, column)
        if expr is not None:
            con.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,)).fetchall()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's tsquery: the suite's PostgreSQL run")
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_text_is_a_valid_tsquery(text):
    import psycopg2
    con = psycopg2.connect(PG_URL)
    try:
        with con.cursor() as cur:
            for column in (None, "requester"):
                expr = search.match_expression(text, column)
                if expr is not None and search.tsquery("item", expr):
                    cur.execute("SELECT to_tsquery('simple', %s)",
                                (search.tsquery("item", expr),))
    finally:
        con.close()
