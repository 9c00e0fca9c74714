"""The panel's settings in a real browser: Debian's chromium driven by playwright against
the real ``appliance web``.  On each tab that holds settings an admin types a bad value,
sees it refused in words that name the field as the page labels it (the value kept in
the field), corrects it, sees it saved, and ``appliance settings get`` reads it back.
Screenshots go to the test's tmp directory."""
from __future__ import annotations

from conftest import needs_chromium

pytestmark = needs_chromium
MC = "/admin/email/message-center"

# (page, the form, the field, bad value, the words, good value, the setting, stored form)
EDITS = [
    (MC, "#settings-relay", "#f-relay__delay_seconds", "a minute",
     "Relay delay (seconds) must be a whole number greater than 0", "120",
     "relay.delay_seconds", "120"),
    (MC, "#settings-limits", "#f-automations__max_per_address_hour", "0",
     "Automated emails per address and hour must be a whole number greater than 0", "8",
     "automations.max_per_address_hour", "8"),
    (f"{MC}/automations/A21", "#settings-sla", "#f-sla__urgent_minutes", "soon",
     "Urgent: first answer within (minutes) must be a whole number greater than 0", "20",
     "sla.urgent_minutes", "20"),
    (f"{MC}/automations/A05", "#settings-due-soon", "#f-automations__due_soon_hours", "1.5",
     "Due soon: hours before the due date must be a whole number greater than 0", "48",
     "automations.due_soon_hours", "48"),
    ("/admin/email/outgoing", "#settings-delivery", "#f-outbound__retry_intervals",
     "5 minutes", "Wait between attempts (seconds) must be comma-separated whole seconds",
     "120,600", "outbound.retry_intervals", "120,600"),
    ("/admin/capture", "#settings-mailboxes", "#f-intake__company_addresses",
     "support@acme.example, nobody",
     "Company mailboxes must be email addresses separated by commas; 'nobody' is not one",
     "Support@Acme.example", "intake.company_addresses", "Support@acme.example"),
    # (the brand colour's field refuses "blue" in the browser already: pattern=)
    ("/admin/email/appearance", "#appearance-form", "#f-appearance__display_name",
     "{agent} {oops}", "Display name pattern may use only {agent} and {company}",
     "{agent} from {company}", "appearance.display_name", "{agent} from {company}"),
]


def test_a_setting_on_each_tab_refused_in_words_then_saved(box, browser, tmp_path):
    box.start("web")
    base = f"http://127.0.0.1:{box.web_port}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.method != "POST" else None)
    page.goto(base + "/login")
    page.fill("#email", "admin@box.example")
    page.fill("#password", "admin-pw-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")

    for n, (path, form, field, bad, words, good, key, stored) in enumerate(EDITS):
        page.goto(base + path)
        page.fill(field, bad)
        with page.expect_navigation():
            page.click(f"{form} button[type=submit].primary")
        message = page.locator(f"{form} .error").first
        assert words in message.inner_text(), (key, message.inner_text())
        assert key not in message.inner_text()
        assert page.input_value(field) == bad          # what was typed is still there
        assert page.get_attribute(field, "aria-invalid") == "true"
        page.screenshot(path=str(shots / f"{n}-refused.png"), full_page=True)
        assert box.cli("settings", "get", key).stdout.decode().strip() != stored
        page.fill(field, good)
        with page.expect_navigation():
            page.click(f"{form} button[type=submit].primary")
        page.wait_for_selector(".flash")
        assert "saved" in page.inner_text(".flash").lower(), key
        assert page.input_value(field) == stored
        assert box.cli("settings", "get", key).stdout.decode().strip() == stored

    # a checkbox setting: ed25519 signing on the DNS page adds its record
    page.goto(base + "/admin/dns")
    assert "ed25519" not in page.inner_text("#dns-records")
    page.check("#f-dkim__ed25519")
    with page.expect_navigation():
        page.click("#settings-signing button[type=submit].primary")
    assert "k=ed25519" in page.inner_text("#dns-records")
    assert box.cli("settings", "get", "dkim.ed25519").stdout.decode().strip() == "true"
    assert not errors, errors
