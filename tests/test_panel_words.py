"""Words for people (issue 16, point 5): every form of the panel, given bad input, answers
with the field named as the page labels it and keeps what was typed; a template that uses
an unknown property says which and lists the ones it may use; previews show the real
newest item under the real organisation name, else a sample that says it is one.  A real
SQLite box made by ``appliance init``, every request through the WSGI app with its CSRF
token."""
from __future__ import annotations

import html
import re

import pytest
import test_web
from conftest import Box
from test_panel_settings import BAD, form_page
from test_web import login, make_item

from appliance.helpdesk import settingstore
from appliance.helpdesk.models import Setting, TemplateOverride
from appliance.settings import SETTINGS
from appliance.webadmin.settingforms import FORMS
from appliance.webadmin.testclient import Client

panel = test_web.panel   # a box: init, an admin and an agent, one item
MC = "/admin/email/message-center"
APPEARANCE = {"appearance__company_name": "Acme Ltd",
              "appearance__display_name": "{agent} at {company}", "appearance__header": "",
              "appearance__signature": "The {company} team",
              "appearance__brand_color": "#112233"}
OUTGOING = {"own_smtp": "on", "host": "smtp.acme.example", "port": "587",
            "security": "starttls", "username": "box", "password": "",
            "from_address": "help@acme.example"}
AUTOMATION = {"name": "Auto-reply on new ticket", "trigger": "item_created",
              "cond_type": "ticket", "action0_do": "post_message",
              "action0_template": "auto_reply", "action0_internal": "public"}
RELAY = {"subject": "[#{{ item.id }}] {{ item.title }}", "body": "{{ message.body }}"}

# (page, form action, a valid form, what is made wrong, the words, what must come back)
# Appearance's header and signature take any text, a checkbox any state: nothing to refuse.
FIXED_FORMS = {
    "company name": ("/admin/email/appearance", "/admin/email/appearance", APPEARANCE,
                     {"appearance__company_name": "x" * 201},
                     "Company name must be one line of 1 to 200 characters",
                     'value="' + "x" * 201 + '"'),
    "display name": ("/admin/email/appearance", "/admin/email/appearance", APPEARANCE,
                     {"appearance__display_name": "{agent} {oops}"},
                     "Display name pattern may use only {agent} and {company}",
                     'value="{agent} {oops}"'),
    "brand colour": ("/admin/email/appearance", "/admin/email/appearance", APPEARANCE,
                     {"appearance__brand_color": "blue"},
                     "Brand colour must be a colour like #2563eb", 'value="blue"'),
    "from address": ("/admin/email/outgoing", "/admin/email/outgoing/settings", OUTGOING,
                     {"from_address": "not-an-address"},
                     "From address must be an email address", 'value="not-an-address"'),
    "port": ("/admin/email/outgoing", "/admin/email/outgoing/settings", OUTGOING,
             {"port": "99999"},
             "Server and port must be host:port, e.g. smtp.example.com:587",
             'value="99999"'),
    "server": ("/admin/email/outgoing", "/admin/email/outgoing/settings", OUTGOING,
               {"host": "", "username": "kept-user"},
               "Server: enter your SMTP server's host name", 'value="kept-user"'),
    "blocklist": ("/admin/blocklist", "/admin/blocklist", {},
                  {"pattern": "not an address"},
                  "Address or *@domain: “not an address” is not an address",
                  'value="not an address"'),
    "template subject": (f"{MC}/templates/relay", f"{MC}/templates/relay", RELAY,
                         {"subject": "   ", "body": "kept {{ item.title }}"},
                         "Not saved: subject: a subject is required",
                         ">kept {{ item.title }}</textarea>"),
    "template body": (f"{MC}/templates/relay", f"{MC}/templates/relay", RELAY,
                      {"body": "Hi {{ item.titel }}"},
                      "Not saved: body, line 1: Unknown property 'item.titel'. You can use: "
                      "item.id, item.title", ">Hi {{ item.titel }}</textarea>"),
    "automation name": (f"{MC}/automations/A02", f"{MC}/automations/A02", AUTOMATION,
                        {"name": "", "cond_hours": ""}, "Name: required.",
                        'name="cond_type" value="ticket" checked'),
    "automation hours": (f"{MC}/automations/A02", f"{MC}/automations/A02", AUTOMATION,
                         {"trigger": "time_elapsed", "cond_hours": "soon"},
                         "Hours without change: a number from 1 to", 'value="soon"'),
    "automation address": (f"{MC}/automations/A02", f"{MC}/automations/A02", AUTOMATION,
                           {"action0_do": "send_email", "action0_template": "new_item",
                            "action0_to": "address", "action0_address": "nobody"},
                           "Action 1: 'nobody' is not an email address.", 'value="nobody"'),
    "user email": ("/admin/users", "/admin/users", {"name": "Nora", "role": "agent"},
                   {"email": "nora at acme"},
                   "Not added: Email address: not an email address", 'value="nora at acme"'),
    "user name": ("/admin/users", "/admin/users",
                  {"email": "nora@box.example", "role": "agent"}, {"name": ""},
                  "Not added: Name: a name is required", 'value="nora@box.example"'),
}


@pytest.fixture(autouse=True)
def clean():
    from appliance.helpdesk.logins import LoginAttempt
    LoginAttempt.delete().execute()
    yield
    Setting.delete().execute()
    TemplateOverride.delete().execute()


def refused(admin: Client, page: str, action: str, data: dict):
    admin.get(page)
    response = admin.post(action, data)
    assert response.status == 400, (action, response.status)
    return response


@pytest.mark.parametrize("case", list(FIXED_FORMS))
def test_every_form_names_the_field_as_its_page_labels_it_and_keeps_the_input(panel, case):
    page, action, valid, wrong, words, kept = FIXED_FORMS[case]
    admin = login(panel)
    before = dict(settingstore.values(list(SETTINGS), "box.example"))
    response = refused(admin, page, action, {**valid, **wrong})
    text = html.unescape(response.text)
    assert words in text, text[text.find('class="error'):][:400]
    assert kept in response.text or kept in text
    assert "dict object" not in text
    assert settingstore.values(list(SETTINGS), "box.example") == before   # nothing stored


# Forms that answer on the page they came from: (page, action, form, the label the page
# shows, the words).  {item} is the panel's item.
PAGE_FORMS = {
    "new password too short": ("/account", "/account/password",
                               {"current": test_web.ADMIN[1], "password": "short",
                                "again": "short"}, "New password",
                               "New password: at least 10 characters are needed."),
    "the same again": ("/account", "/account/password",
                       {"current": test_web.ADMIN[1], "password": "a-new-pw-12345",
                        "again": "a-new-pw-54321"}, "The same again",
                       "The same again: it is not the same as the new password."),
    "current password": ("/account", "/account/password",
                         {"current": "not-it-at-all", "password": "a-new-pw-12345",
                          "again": "a-new-pw-12345"}, "Current password",
                         "Current password: that is not your password; nothing changed."),
    "follower": ("/items/{item}", "/items/{item}/followers", {"email": "ben at client"},
                 "Add a follower", "Add a follower: “ben at client” is not an email address."),
    "status": ("/items/{item}", "/items/{item}/status", {"status": "done"}, "Status",
               "Status: “done” is not one of open, pending, resolved, closed."),
    "assignee": ("/items/{item}", "/items/{item}/fields", {"assignee": "99999"}, "Assignee",
                 "Assignee: choose an active agent or admin."),
    "priority": ("/items/{item}", "/items/{item}/fields", {"priority": "asap"}, "Priority",
                 "Priority: “asap” is not one of low, normal, high, urgent"),
}


@pytest.mark.parametrize("case", list(PAGE_FORMS))
def test_item_and_account_forms_name_the_field_as_its_page_labels_it(panel, case):
    page, action, data, label, words = (
        v.format(item=panel.item.id) if isinstance(v, str) else v for v in PAGE_FORMS[case])
    admin = login(panel)
    shown = html.unescape(admin.get(page).text)
    assert label in shown   # the words name what the page shows
    before = (panel.item.status, panel.item.priority, panel.item.assignee_id)
    response = admin.post(action, data, follow=True)
    text = html.unescape(response.text)
    assert words in text, (response.status, text[:300])
    panel.item = type(panel.item).get_by_id(panel.item.id)
    assert (panel.item.status, panel.item.priority, panel.item.assignee_id) == before
    login(panel)   # the password is the old one still


SETTING_FIELDS = [(form.name, key) for form in FORMS.values() for key in form.keys
                  if key in BAD]


def test_the_table_covers_every_field_a_settings_form_can_refuse():
    refusable = {k for f in FORMS.values() for k in f.keys if SETTINGS[k].kind != "flag"}
    assert refusable == {k for _, k in SETTING_FIELDS}


@pytest.mark.parametrize("name, key", SETTING_FIELDS)
def test_every_settings_form_field_names_its_label_and_keeps_the_input(panel, name, key):
    form, page = FORMS[name], form_page(name)
    admin = login(panel)
    valid = {k.replace(".", "__"): settingstore.current(k, "box.example")
             for k in form.keys if SETTINGS[k].kind != "flag"}
    response = refused(admin, page, form.action, {**valid, key.replace(".", "__"): BAD[key],
                                                  "next": page})
    field = key.replace(".", "__")
    error = html.unescape(re.search(rf'id="error-{field}">(.*?)</p>', response.text,
                                    re.S).group(1))
    assert error.startswith(f"{SETTINGS[key].label} must be "), error
    assert key not in error
    assert f'name="{field}" value="{html.escape(BAD[key])}"' in response.text
    assert settingstore.current(key, "box.example") == SETTINGS[key].default


# --- template errors (5b) --------------------------------------------------------------------

@pytest.mark.parametrize("body, words", [
    ("Dear {{ requester.nam }}", "Unknown property 'requester.nam'. You can use: "
                                 "requester.name, requester.email"),
    ("{{ titel }}", "Unknown property 'titel'. You can use: item.id, item.title, item.type"),
    ("{% for m in messages %}{{ m.autor }}{% endfor %}",
     "Unknown property 'm.autor'. You can use: m.id, m.author, m.body"),
    ("{{ item['titel'] }}", "Unknown property 'item.titel'. You can use: item.id"),
    ("ok\n{{ item.title", "body, line 2: a {{ is not closed with }}. The properties you "
                          "can use: item.id, item.title"),
    ("{% if item.id %}open", "{% if %} is never closed: add {% endif %}. The properties"),
    ("{% endif %}", "{% endif %} has no {% if %} before it to close"),
    ("{{ item title }}", "unexpected 'title' inside {{ }}"),
])
def test_template_errors_name_the_unknown_property_and_list_the_valid_ones(
        panel, body, words):
    admin = login(panel)
    response = refused(admin, f"{MC}/templates/auto_reply", f"{MC}/templates/auto_reply",
                       {"subject": "Re: {{ item.title }}", "body": body})
    error = html.unescape(re.search(r'id="template-error">(.*?)</p>', response.text,
                                    re.S).group(1))
    assert words in error
    for jinja in ("dict object", "has no attribute", "is undefined", "expected token",
                  "Encountered", "Jinja"):
        assert jinja not in error, error
    # the preview says the same, and the command line (templates set) too
    admin.get(f"{MC}/templates/auto_reply")
    frame = html.unescape(admin.post(f"{MC}/templates/auto_reply/preview",
                                     {"subject": "x", "body": body}).text)
    assert "cannot be shown" in frame and words in frame
    cli = panel.cli("templates", "set", "auto_reply", "--subject", "x", "--body-file", "-",
                    input=body.encode(), check=False)
    assert cli.returncode != 0 and words in cli.stderr.decode()


def test_a_template_failing_on_real_data_says_what_it_missed():
    from appliance.outbound.render import RenderError, render_part
    with pytest.raises(RenderError) as caught:
        render_part("body", "{{ item.titel }}", {"item": {"id": 1, "title": "t"}})
    assert str(caught.value) == ("body, line 1: unknown property 'titel'; here you can "
                                 "use: id, title")


# --- previews (5c) ---------------------------------------------------------------------------

def test_previews_show_the_newest_item_its_requester_and_public_messages(panel):
    from appliance.helpdesk import conversation
    admin = login(panel)
    panel.cli("settings", "set", "appearance.company_name", "Words & Co")
    item = make_item("Scanner eats paper", "dora@client.example",
                     "The scanner on floor 3 eats every page.", name="Dora Diaz")
    conversation.post(item, item.requester, "Still broken today.")
    conversation.post(item, None, "SECRET internal note", internal=True)
    admin.get(f"{MC}/templates/relay")
    frame = html.unescape(admin.post(f"{MC}/templates/relay/preview").text)
    assert f"Your newest item: #{item.id} “Scanner eats paper”, requested by Dora Diaz" \
        in frame
    assert "Scanner eats paper" in frame and "Still broken today." in frame
    assert "Words & Co" in frame and "Acme Support" not in frame
    assert "Printer jammed" not in frame and "SECRET internal note" not in frame
    typed = html.unescape(admin.post(f"{MC}/templates/relay/preview", {
        "subject": "To {{ requester.name }}", "body": "Last: {{ message.body }}"}).text)
    assert "To Dora Diaz" in typed and "Last: Still broken today." in typed
    # the Appearance tab's preview: the same item, the real company name, no Maria Lopez
    look = html.unescape(admin.get("/admin/email/appearance/preview").text)
    assert "Scanner eats paper" in look and "Words & Co" in look
    assert "Dora Diaz at Words & Co" in look
    assert "Maria" not in look and "SECRET internal note" not in look
    assert f"Your newest item: #{item.id}" in look


def test_with_no_item_yet_the_preview_is_a_sample_that_says_so(panel, tmp_path):
    from appliance import config
    from appliance.webadmin.app import make_app
    box = Box(tmp_path / "empty").init()
    box.cli("settings", "set", "appearance.company_name", "Empty Box Ltd")
    box.db()
    try:
        admin = Client(make_app(config.load(box.ini)))
        assert admin.login(*test_web.ADMIN).status == 303
        admin.get(f"{MC}/templates/relay")
        frame = html.unescape(admin.post(f"{MC}/templates/relay/preview").text)
        assert "A sample (there is no item yet)" in frame
        assert "Empty Box Ltd" in frame and "Acme Support" not in frame
        look = html.unescape(admin.get("/admin/email/appearance/preview").text)
        assert "A sample (there is no item yet)" in look and "Empty Box Ltd" in look
    finally:
        box.stop_all()
        panel.db()   # the models are bound to the module's box again
