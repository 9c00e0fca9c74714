"""The Message center and an item in a real browser: Debian's chromium driven by playwright
against the real ``appliance web``, MTA and worker, with outbound mail going to a loopback
sink.  An admin edits the relay email (inserting a property at the cursor, watching the
preview), sees a broken edit refused with their text kept, turns an automation on and off,
replies on an item and sees the relay email (with the edited subject) reach the sink, then
resets the template through its confirmation page.  Screenshots go to the test's tmp
directory (the best are copied by hand to docs/screenshots/)."""
from __future__ import annotations

import email
import email.policy
import smtplib

from conftest import message, needs_chromium, wait_for

pytestmark = needs_chromium
MC = "/admin/email/message-center"


def text_of(data: bytes) -> str:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def test_message_center_and_the_relay_in_a_browser(running_box, browser, tmp_path):
    from smtpsinks import Sink
    box = running_box
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1")
        box.start("web")
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", ["tickets@box.example"],
                          message(subject="Scanner jams on every page",
                                  body="The scanner on floor 3 jams.\r\n\r\nBen"))
        items = wait_for(lambda: box.json("items", "list"), timeout=20)
        item_id = items[0]["id"]
        base = f"http://127.0.0.1:{box.web_port}"
        shots = tmp_path / "screenshots"
        shots.mkdir()
        errors = []
        expected_400 = f"{base}{MC}/templates/relay"   # the broken edit, refused on purpose
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and "400" not in m.text else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.url != expected_400 else None)

        def shot(name):
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        page.goto(base + "/login")
        page.fill("#email", "admin@box.example")
        page.fill("#password", "admin-pw-123")
        page.click("button[type=submit].primary")
        page.wait_for_url(base + "/")

        # the tab: relay email at the top, automations, automated and system emails
        page.goto(base + MC)
        assert page.locator(".tabs a.active").inner_text() == "Message center"
        assert "A02" in page.inner_text("#automation-list")
        assert "unused" in page.inner_text("#template-new_item")
        shot("message-center")

        # edit the relay email: subject, a property inserted at the cursor, live preview
        subject = page.locator("#subject-relay")
        subject.fill("[#{{ item.id }}] Relay-edited: {{ item.title }}")
        body = page.locator("#body-relay")
        body.fill("Status now: \n\n{% for m in messages %}{{ m.author }}: {{ m.body }}\n"
                  "{% endfor %}")
        body.evaluate("b => { b.focus(); b.setSelectionRange(12, 12); }")
        page.select_option("#insert-relay", "{{ item.status }}")
        assert body.input_value().startswith("Status now: {{ item.status }}\n")
        preview = page.frame_locator("#preview-relay")
        # the preview shows the newest real item, not sample data
        preview.locator("text=Relay-edited: Scanner jams on every page").first.wait_for(
            timeout=5000)
        preview.locator("text=Status now: open").first.wait_for(timeout=5000)
        shot("message-center-relay-preview")
        page.click("#template-form-relay button[type=submit].primary")
        page.wait_for_selector(".flash")
        assert "Relay email saved" in page.inner_text(".flash")
        shown = box.json("templates", "show", "relay")
        assert shown["subject"] == "[#{{ item.id }}] Relay-edited: {{ item.title }}"
        assert shown["body"].startswith("Status now: {{ item.status }}")

        # a broken edit is refused with the line and reason; the admin's text stays
        page.fill("#body-relay", "Hello {{ item.title\nsecond line")
        page.click("#template-form-relay button[type=submit].primary")
        page.wait_for_selector("#template-error")
        assert "line" in page.inner_text("#template-error")
        assert page.locator("#body-relay").input_value() == "Hello {{ item.title\nsecond line"
        shot("message-center-refused")
        assert box.json("templates", "show", "relay")["subject"] == shown["subject"]
        # a misspelt property is named, with the ones the template may use
        page.fill("#body-relay", "Hello {{ item.titel }}")
        page.click("#template-form-relay button[type=submit].primary")
        page.wait_for_selector("#template-error")
        error = page.inner_text("#template-error")
        assert "Unknown property 'item.titel'" in error and "item.title" in error, error
        assert "dict object" not in error
        assert page.locator("#body-relay").input_value() == "Hello {{ item.titel }}"
        assert box.json("templates", "show", "relay")["subject"] == shown["subject"]

        # an automation on and off
        page.goto(base + MC + "#automations")
        page.click("#automation-A12 button[type=submit]")
        page.wait_for_selector(".flash")
        assert "A12" in page.inner_text(".flash") and "active" in page.inner_text(".flash")
        assert {a["code"]: a["enabled"] for a in box.json("automations", "list")}["A12"]
        assert "Used by" in page.inner_text("#template-new_item")
        shot("message-center-automation-on")
        page.click("#automation-A12 button[type=submit]")
        page.wait_for_selector(".flash")
        assert not {a["code"]: a["enabled"] for a in box.json("automations", "list")}["A12"]
        page.goto(base + MC + "/automations/A02")
        shot("message-center-automation")

        # reply on the item: the follower who did not see it gets the relay email
        page.goto(f"{base}/items/{item_id}")
        assert "The scanner on floor 3 jams." in page.inner_text("#conversation")
        page.select_option("#f-priority", "high")
        page.click("#fields-form button[type=submit]")
        page.wait_for_selector(".flash")
        assert "priority normal -> high" in page.inner_text(".flash")
        page.fill("#body", "A technician comes by on Thursday.")
        page.click("button[value=reply]")
        page.wait_for_selector(".flash")
        assert "Reply posted" in page.inner_text(".flash")
        shot("item-after-reply")

        def relayed():
            for got in sink.received:
                if "ben@client.example" in got.rcpt_tos and \
                        "A technician comes by on Thursday." in text_of(got.data):
                    return got
            return None
        got = wait_for(relayed, timeout=30)
        parsed = email.message_from_bytes(got.data, policy=email.policy.default)
        assert f"[#{item_id}] Relay-edited: Scanner jams on every page" in parsed["Subject"]
        assert "DKIM-Signature" in parsed
        # the agent's public answer made the item wait for the customer (issue 16.2)
        assert "Status now: pending" in text_of(got.data)

        # reset to default: a confirmation page first, then the default text again
        page.goto(f"{base}{MC}/templates/relay")
        page.click("text=Reset to default…")
        page.wait_for_selector("#confirm")
        assert "Relay-edited" in page.inner_text("#confirm")
        shot("message-center-reset-confirm")
        assert box.json("templates", "show", "relay")["customised"]
        page.click("#confirm button.danger")
        page.wait_for_selector(".flash")
        assert "back to its default text" in page.inner_text(".flash")
        assert not box.json("templates", "show", "relay")["customised"]
        assert not errors, errors   # no CSP violation, no script error on any page
    print(f"screenshots in {shots}")
