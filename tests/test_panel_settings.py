"""Every setting an admin may change is in the panel (issue 16, point 6): a walk over
appliance/settings.py's definitions finds each one in a CSRF form of some panel page, and
each small settings form saves through the settings store with the validation of
``appliance settings set`` (a real SQLite box made by ``appliance init``, the real CLI)."""
from __future__ import annotations

import html
import re

import pytest
import test_web
from test_web import ADMIN, AGENT, login

from appliance.helpdesk import settingstore
from appliance.helpdesk.models import Automation, Setting
from appliance.settings import SETTINGS
from appliance.webadmin.settingforms import FORMS, TRIGGER_FORMS

panel = test_web.panel   # a box: init, an admin and an agent, one item
DOMAIN = "box.example"

# Settings that stay off the panel, each with its reason (none now: every setting in
# appliance/settings.py is one an admin may change)
EXCLUDED: dict[str, str] = {}
# Forms older than the generic settings forms name their fields in their own way:
# setting -> (page, the form's action, the field's name)
OWN_FIELD_NAMES = {
    "retention.hours": ("/admin/email/incoming", "/admin/email/retention", "retention_hours"),
    "outbound.mode": ("/admin/email/outgoing", "/admin/email/outgoing/settings", "own_smtp"),
    "outbound.smarthost": ("/admin/email/outgoing", "/admin/email/outgoing/settings", "host"),
    "outbound.security": ("/admin/email/outgoing", "/admin/email/outgoing/settings",
                          "security"),
    "outbound.username": ("/admin/email/outgoing", "/admin/email/outgoing/settings",
                          "username"),
    "outbound.password": ("/admin/email/outgoing", "/admin/email/outgoing/settings",
                          "password"),
    "outbound.from_address": ("/admin/email/outgoing", "/admin/email/outgoing/settings",
                              "from_address"),
    "intake.agent_forwarding": ("/admin/capture", "/admin/capture/agent-forwarding",
                                "enabled"),
}
PAGES = ["/admin/email/message-center", "/admin/email/outgoing", "/admin/email/incoming",
         "/admin/email/appearance", "/admin/capture", "/admin/dns", "/admin/blocklist",
         "/admin/users"]

# a value each form takes, and one it refuses with the reason's words
GOOD = {"relay.delay_seconds": "90", "intake.agents_follow": "false",
        "automations.max_per_address_hour": "7", "automations.max_per_item_hour": "12",
        "automations.due_soon_hours": "36", "sla.urgent_minutes": "15",
        "sla.high_minutes": "60", "sla.normal_minutes": "240", "sla.low_minutes": "1440",
        "intake.company_addresses": "Support@Acme.example, help@acme.example",
        "outbound.retry_intervals": "60,600", "outbound.max_lifetime_hours": "48",
        "dkim.ed25519": "true", "attachments.max_upload_mb": "25",
        "workflow.close_resolved_days": "14"}
BAD = {"relay.delay_seconds": "a minute", "automations.max_per_address_hour": "0",
       "automations.max_per_item_hour": "-3", "automations.due_soon_hours": "1.5",
       "sla.urgent_minutes": "soon", "sla.high_minutes": "0", "sla.normal_minutes": "x",
       "sla.low_minutes": "", "intake.company_addresses": "support@acme.example, nobody",
       "outbound.retry_intervals": "5 minutes", "outbound.max_lifetime_hours": "forever",
       "attachments.max_upload_mb": "ten", "workflow.close_resolved_days": "0"}


@pytest.fixture(autouse=True)
def fresh_settings():
    from appliance.helpdesk.logins import LoginAttempt
    LoginAttempt.delete().execute()
    yield
    Setting.delete().where(Setting.key.in_(list(GOOD))).execute()


def post_forms(page: str) -> dict[str, set[str]]:
    """The page's POST forms that carry the CSRF token: {action: field names}."""
    forms = {}
    for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", page, re.S):
        action = re.search(r'action="([^"]*)"', attrs)
        if 'method="post"' in attrs and action and 'name="csrf_token"' in body:
            forms.setdefault(html.unescape(action.group(1)), set()).update(
                re.findall(r'name="([^"]+)"', body))
    return forms


def settings_page(code: str) -> str:
    return f"/admin/email/message-center/automations/{code}"


def form_page(name: str) -> str:
    """The page a settings form is on."""
    pages = {"relay": "/admin/email/message-center", "limits": "/admin/email/message-center",
             "attachments": "/admin/email/message-center",
             "workflow": "/admin/email/message-center",
             "mailboxes": "/admin/capture", "delivery": "/admin/email/outgoing",
             "signing": "/admin/dns"}
    if name in pages:
        return pages[name]
    trigger = next(t for t, f in TRIGGER_FORMS.items() if f == name)
    return settings_page(Automation.get(Automation.trigger == trigger).code)


def test_every_admin_setting_is_in_a_form_on_some_panel_page(panel):
    admin = login(panel)
    pages = PAGES + [settings_page(a.code) for a in Automation.select()]
    found: dict[str, list[str]] = {}
    for path in pages:
        response = admin.get(path)
        assert response.status == 200, path
        for action, names in post_forms(response.text).items():
            for key in SETTINGS:
                own = OWN_FIELD_NAMES.get(key)
                if key.replace(".", "__") in names or (
                        own and own[0] == path and own[1] == action and own[2] in names):
                    found.setdefault(key, []).append(path)
    missing = [k for k in SETTINGS if k not in found and k not in EXCLUDED]
    assert not missing, f"settings in no panel form: {missing}"
    assert "relay.delay_seconds" in found and "sla.urgent_minutes" in found


def test_every_setting_has_a_label_and_its_form_shows_it(panel):
    admin = login(panel)
    assert all(s.label for s in SETTINGS.values()), [k for k, s in SETTINGS.items()
                                                     if not s.label]
    for form in FORMS.values():
        page = admin.get(form_page(form.name)).text
        block = page.split(f'id="settings-{form.name}"')[1].split("</form>")[0]
        for key in form.keys:
            name = key.replace(".", "__")
            label = re.search(rf'<label[^>]*for="f-{name}"[^>]*>(.*?)</label>', block, re.S)
            assert label and SETTINGS[key].label in html.unescape(label.group(1)), key


@pytest.mark.parametrize("name", list(FORMS))
def test_each_form_saves_through_the_store_with_the_clis_validation(panel, name):
    form = FORMS[name]
    page = form_page(name)
    admin = login(panel)
    admin.get(page)
    data = {key.replace(".", "__"): GOOD[key] for key in form.keys
            if SETTINGS[key].kind != "flag" or GOOD[key] == "true"}
    response = admin.post(form.action, {**data, "next": page})
    assert response.status == 303, response.text
    assert response.header("Location").endswith(f"{page}#settings-{name}")
    assert form.saved in html.unescape(admin.get(response.location).text)
    for key in form.keys:   # what the CLI would have stored for the same input
        stored = settingstore.current(key, DOMAIN)
        from appliance.settings import validate
        assert stored == validate(key, GOOD[key]), key
    # the first key read back by `appliance settings get`, as an operator sees it
    first = form.keys[0]
    got = panel.cli("settings", "get", first).stdout.decode().strip()
    assert got == settingstore.current(first, DOMAIN)
    for key in form.keys:
        if key not in BAD:
            continue
        before = settingstore.current(key, DOMAIN)
        refused = admin.post(form.action, {**data, key.replace(".", "__"): BAD[key],
                                           "next": page})
        assert refused.status == 400, key
        error = re.search(rf'id="error-{key.replace(".", "__")}">(.*?)</p>',
                          refused.text, re.S)
        assert error, key
        words = html.unescape(error.group(1))
        assert words.startswith(SETTINGS[key].label + " "), words
        assert key not in words   # the page's words, not the settings key
        assert f'value="{html.escape(BAD[key])}"' in refused.text, key   # kept as typed
        assert settingstore.current(key, DOMAIN) == before   # nothing stored
        # the same reason as `appliance settings set`, which names the key instead
        cli = panel.cli("settings", "set", key, BAD[key], check=False)
        assert cli.returncode != 0
        assert words[len(SETTINGS[key].label):].strip() in cli.stderr.decode()
        assert f"{key} must" in cli.stderr.decode() or f"{key} " in cli.stderr.decode()
        break   # one refused value per form here; test_panel_words has every field


def test_settings_forms_need_an_admin_a_login_and_the_token(panel):
    from appliance.webadmin.testclient import Client
    anonymous = Client(panel.app)
    assert anonymous.post("/admin/settings/relay", {"relay__delay_seconds": "5"},
                          csrf=False).status == 401
    agent = login(panel, AGENT)
    agent.get("/admin/email/message-center")
    assert agent.post("/admin/settings/relay", {"relay__delay_seconds": "5",
                                                "next": "/"}).status == 403
    admin = login(panel, ADMIN)
    admin.get("/admin/email/message-center")
    assert admin.post("/admin/settings/relay", {"relay__delay_seconds": "5"},
                      csrf=False).status == 403
    assert admin.post("/admin/settings/nothing", {"next": "/"}).status == 404
    assert settingstore.current("relay.delay_seconds", DOMAIN) == "60"
    # agents see the Message center without any settings form
    page = agent.get("/admin/email/message-center").text
    assert "/admin/settings/" not in page


def test_a_refused_value_redraws_the_page_it_came_from_and_only_its_own_form(panel):
    admin = login(panel)
    admin.get("/admin/email/outgoing")
    refused = admin.post("/admin/settings/delivery", {
        "outbound__retry_intervals": "300,900", "outbound__max_lifetime_hours": "0",
        "next": "/admin/email/outgoing"})
    assert refused.status == 400
    page = refused.text
    assert "Outgoing log" in page and 'aria-current="page">Outgoing' in page
    assert 'value="300,900"' in page and 'value="0"' in page
    assert "Give up after (hours) must be a whole number greater than 0" in page
    assert settingstore.current("outbound.retry_intervals", DOMAIN) != "300,900"
    # another site's page is never the one drawn
    away = admin.post("/admin/settings/delivery", {
        "outbound__max_lifetime_hours": "0", "next": "//evil.example/"})
    assert away.status == 400 and "evil.example" not in away.text
