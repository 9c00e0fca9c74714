"""The mail logs explain themselves (issue 16, point 4), over HTTP against the panel with the
installed MTA and worker filing real mail: each reason of an incoming entry once; a failed
entry keeps its subject, sender and Message-ID and says why in one line (the traceback behind
a disclosure); ``#N`` names item N only; both logs say how long they keep entries, and an
admin changes that there; "Retry now" delivers a deferred message without the backoff."""
from __future__ import annotations

import html
import re
import smtplib
import sqlite3

import pytest
from conftest import PG_URL, Box, message, wait_for

from appliance.webadmin.testclient import Client

ADMIN = ("admin@box.example", "admin-pw-123")
AGENT = ("agent@box.example", "agent-pw-12345")
REFUSED = "Refused by the database"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("logs") / "box").init()
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    if not PG_URL:   # the database's own refusal of one item: a failure to file the mail
        con = sqlite3.connect(box.root / "appliance.db")
        con.execute(f"CREATE TRIGGER refuse_one BEFORE INSERT ON item WHEN new.title = "
                    f"'{REFUSED}' BEGIN SELECT RAISE(ABORT, 'no room for <b>this</b> item');"
                    f" END")
        con.commit()
        con.close()
    from appliance import config
    from appliance.webadmin.app import make_app
    box.db()
    box.app = make_app(config.load(box.ini))
    box.start("mta")
    box.start("worker")
    yield box
    box.stop_all()


def login(box, who=ADMIN) -> Client:
    client = Client(box.app)
    assert client.login(*who).status == 303
    return client


def send(box, subject: str, message_id: str, sender: str = "ben@client.example") -> dict:
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail(sender, [f"tickets@{box.domain}"],
                      message(subject=subject, sender=sender, message_id=message_id))
    return wait_for(lambda: next((e for e in box.json("mail", "incoming")
                                  if e["message_id"] == message_id), None), timeout=30)


def reasons_shown(page: str) -> list[str]:
    block = re.search(r'<ul class="reasons">(.*?)</ul>', page, re.S).group(1)
    return [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", block, re.S)]


# --- 1. each reason once ------------------------------------------------------------------

def test_incoming_detail_lists_each_reason_once(box):
    entry = send(box, "Printer prints blank pages", "<blank@client.example>")
    assert entry["action"] == "created"
    decided = entry["decision"]["reasons"]
    assert decided and set(decided) <= set(box.json("mail", "incoming")[0]["reasons"])
    page = login(box).get(f"/admin/email/incoming/{entry['id']}").text
    shown = reasons_shown(page)
    assert len(shown) == len(set(shown)), shown          # no sentence twice
    for reason in decided:
        assert shown.count(reason) == 1, (reason, shown)
    assert any(r.startswith("New ticket #") for r in shown), shown


# --- 2. a failed entry keeps what its headers say and says why in words -------------------

@pytest.mark.skipif(bool(PG_URL), reason="the refusing trigger is written for SQLite")
def test_failed_entry_keeps_subject_sender_and_message_id_and_says_why(box):
    entry = send(box, REFUSED, "<refused@client.example>", sender="carla@acme.example")
    assert entry["action"] == "failed"
    assert entry["subject"] == REFUSED and entry["from"]["email"] == "carla@acme.example"
    assert entry["message_id"] == "<refused@client.example>"
    client = login(box)
    listed = client.get("/admin/email/incoming").text
    row = re.search(r"<tr><td>[^\n]*carla@acme\.example.*?</tr>", listed, re.S).group(0)
    assert REFUSED in row and "failed" in row
    page = client.get(f"/admin/email/incoming/{entry['id']}").text
    assert f"<h2>{REFUSED}</h2>" in page and "&lt;refused@client.example&gt;" in page
    assert reasons_shown(page) == [
        "The message could not be filed: no room for <b>this</b> item"]
    details = re.search(r'<details class="traceback" id="traceback">(.*?)</details>', page,
                        re.S).group(1)
    assert "<summary>" in details and "Traceback (most recent call last)" in details
    assert "no room for &lt;b&gt;this&lt;/b&gt; item" in details and "<b>this" not in page
    # the Why says it in words; only the disclosure holds the traceback
    assert "Traceback" not in page.replace(details, "")


def test_the_error_in_one_line_of_words():
    from appliance.helpdesk.failures import filing_reason
    trace = "Traceback (most recent call last):\n  File \"x.py\", line 1\n{}\n"
    assert filing_reason(trace.format("sqlite3.OperationalError: database is locked")) == \
        "The message could not be filed: database is locked"
    assert filing_reason(trace.format("KeyError: 'decision'")) == \
        "The message could not be filed: KeyError: 'decision'"
    assert filing_reason(trace.format("RecursionError")) == \
        "The message could not be filed: RecursionError (no message)"
    assert filing_reason("unreadable spool entry: bad JSON") == \
        "The message could not be filed: unreadable spool entry: bad JSON"


def test_an_entry_that_failed_before_gets_its_error_in_words(box):
    """Entries logged before this change said "Processing failed: Traceback (most recent
    call last):"; the page shows the error's own words instead."""
    from appliance import clock
    from appliance.helpdesk.models import IncomingMail
    error = ("Traceback (most recent call last):\n  File \"intake.py\", line 1, in _file\n"
             "peewee.OperationalError: database is locked\n")
    row = IncomingMail.create(spool_id="legacy-1", received_at=clock.now(),
                              mail_from="ben@client.example", rcpt_tos=["tickets@box.example"],
                              action="failed", error=error,
                              reasons=["Processing failed: Traceback (most recent call last):"])
    page = login(box).get(f"/admin/email/incoming/{row.id}").text
    assert reasons_shown(page) == ["The message could not be filed: database is locked"]
    assert 'id="traceback"' in page


# --- 3. #N opens item N exactly ------------------------------------------------------------

def test_hash_number_names_item_n_only_on_every_surface(box):
    from appliance import clock
    from appliance.helpdesk.logins import ApiToken, digest
    from appliance.helpdesk.models import IncomingMail, Item, ItemType, Person, User
    ticket = ItemType.get(name="ticket")
    ben = Person.get_or_create(email="ben@client.example")[0]
    while Item.select().count() < 80:
        n = Item.select().count() + 1
        Item.create(type=ticket, title=f"Laptop {n}", requester=ben, description="")
    for n, (subject, item_id) in enumerate([("Re: [#7] Laptop 7", 7), ("Laptop 70", 70),
                                            ("Room 7 printer", None), ("Laptop 77", 77)]):
        IncomingMail.create(spool_id=f"hash{n}", received_at=clock.now(),
                            mail_from="ben@client.example", rcpt_tos=["tickets@box.example"],
                            from_email="ben@client.example", subject=subject,
                            action="appended" if item_id else "ignored", item=item_id)
    admin = User.select().join(Person).where(Person.email == ADMIN[0]).get()
    ApiToken.get_or_create(token_hash=digest("apl_logs"), user=admin, name="logs")
    bearer = {"Authorization": "Bearer apl_logs"}
    client = login(box)

    opened = client.get("/items?q=%237")
    assert opened.status == 303 and opened.header("Location").endswith("/items/7")
    missing = client.get("/items?q=%23999")
    assert missing.status == 200 and "No item #999." in missing.text
    assert [i["id"] for i in client.get("/api/items?q=%237", headers=bearer).json()] == [7]

    mine = {r.id for r in IncomingMail.select().where(IncomingMail.item == 7)}
    cli = [e["id"] for e in box.json("mail", "incoming", "--search", "#7")]
    api = [e["id"] for e in client.get("/api/mail/incoming?search=%237",
                                       headers=bearer).json()]
    panel = [int(n) for n in dict.fromkeys(re.findall(
        r'href="/admin/email/incoming/(\d+)"', client.get("/admin/email/incoming?q=%237").text))]
    assert set(cli) == mine and cli == api == panel
    # a bare number still finds the texts too (the room, item 70 and 77's subjects)
    assert len(box.json("mail", "incoming", "--search", "7")) > len(mine)


# --- 4. the retention window, shown and editable -------------------------------------------

@pytest.mark.parametrize("log", ["incoming", "outgoing"])
def test_both_logs_say_how_long_they_keep_entries(box, log):
    client = login(box)
    assert "Entries are kept for 72 hours" in client.get(f"/admin/email/{log}").text
    box.cli("settings", "set", "retention.hours", "48")
    try:
        page = client.get(f"/admin/email/{log}").text
        assert "Entries are kept for 48 hours" in page and "72 hours" not in page
        assert 'value="48"' in page and 'action="/admin/email/retention"' in page
    finally:
        box.cli("settings", "set", "retention.hours", "72")


def test_an_admin_changes_retention_on_the_log_page(box):
    client = login(box)
    bad = client.post("/admin/email/retention", {"retention_hours": "two days",
                                                 "back": "incoming"})
    assert bad.status == 400
    assert ("Keep entries for (hours): enter a whole number of hours greater than 0, "
            "e.g. 72 (“two days” is not one).") in html.unescape(bad.text)
    assert 'value="two days"' in bad.text and 'id="incoming-log"' in bad.text
    assert box.cli("settings", "get", "retention.hours").stdout.strip() == b"72"
    good = client.post("/admin/email/retention", {"retention_hours": "24", "back": "outgoing"})
    assert good.status == 303
    assert good.header("Location").endswith("/admin/email/outgoing#retention")
    assert box.cli("settings", "get", "retention.hours").stdout.strip() == b"24"
    assert "Entries are kept for 24 hours" in client.get("/admin/email/outgoing").text
    box.cli("settings", "set", "retention.hours", "72")


def test_retention_form_needs_an_admin_and_its_token(box):
    agent = login(box, AGENT)
    assert agent.post("/admin/email/retention", {"retention_hours": "1"}).status in (403, 404)
    assert Client(box.app).post("/admin/email/retention", {"retention_hours": "1"},
                                csrf=False).status in (303, 401, 403)
    admin = login(box)
    assert admin.post("/admin/email/retention", {"retention_hours": "1"},
                      csrf=False).status == 403
    assert box.cli("settings", "get", "retention.hours").stdout.strip() == b"72"


# --- 5. Retry now -------------------------------------------------------------------------

def queue_mail(box, subject: str) -> int:
    from appliance import addresses, config
    from appliance.helpdesk import people
    from appliance.helpdesk.models import db
    from appliance.outbound.mailer import Mailer
    with db.atomic():
        mail = Mailer(config.load(box.ini)).send(
            to=people.get(addresses.Person("dora@client.example", "Dora")),
            subject_source=subject, body_source="Your laptop is ready.", context={},
            kind="system")
    return mail.id


def outgoing(box, mail_id: int) -> dict:
    return box.json("mail", "outgoing", str(mail_id))


def test_retry_now_delivers_a_deferred_message_without_waiting(box):
    from smtpsinks import Sink
    with Sink() as sink:
        box.deliver_to(sink)
        sink.behaviour.data = "451 4.3.0 Please try again later"
        mail_id = queue_mail(box, "Laptop ready")
        doc = wait_for(lambda: (lambda d: d if d["status"] == "deferred" else None)(
            outgoing(box, mail_id)), timeout=30)
        client = login(box)
        listed = client.get("/admin/email/outgoing").text   # a button on its row too
        assert re.search(rf'action="/admin/email/outgoing/{mail_id}/retry".*?name="back" '
                         rf'value="list".*?>Retry now</button>', listed, re.S)
        page = client.get(f"/admin/email/outgoing/{mail_id}").text
        assert 'action="/admin/email/outgoing/%d/retry"' % mail_id in page
        assert ">Retry now</button>" in page and 'name="csrf_token"' in page
        assert client.post(f"/admin/email/outgoing/{mail_id}/retry", csrf=False).status == 403
        sink.behaviour.data = None       # the server accepts now; the backoff says 5 minutes
        assert doc["next_attempt_at"] > doc["events"][0]["at"]
        pressed = client.post(f"/admin/email/outgoing/{mail_id}/retry")
        assert pressed.status == 303
        shown = client.get(pressed.location).text
        assert "Retrying now: the queue runner tries it within a few seconds" in shown
        done = wait_for(lambda: (lambda d: d if d["status"] == "delivered" else None)(
            outgoing(box, mail_id)), timeout=20)
        assert len(sink.received) == 1 and b"Laptop ready" in sink.received[0].data
        assert [e["event"] for e in done["events"]][:4] == [
            "delivered", "attempt", "retry", "deferred"]
        assert "Retry now, asked by admin@box.example" in str(done["events"])
        # delivered mail has nothing to retry, and says so
        again = client.post(f"/admin/email/outgoing/{mail_id}/retry")
        assert "Nothing to retry: this message is delivered" in client.get(
            again.location).text
        assert ">Retry now</button>" not in client.get(f"/admin/email/outgoing/{mail_id}").text


def test_retry_now_leaves_a_message_a_delivery_run_is_sending(box):
    from datetime import timedelta

    from appliance import clock
    from appliance.outbound import queue
    from appliance.outbound.models import OutgoingMail
    mail_id = queue_mail(box, "Held by a run")
    later = clock.now().replace(microsecond=0) + timedelta(minutes=15)
    # as a run's claim leaves it (the worker's own runs deliver nowhere for this one)
    OutgoingMail.update(status="deferred", next_attempt_at=later, leased_until=later).where(
        OutgoingMail.id == mail_id).execute()
    assert queue.retry_now(mail_id, "admin@box.example") is False
    client = login(box)
    pressed = client.post(f"/admin/email/outgoing/{mail_id}/retry", {"back": "list"})
    assert pressed.location == "/admin/email/outgoing"     # pressed on the log's row
    assert "It is being tried at this moment" in client.get(pressed.location).text
    assert OutgoingMail.get_by_id(mail_id).next_attempt_at == later
    agent = login(box, AGENT)
    assert agent.post(f"/admin/email/outgoing/{mail_id}/retry").status in (403, 404)
    nobody = Client(box.app).post(f"/admin/email/outgoing/{mail_id}/retry", csrf=False)
    assert nobody.status in (303, 401, 403) and "/login" in (nobody.location or "/login")
    OutgoingMail.update(status="failed", next_attempt_at=None, leased_until=None).where(
        OutgoingMail.id == mail_id).execute()
