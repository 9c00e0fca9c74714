"""One search (appliance.helpdesk.search) for the CLI, the panel and the API: the same text
finds the same rows in all three, on SQLite and, in the suite's PostgreSQL run, on
PostgreSQL (its tsvector index answering what FTS5 answers on SQLite)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from conftest import Box

from appliance.webadmin.testclient import Client

QUERIES = ["printer", "PRINT", "jammed floor", "4711", "abc.def@x.example", "carla",
           "acme.example", "dan@acme", "Müller", "tray_2", "#1", "1", "nothing-like-this",
           "x", "ben client"]


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("search") / "box").init()
    from appliance import clock, config
    from appliance.helpdesk.logins import ApiToken, digest
    from appliance.helpdesk.models import IncomingMail, Item, ItemType, Message, Person, User
    from appliance.outbound.models import OutgoingMail, OutgoingRecipient
    from appliance.webadmin.app import make_app
    box.db()
    ticket = ItemType.get(name="ticket")
    ben = Person.get_or_create(email="ben@client.example", defaults={"name": "Ben"})[0]
    carla = Person.get_or_create(email="carla@acme.example",
                                 defaults={"name": "Carla Müller"})[0]
    printer = Item.create(type=ticket, title="Printer jammed on floor 2", requester=ben,
                          description="It prints blank pages.")
    Message.create(item=printer, author=ben, body="Paper stuck in tray_2.")
    scanner = Item.create(type=ticket, title="Scanner offline", requester=carla,
                          description="Since the printer update.")
    Message.create(item=scanner, author=carla, body="Invoice 4711 attached.")
    for n, (subject, sender, item) in enumerate([
            ("Printer jammed", "ben@client.example", printer),
            ("Invoice 4711", "carla@acme.example", scanner),
            ("Re: [#1] Printer jammed", "carla@acme.example", printer),
            ("Newsletter", "news@lists.example", None)]):
        IncomingMail.create(spool_id=f"s{n}", received_at=clock.now(), mail_from=sender,
                            rcpt_tos=["tickets@box.example"], from_email=sender,
                            subject=subject, action="created" if item else "ignored",
                            message_id="<abc.def@x.example>" if n == 1 else f"<{n}@x>",
                            item=item)
    for subject, to, item in [("[#1] Printer jammed", ["ben@client.example"], printer),
                              ("[#2] Scanner offline", ["carla@acme.example",
                                                        "dan@acme.example"], scanner),
                              ("Password reset", ["admin@box.example"], None)]:
        mail = OutgoingMail.create(subject=subject, message_id=f"<{subject}@box>",
                                   mail_from="support@box.example", raw=b"x", item=item)
        for email in to:
            OutgoingRecipient.create(mail=mail, email=email)
    admin = User.select().join(Person).where(Person.email == "admin@box.example").get()
    ApiToken.create(token_hash=digest("apl_test"), user=admin, name="test")
    client = Client(make_app(config.load(box.ini)))
    assert client.login("admin@box.example", "admin-pw-123").status == 303
    box.client = client
    yield box
    box.stop_all()


def api(box, path: str) -> list[int]:
    response = box.client.get(path, headers={"Authorization": "Bearer apl_test"})
    assert response.status == 200, response.text
    return [row["id"] for row in response.json()]


def page(box, path: str, link: str) -> list[int]:
    response = box.client.get(path)
    if response.status == 303 and link == "/items/":   # "#N" opens item N
        return [int(response.location.rpartition("/")[2])]
    assert response.status == 200, response.text
    return [int(n) for n in dict.fromkeys(re.findall(rf'href="{link}(\d+)"', response.text))]


@pytest.mark.parametrize("log", ["incoming", "outgoing"])
def test_cli_panel_and_api_find_the_same_mail(box, log):
    found = {}
    for text in QUERIES:
        q = quote(text)
        cli = [d["id"] for d in box.json("mail", log, "--search", text)]
        assert api(box, f"/api/mail/{log}?search={q}") == cli, text
        assert page(box, f"/admin/email/{log}?q={q}", f"/admin/email/{log}/") == cli, text
        found[text] = cli
    # and they find what a person means: words as prefixes, addresses as sequences
    if log == "incoming":
        assert len(found["printer"]) == 2 and found["PRINT"] == found["printer"]
        assert len(found["4711"]) == len(found["abc.def@x.example"]) == 1
        assert len(found["carla"]) == 2 and found["nothing-like-this"] == []
    else:
        assert len(found["printer"]) == 1 and len(found["dan@acme"]) == 1
        assert len(found["acme.example"]) == 1 and len(found["carla"]) == 1
    # "#1" is item 1's mail only, newest first; a bare "1" finds it first too (in its
    # own order), then any text with a word "1..." (test_logs_explain has such texts)
    item_1 = [r[0] for r in box.query(
        f"SELECT id FROM {log}mail WHERE item_id = 1 ORDER BY id DESC")]
    assert item_1 and found["#1"] == item_1
    assert sorted(found["1"][:len(item_1)]) == sorted(item_1)


def test_panel_and_api_find_the_same_items(box):
    for text in QUERIES:
        q = quote(text)
        found = api(box, f"/api/items?q={q}")
        assert page(box, f"/items?q={q}", "/items/") == found, text
    assert len(api(box, "/api/items?q=printer")) == 2      # a title and a description
    assert len(api(box, "/api/items?q=tray_2")) == 1       # a message's words
    assert len(api(box, "/api/items?q=M%C3%BCller")) == 1  # the requester's name
    assert len(api(box, "/api/items?requester=carla%40acme.example")) == 1
    assert api(box, "/api/items?requester=printer") == []  # a column search stays there
    assert api(box, "/api/items?q=%231") == [1]            # "#1": item 1, nothing else
