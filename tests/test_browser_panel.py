"""The panel in a real browser: Debian's chromium driven by playwright against the real
``appliance web`` (waitress), with the MTA and worker turning real mail into an item.
Screenshots of every page go to the test's tmp directory."""
from __future__ import annotations

import smtplib

from conftest import message, needs_chromium, wait_for

pytestmark = needs_chromium


def test_walk_the_panel(running_box, browser, tmp_path):
    from smtpsinks import Sink
    box = running_box
    box.start("web")
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", ["tickets@box.example"],
                      message(subject="Printer prints blank pages",
                              body="Since Monday every page comes out blank.\r\n\r\nBen"))
    items = wait_for(lambda: box.json("items", "list"), timeout=20)
    item_id = items[0]["id"]
    base = f"http://127.0.0.1:{box.web_port}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/login" not in r.url else None)

    def shot(name):
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # a forgotten password: the reset email is the first entry of the outgoing log
    page.goto(base + "/login")
    page.click("text=Forgot your password?")
    page.fill("#email", "admin@box.example")
    page.click("button[type=submit].primary")
    assert "on its way" in page.inner_text("main")

    page.goto(base + "/items")
    assert "/login" in page.url
    shot("login")
    page.fill("#email", "admin@box.example")
    page.fill("#password", "admin-pw-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/items")
    assert page.locator("#items").inner_text().count("Printer prints blank pages") == 1
    shot("items")

    # the item: reply, seen
    page.click(f"a[href='/items/{item_id}'] >> nth=1")
    page.wait_for_url(f"{base}/items/{item_id}")
    assert "Since Monday every page comes out blank." in page.inner_text("#conversation")
    page.fill("#body", "A technician comes by on Thursday.")
    page.click("button[value=reply]")
    page.wait_for_selector(".flash")
    assert "Reply posted" in page.inner_text(".flash")
    assert "A technician comes by on Thursday." in page.inner_text("#conversation")
    page.fill("#body", "Drum is under warranty.")
    page.click("button[value=note]")
    page.wait_for_selector(".message.internal")
    shot("item")
    shown = box.json("items", "show", str(item_id))
    assert [(m["body"], m["internal"]) for m in shown["messages"]
            if (m["author"] or {}).get("email") == "admin@box.example"] == [
        ("A technician comes by on Thursday.", False), ("Drum is under warranty.", True)]

    # every tab of Email settings
    for tab in ("message-center", "outgoing", "incoming", "appearance"):
        page.goto(f"{base}/admin/email/{tab}")
        assert page.locator(".tabs a.active").count() == 1
        shot(f"email-{tab}")

    # own SMTP server + send test against a loopback server
    with Sink() as sink:
        page.goto(base + "/admin/email/outgoing")
        page.check("#own_smtp")
        page.fill("#host", "127.0.0.1")
        page.fill("#port", str(sink.port))
        page.select_option("#security", "none")
        page.fill("#from_address", "support@box.example")
        page.click("#smtp-form button[type=submit]")
        page.wait_for_selector(".flash")
        assert page.is_checked("#own_smtp")
        page.fill("#test-to", "ben@client.example")
        page.click("#test-form button[type=submit]")
        page.wait_for_selector("#test-result")
        result = page.inner_text("#test-result")
        assert "Every step passed" in result and "RCPT TO:<ben@client.example>" in result
        shot("send-test")
        assert sink.connections >= 1

    # outgoing and incoming details
    page.goto(base + "/admin/email/outgoing")
    assert "Reset your" in page.inner_text("#outgoing-log")
    page.click("#outgoing-log a >> nth=0")
    page.wait_for_selector("#events")
    assert "pass" in page.inner_text("#dkim")
    shot("outgoing-detail")
    page.goto(base + "/admin/email/incoming")
    assert "Printer prints blank pages" in page.inner_text("#incoming-log")
    page.click("#incoming-log a:has-text('View details')")
    page.wait_for_selector("#decision")
    assert "Direct" in page.inner_text("#decision")
    shot("incoming-detail")

    # appearance: the live preview follows the form without saving
    page.goto(base + "/admin/email/appearance")
    page.fill("#f-appearance__company_name", "Acme Printing")
    frame = page.frame_locator("#preview")
    frame.locator("text=Acme Printing").first.wait_for(timeout=5000)
    shot("appearance-preview")
    assert box.cli("settings", "get", "appearance.company_name").stdout.strip() == b"Support"

    for name, path in (("blocklist", "/admin/blocklist"), ("capture", "/admin/capture"),
                       ("dns", "/admin/dns"), ("account", "/account")):
        page.goto(base + path)
        shot(name)
    page.goto(base + "/admin/blocklist")
    page.fill("#pattern", "*@alerts.example")
    page.click("button:has-text('Block')")
    page.wait_for_selector(".flash")
    assert "*@alerts.example" in page.inner_text("#blocklist")

    page.click("text=Log out")
    page.wait_for_url(base + "/login")
    page.goto(base + "/admin/dns")
    assert "/login" in page.url
    assert not errors, errors   # no CSP violation, no script error on any page
    print(f"screenshots in {shots}")
