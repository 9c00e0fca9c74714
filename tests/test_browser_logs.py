"""The mail logs explain themselves in a real browser (issue 16, point 4): Debian's chromium
against the installed ``appliance web`` with the MTA and worker filing real mail, one test
per point: each reason once; a failed entry's subject, sender and one-line Why with the
traceback behind a disclosure; ``#N`` opening item N; the retention window shown and
changed on the log pages; "Retry now" delivering a deferred message at once."""
from __future__ import annotations

import smtplib
import sqlite3

import pytest
from conftest import PG_URL, Box, message, needs_chromium, wait_for

pytestmark = needs_chromium
REFUSED = "Refused by the database"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("browser-logs") / "box").init()
    if not PG_URL:
        con = sqlite3.connect(box.root / "appliance.db")
        con.execute(f"CREATE TRIGGER refuse_one BEFORE INSERT ON item WHEN new.title = "
                    f"'{REFUSED}' BEGIN SELECT RAISE(ABORT, 'no room for <b>this</b> item');"
                    f" END")
        con.commit()
        con.close()
    box.db()
    for service in ("mta", "worker", "web"):
        box.start(service)
    box.base = f"http://127.0.0.1:{box.web_port}"
    box.first = send(box, "Printer prints blank pages", "<blank@client.example>")
    yield box
    box.stop_all()


def send(box, subject: str, message_id: str, sender: str = "ben@client.example") -> dict:
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail(sender, [f"tickets@{box.domain}"],
                      message(subject=subject, sender=sender, message_id=message_id))
    return wait_for(lambda: next((e for e in box.json("mail", "incoming")
                                  if e["message_id"] == message_id), None), timeout=30)


@pytest.fixture
def page(live, browser):
    """A logged-in admin's page; no CSP violation, script error or failed request."""
    errors = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/login" not in r.url else None)
    page.goto(live.base + "/items")   # the login page, which then opens the items
    page.fill("#email", "admin@box.example")
    page.fill("#password", "admin-pw-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(live.base + "/items")
    page.panel_errors = errors
    yield page
    assert not errors, errors


def test_each_reason_once(live, page, tmp_path):
    page.goto(live.base + "/admin/email/incoming")
    page.click(f"a[href='/admin/email/incoming/{live.first['id']}']")
    page.wait_for_selector("#decision")
    shown = page.locator("#decision ul.reasons li").all_inner_texts()
    assert shown and len(shown) == len(set(shown)), shown
    for reason in live.first["decision"]["reasons"]:
        assert shown.count(reason) == 1, (reason, shown)
    page.screenshot(path=str(tmp_path / "reasons.png"), full_page=True)


@pytest.mark.skipif(bool(PG_URL), reason="the refusing trigger is written for SQLite")
def test_a_failed_entry_keeps_its_subject_and_says_why(live, page, tmp_path):
    entry = send(live, REFUSED, "<refused@client.example>", sender="carla@acme.example")
    assert entry["action"] == "failed"
    page.goto(live.base + "/admin/email/incoming?action=failed")
    row = page.locator("#incoming-log tbody tr", has_text=REFUSED)
    assert "carla@acme.example" in row.inner_text() and "failed" in row.inner_text()
    row.locator("text=View details").click()
    page.wait_for_selector("#decision")
    assert page.inner_text("h2 >> nth=0") == REFUSED
    assert "<refused@client.example>" in page.inner_text("dl.facts")
    assert page.locator("#decision ul.reasons li").all_inner_texts() == [
        "The message could not be filed: no room for <b>this</b> item"]
    trace = page.locator("#traceback pre")
    assert not trace.is_visible()            # behind the disclosure until asked for
    page.click("#traceback summary")
    assert trace.is_visible() and "Traceback (most recent call last)" in trace.inner_text()
    assert "no room for <b>this</b> item" in trace.inner_text()   # shown as text
    assert page.locator("#traceback pre b").count() == 0
    page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)


def test_hash_number_opens_the_item(live, page):
    item_id = live.first["item_id"]
    page.goto(live.base + "/items")
    page.fill("#item-filters input[name=q]", f"#{item_id}")
    page.click("#item-filters button[type=submit]")
    page.wait_for_url(f"{live.base}/items/{item_id}")
    page.goto(live.base + "/items")
    page.fill("#item-filters input[name=q]", "#9999")
    page.click("#item-filters button[type=submit]")
    page.wait_for_selector(".flash")
    assert page.inner_text(".flash") == "No item #9999."
    page.goto(live.base + "/admin/email/incoming")
    page.fill("form[role=search] input[name=q]", f"#{item_id}")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**q=*")
    items = page.locator("#incoming-log tbody tr td:nth-child(5)").all_inner_texts()
    assert items and set(items) == {f"#{item_id}"}, items


def test_retention_is_shown_and_changed_on_the_logs(live, page, tmp_path):
    for log in ("incoming", "outgoing"):
        page.goto(f"{live.base}/admin/email/{log}")
        assert "Entries are kept for 72 hours" in page.inner_text("#retention-now")
    page.fill("#retention_hours", "a week")
    page.click("#retention-form button[type=submit]")
    page.wait_for_selector("#retention-error")
    assert page.inner_text("#retention-error") == (
        "Keep entries for (hours): enter a whole number of hours greater than 0, e.g. 72 "
        "(“a week” is not one).")
    assert page.input_value("#retention_hours") == "a week"
    assert page.get_attribute("#retention_hours", "aria-invalid") == "true"
    assert page.get_by_label("Keep entries for (hours)").count() == 1
    refused = [e for e in page.panel_errors if "400" in e]   # the refused form's answer
    assert len(refused) == 2, page.panel_errors               # the response and its log
    for e in refused:
        page.panel_errors.remove(e)
    page.screenshot(path=str(tmp_path / "retention-error.png"), full_page=True)
    page.fill("#retention_hours", "48")
    page.click("#retention-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert "kept for 48 hours" in page.inner_text(".flash")
    assert "Entries are kept for 48 hours" in page.inner_text("#retention-now")
    page.goto(live.base + "/admin/email/incoming")
    assert "Entries are kept for 48 hours" in page.inner_text("#retention-now")
    assert live.cli("settings", "get", "retention.hours").stdout.strip() == b"48"
    live.cli("settings", "set", "retention.hours", "72")


def test_retry_now_delivers_at_once(live, page, tmp_path):
    from smtpsinks import Sink

    from appliance import addresses, config
    from appliance.helpdesk import people
    from appliance.helpdesk.models import db
    from appliance.outbound.mailer import Mailer
    with Sink() as sink:
        live.deliver_to(sink)
        sink.behaviour.data = "451 4.3.0 Please try again later"
        with db.atomic():
            mail = Mailer(config.load(live.ini)).send(
                to=people.get(addresses.Person("dora@client.example", "Dora")),
                subject_source="Laptop ready", body_source="Your laptop is ready.",
                context={}, kind="system")
        wait_for(lambda: live.json("mail", "outgoing", str(mail.id))["status"] == "deferred",
                 timeout=30)
        sink.behaviour.data = None   # accepts now; the backoff would wait five minutes
        page.goto(f"{live.base}/admin/email/outgoing/{mail.id}")
        assert "next attempt" in page.inner_text("#next-attempt")
        page.click("#retry-form button:has-text('Retry now')")
        page.wait_for_selector(".flash")
        assert "Retrying now" in page.inner_text(".flash")
        wait_for(lambda: live.json("mail", "outgoing", str(mail.id))["status"] == "delivered",
                 timeout=20)
        assert len(sink.received) == 1
    page.reload()
    assert page.locator("dl.facts .badge-delivered").count() >= 1
    assert "Retry now, asked by admin@box.example" in page.inner_text("#events")
    assert page.locator("#retry-form").count() == 0
    page.screenshot(path=str(tmp_path / "retried.png"), full_page=True)
