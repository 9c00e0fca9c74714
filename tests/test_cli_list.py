"""`appliance items list` in a fixed number of queries, paged (issue 15, point 6).

A 6,000-item list took 30,003 queries (five per item). The summaries of any number of
items now cost the same few queries, and the CLI pages with --limit/--offset.
"""
from __future__ import annotations

import json
import smtplib

import pytest
from conftest import message, wait_for

from appliance.helpdesk.database import close_database, open_database
from appliance.helpdesk.models import Follower, Item, ItemType, Person, db
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.helpdesk.views import item_summaries


@pytest.fixture
def filled(tmp_path):
    open_database(tmp_path / "list.db")
    ticket = ItemType.get(ItemType.name == "ticket")
    agent = Person.create(email="agent@box.example", name="Agent")
    for n in range(300):
        requester = Person.create(email=f"r{n}@client.example", name=f"R {n}")
        item = Item.create(type=ticket, title=f"Item {n}", requester=requester,
                           assignee=agent if n % 2 else None, description="")
        Follower.create(item=item, person=requester)
        if n % 3 == 0:
            Follower.create(item=item, person=agent)
        if n % 5 == 0:
            mail = OutgoingMail.create(item=item, message_id=f"<m{n}@box.example>",
                                       mail_from="b@box.example", raw=b"")
            OutgoingRecipient.create(mail=mail, email=requester.email, status="bounced")
    yield
    close_database()


def counted(fn):
    statements = []
    db.obj.connection().set_trace_callback(statements.append)
    try:
        result = fn()
    finally:
        db.obj.connection().set_trace_callback(None)
    return result, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_summaries_cost_the_same_queries_for_30_or_300_items(filled):
    order = Item.select().order_by(Item.id)
    small, few = counted(lambda: item_summaries(order.limit(30)))
    large, many = counted(lambda: item_summaries(order))
    assert len(large) == 300 and len(small) == 30
    assert len(many) == len(few) <= 8, many


def test_summaries_say_the_same_as_before(filled):
    docs = {d["id"]: d for d in item_summaries(Item.select())}
    third = Item.get(Item.title == "Item 3")
    doc = docs[third.id]
    assert doc["type"] == "ticket" and doc["requester"]["email"] == "r3@client.example"
    assert doc["assignee"]["email"] == "agent@box.example"
    followers = [f["email"] for f in doc["followers"]]
    assert followers == ["r3@client.example", "agent@box.example"]
    fifth = docs[Item.get(Item.title == "Item 5").id]
    assert fifth["bounced"] == ["r5@client.example"] and fifth["requester_bounced"]
    assert docs[Item.get(Item.title == "Item 4").id]["assignee"] is None
    assert not docs[Item.get(Item.title == "Item 4").id]["bounced"]


def test_the_cli_pages_newest_first(running_box):
    box = running_box
    for n in range(5):
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{box.domain}"],
                          message(subject=f"Item {n}"))
        wait_for(lambda: len(box.json("items", "list")) == n + 1, timeout=20)
    page = box.cli("items", "list", "--json", "--limit", "2", "--offset", "1")
    titles = [d["title"] for d in json.loads(page.stdout)]
    assert titles == ["Item 3", "Item 2"]
    assert "items 2-3 of 5: --offset 3 for the next page" in page.stderr.decode()
    assert len(box.json("items", "list", "--limit", "0")) == 5
    bad = box.cli("items", "list", "--limit", "-1", check=False)
    assert bad.returncode != 0 and b"--limit and --offset must be 0 or more" in bad.stderr
