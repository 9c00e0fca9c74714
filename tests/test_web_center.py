"""The panel's Message center tab, item fields and Users page in-process: a real SQLite
database made by ``appliance init``, every change through the WSGI app with its CSRF
token (login, roles and CSRF refusal of these routes are in test_web.py's route lists)."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import test_web
from test_web import ADMIN, AGENT, HOSTILE, login, mail_text, make_item

from appliance import clock
from appliance.helpdesk import automations, templates
from appliance.helpdesk.models import Automation, Item
from appliance.outbound.models import OutgoingMail
from appliance.outbound.render import default_source
from appliance.webadmin.testclient import Client

MC = "/admin/email/message-center"
panel = test_web.panel   # the same box: init, an admin and an agent, one item


@pytest.fixture(autouse=True)
def restore_center():
    """Each test starts from the defaults: templates, switches and automations."""
    from appliance.helpdesk.models import TemplateOverride
    from appliance.helpdesk.logins import LoginAttempt
    LoginAttempt.delete().execute()
    yield
    clock.set_source(None)
    TemplateOverride.delete().execute()
    for spec in automations.DEFAULTS:
        Automation.update(name=spec["name"], trigger=spec["trigger"],
                          conditions=spec["conditions"], actions=spec["actions"],
                          enabled=spec["enabled"]).where(
            Automation.code == spec["code"]).execute()


def main(page: str) -> str:
    return page.split("<main", 1)[1]


# --- the tab ------------------------------------------------------------------------------

def test_tab_shows_relay_automations_and_every_kind_of_template(panel):
    response = login(panel).get(MC)
    assert response.status == 200
    page = main(response.text)
    relay = templates.get("relay")
    assert 'id="relay"' in page and html.escape(relay.subject, quote=True) in page
    assert 'action="/admin/email/message-center/templates/relay"' in page
    for name, _ in templates.PROPERTIES:      # the "insert a property" list
        assert f">{name}: " in page, name
    for automation in Automation.select():
        row = page.split(f'id="automation-{automation.code}"')[1].split("</tr>")[0]
        assert automations.describe(automation) in html.unescape(row)
        assert f"/automations/{automation.code}/enabled" in row
    emails = page.split('id="automated-emails"')[1].split("</table>")[0]
    due = emails.split('id="template-task_due_soon"')[1].split("</tr>")[0]
    assert "Used by" in due and "A05" in due
    new_item = emails.split('id="template-new_item"')[1].split("</tr>")[0]
    assert "unused" in new_item and "A12" in new_item and "A13" in new_item
    assert "/automations/A12/enabled" in new_item and "Turn on A12" in new_item
    sla = emails.split('id="template-sla_breached"')[1].split("</tr>")[0]
    assert "unused" in sla and "Turn on A21" in sla
    system = page.split('id="system-emails"')[1].split("</table>")[0]
    assert "Account created" in system and "Password reset" in system
    messages = page.split('id="automated-messages"')[1].split("</table>")[0]
    assert "Auto-reply on a new ticket" in messages and "A02" in messages


def test_agents_may_look_but_change_nothing(panel):
    agent = login(panel, AGENT)
    for path in (MC, f"{MC}/templates/relay", f"{MC}/templates/account_created",
                 f"{MC}/automations/A02"):
        response = agent.get(path)
        assert response.status == 200, path
        # no form that changes anything: only the preview of the saved text
        forms = re.findall(r'method="post" action="([^"]*)"', response.text)
        assert all(f.endswith("/preview") for f in forms if f.startswith(MC)), path
    agent.get(f"{MC}/templates/relay")
    saved = agent.post(f"{MC}/templates/relay/preview")
    newest = Item.select().order_by(Item.id.desc()).first()   # previews show real data
    assert saved.status == 200 and html.escape(newest.title, quote=False) in saved.text
    assert "Only admins change" in agent.get(f"{MC}/templates/relay").text
    before = templates.get("relay")
    agent.get(MC)
    response = agent.post(f"{MC}/templates/relay", {"subject": "agent", "body": "agent"})
    assert response.status == 403
    assert agent.post(f"{MC}/automations/A02/enabled", {"enabled": "false"}).status == 403
    assert templates.get("relay") == before and Automation.get_by_id("A02").enabled
    page = agent.get("/items").text
    assert f'href="{MC}"' in page and "Email settings" not in page


# --- templates ----------------------------------------------------------------------------

def test_saving_a_template_goes_through_templates_save(panel):
    admin = login(panel)
    admin.get(f"{MC}/templates/auto_reply")
    response = admin.post(f"{MC}/templates/auto_reply", {
        "subject": "Re: {{ item.title }}", "body": "Hi {{ requester.name }},\r\nwe got it."})
    assert response.status == 303 and response.location == f"{MC}/templates/auto_reply"
    saved = templates.get("auto_reply")
    assert (saved.subject, saved.body, saved.customised) == (
        "Re: {{ item.title }}", "Hi {{ requester.name }},\nwe got it.", True)
    assert "saved" in admin.get(response.location).text


@pytest.mark.parametrize("body, reason", [
    ("Hello {{ item.title \nline two", "line 2"),
    ("fine\n{% if item.id %}\nnever closed", "line"),
    ("Dear {{ requester.password_hash }}", "Unknown property 'requester.password_hash'. "
                                           "You can use: requester.name, requester.email"),
])
def test_a_broken_template_is_refused_and_the_form_keeps_the_admins_text(panel, body, reason):
    admin = login(panel)
    before = templates.get("relay")
    admin.get(MC)
    typed = "<b>mine</b> " + body
    response = admin.post(f"{MC}/templates/relay", {"subject": "[#{{ item.id }}] mine",
                                                    "body": typed})
    assert response.status == 400
    error = re.search(r'id="template-error">(.*?)</p>', response.text, re.S).group(1)
    assert "Not saved: body" in error and reason in html.unescape(error)
    assert "unchanged" in error
    # the admin's text comes back, escaped, in the textarea
    assert html.escape(typed, quote=False) in response.text
    assert 'value="[#{{ item.id }}] mine"' in response.text
    assert "<b>mine</b>" not in response.text
    assert templates.get("relay") == before


def test_hostile_template_text_and_automation_names_are_escaped(panel):
    admin = login(panel)
    templates.save("new_item", HOSTILE + " {{ item.title }}", HOSTILE + "\n{{ item.id }}")
    Automation.update(name=HOSTILE).where(Automation.code == "A12").execute()
    for path in (MC, f"{MC}/templates/new_item", f"{MC}/automations/A12"):
        page = admin.get(path).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    admin.get(f"{MC}/templates/new_item")
    confirm = admin.post(f"{MC}/templates/new_item/reset").text   # both texts shown
    assert "<script>alert(1)" not in confirm and "&lt;script&gt;" in confirm
    # in the email itself the body is escaped too (HTML part), and the frame runs nothing
    admin.get(f"{MC}/templates/new_item")
    frame = admin.post(f"{MC}/templates/new_item/preview")
    assert "<script>alert(1)" not in frame.text
    assert "sandbox" in frame.header("Content-Security-Policy")


def test_preview_renders_the_newest_item_with_the_saved_appearance(panel):
    admin = login(panel)
    panel.cli("settings", "set", "appearance.company_name", "Acme Printing")
    newest = Item.select().order_by(Item.id.desc()).first()
    try:
        admin.get(f"{MC}/templates/relay")
        saved = admin.post(f"{MC}/templates/relay/preview").text
        assert "Acme Printing" in saved and html.escape(newest.title, quote=False) in saved
        admin.get(f"{MC}/templates/relay")
        typed = admin.post(f"{MC}/templates/relay/preview", {
            "subject": "Hello {{ requester.name }}", "body": "Body for {{ requester.email }}"}
        ).text
        who = newest.requester
        assert f"Hello {html.escape(who.name or who.email.split('@')[0])}" in typed
        assert f"Body for {who.email}" in typed
        admin.get(f"{MC}/templates/relay")
        broken = admin.post(f"{MC}/templates/relay/preview", {
            "subject": "x", "body": "{{ item.title <script>"}).text
        assert "cannot be shown" in broken and "line 1" in broken
        assert "<script>" not in broken
    finally:
        panel.cli("settings", "set", "appearance.company_name", "Support")


def test_reset_to_default_asks_first_on_a_page_of_its_own(panel):
    admin = login(panel)
    templates.save("relay", "Mine {{ item.id }}", "My relay body")
    page = admin.get(f"{MC}/templates/relay").text
    assert f'action="{MC}/templates/relay/reset"' in page
    response = admin.post(f"{MC}/templates/relay/reset")
    assert response.status == 200
    confirm = response.text
    assert "Reset “Relay email” to its default text?" in confirm
    assert "My relay body" in confirm and html.escape(
        default_source("relay", "subject"), quote=False) in confirm
    assert 'name="confirm" value="yes"' in confirm and "Cancel" in confirm
    assert templates.get("relay").customised          # nothing happened yet
    response = admin.post(f"{MC}/templates/relay/reset", {"confirm": "yes"})
    assert response.status == 303
    after = templates.get("relay")
    assert not after.customised
    assert (after.subject, after.body) == (default_source("relay", "subject"),
                                           default_source("relay", "body"))
    # no reset offered for a template that is the default already
    assert f'action="{MC}/templates/relay/reset"' not in admin.get(f"{MC}/templates/relay").text


def test_turning_off_a_system_email_shows_what_stops_working_first(panel):
    admin = login(panel)
    admin.get(f"{MC}/templates/account_created")
    response = admin.post(f"{MC}/templates/account_created/enabled", {"enabled": "false"})
    assert response.status == 200
    assert html.escape(templates.SPECS["account_created"].stops, quote=False) in \
        response.text
    assert "What stops working" in response.text
    assert templates.get("account_created").enabled       # only a warning so far
    response = admin.post(f"{MC}/templates/account_created/enabled",
                          {"enabled": "false", "confirm": "yes"})
    assert response.status == 303 and not templates.get("account_created").enabled
    page = admin.get(f"{MC}").text
    assert "badge-failed\">off" in page.split('id="template-account_created"')[1]
    admin.post(f"{MC}/templates/account_created/enabled", {"enabled": "true"})
    assert templates.get("account_created").enabled
    # automated emails follow their automation: no switch of their own
    assert admin.post(f"{MC}/templates/new_item/enabled", {"enabled": "false",
                                                           "confirm": "yes"}).status == 400
    assert admin.get(f"{MC}/templates/nothing-like-this").status == 404


# --- automations --------------------------------------------------------------------------

def test_active_toggle(panel):
    admin = login(panel)
    admin.get(MC)
    response = admin.post(f"{MC}/automations/A02/enabled", {"enabled": "false"})
    assert response.status == 303 and response.header("Location").endswith(
        f"{MC}#automations")
    assert not Automation.get_by_id("A02").enabled
    assert "A02 “Auto-reply on new ticket” is now off" in admin.get(MC).text
    admin.post(f"{MC}/automations/A02/enabled", {"enabled": "true"})
    assert Automation.get_by_id("A02").enabled
    assert admin.post(f"{MC}/automations/A99/enabled", {"enabled": "true"}).status == 404


def test_an_unused_email_offers_to_turn_on_the_automation_that_would_use_it(panel):
    admin = login(panel)
    page = admin.get(MC).text
    row = page.split('id="template-new_item"')[1].split("</tr>")[0]
    next_field = re.search(r'name="next" value="([^"]+)"', row).group(1)
    response = admin.post(f"{MC}/automations/A12/enabled",
                          {"enabled": "true", "next": next_field})
    assert response.header("Location").endswith(f"{MC}#automated_email")
    assert Automation.get_by_id("A12").enabled
    row = admin.get(MC).text.split('id="template-new_item"')[1].split("</tr>")[0]
    assert "Used by" in row and "unused" not in row and "A13" in row  # A13 still off
    # an outside target is never followed
    response = admin.post(f"{MC}/automations/A12/enabled",
                          {"enabled": "false", "next": "//evil.example/"})
    assert response.header("Location").endswith(f"{MC}#automations")


def _form(**extra) -> dict:
    form = {"name": "Stale tickets", "trigger": "time_elapsed", "cond_type": ["ticket"],
            "cond_hours": "72", "action0_do": "set_field", "action0_value": "status:pending",
            "action1_do": "send_email", "action1_template": "new_item", "action1_to": "address",
            "action1_address": "lead@box.example"}
    form.update(extra)
    return form


def test_automation_logic_is_edited_with_validation_and_clear_errors(panel):
    admin = login(panel)
    page = admin.get(f"{MC}/automations/A13").text
    assert 'id="automation-form"' in page and "/templates/new_item" in page
    before = automations.to_json(Automation.get_by_id("A13"))
    bad = [
        (_form(cond_hours=""), "Hours without change: required"),
        (_form(cond_hours="soon"), "Hours without change: a number"),
        (_form(trigger="item_created"), "only for the trigger"),
        (_form(action1_address="not an address"), "is not an email address"),
        (_form(action1_to="everyone"), "send it to the requester"),
        (_form(action0_do="post_message", action0_template="new_item"),
         "choose the template, one of auto_reply"),
        (_form(action0_value="colour:red"), "the field to set is status or priority"),
        (_form(trigger="sometimes"), "Trigger: choose one of"),
        (_form(cond_status=["open", "lost"]), "Condition status: lost"),
        (_form(name=""), "Name: required"),
        (_form(action0_do="", action1_do=""), "add at least one action"),
    ]
    for form, error in bad:
        admin.get(f"{MC}/automations/A13")
        response = admin.post(f"{MC}/automations/A13", form)
        assert response.status == 400, error
        errors = response.text.split('id="automation-errors"')[1].split("</div>")[0]
        assert error in html.unescape(errors), (error, errors)
        assert "Not saved; the automation works as before" in errors
        if form["name"]:
            assert 'value="Stale tickets"' in response.text   # the form keeps the input
        assert automations.to_json(Automation.get_by_id("A13")) == before
    admin.get(f"{MC}/automations/A13")
    response = admin.post(f"{MC}/automations/A13", _form())
    assert response.status == 303
    saved = Automation.get_by_id("A13")
    assert saved.name == "Stale tickets" and saved.trigger == "time_elapsed"
    assert saved.conditions == {"type": ["ticket"], "hours": 72}
    assert saved.actions == [
        {"do": "set_field", "field": "status", "value": "pending"},
        {"do": "send_email", "template": "new_item", "to": "address:lead@box.example"}]
    words = automations.describe(saved)
    assert "after 72 hours without change" in words and "lead@box.example" in words
    assert words in html.unescape(admin.get(response.location).text)


def test_automation_edit_keeps_hostile_names_escaped_on_refusal(panel):
    admin = login(panel)
    admin.get(f"{MC}/automations/A13")
    response = admin.post(f"{MC}/automations/A13", _form(name=HOSTILE, cond_hours=""))
    assert response.status == 400
    assert "<script>alert(1)" not in response.text
    assert html.escape(HOSTILE, quote=True) in response.text


# --- items --------------------------------------------------------------------------------

def test_agents_set_priority_assignee_due_date_and_status(panel):
    from appliance.helpdesk.models import Event, Person
    item = make_item(title="Fields", requester="fields@client.example", body="hi")
    agent = login(panel, AGENT)
    page = agent.get(f"/items/{item.id}").text
    assert 'id="fields-form"' in page and "Alice Agent" in page
    alice = Person.get(Person.email == AGENT[0])
    response = agent.post(f"/items/{item.id}/fields", {
        "status": "pending", "priority": "high", "assignee": str(alice.id),
        "due_at": "2031-05-04T17:30"})
    assert response.status == 303
    item = type(item).get_by_id(item.id)
    assert (item.status, item.priority, item.assignee_id) == ("pending", "high", alice.id)
    assert clock.iso(item.due_at).startswith("2031-05-04T17:30")
    assert Event.select().where(Event.item == item, Event.kind == "status_changed").count() == 1
    flash = agent.get(response.location).text
    assert "priority normal -&gt; high" in flash and 'value="2031-05-04 17:30"' in flash
    # clearing the assignee and the due date
    agent.post(f"/items/{item.id}/fields", {"status": "pending", "priority": "high",
                                            "assignee": "", "due_at": ""})
    item = type(item).get_by_id(item.id)
    assert item.assignee_id is None and item.due_at is None
    for bad, words in (({"priority": "whenever"}, "Nothing changed: Priority:"),
                       ({"assignee": "999999"}, "Assignee: choose an active agent"),
                       ({"due_at": "next week"}, "Nothing changed: Due (UTC):"),
                       # a customer is not an assignee
                       ({"assignee": str(item.requester_id)}, "Assignee: choose")):
        response = agent.post(f"/items/{item.id}/fields", bad)
        assert response.status == 400, bad
        assert words in html.unescape(response.text), bad


def test_a_reply_is_queued_for_the_relay_with_the_configured_delay(panel):
    from appliance.helpdesk.models import Message
    from appliance.helpdesk.relaymodels import RelayEntry
    panel.cli("settings", "set", "relay.delay_seconds", "7")
    try:
        item = make_item(title="Relay me", requester="relay@client.example", body="hi")
        admin = login(panel)
        admin.get(f"/items/{item.id}")
        response = admin.post(f"/items/{item.id}/messages", {"body": "On it.", "kind": "reply"})
        assert "within 7 s" in admin.get(response.location).text
        message = Message.select().where(Message.item == item).order_by(
            Message.id.desc()).first()
        entry = RelayEntry.get(RelayEntry.message == message)
        assert entry.person.email == "relay@client.example"
        assert (entry.due_at - message.created_at) == timedelta(seconds=7)
    finally:
        panel.cli("settings", "set", "relay.delay_seconds", "60")


def test_opening_an_item_stops_its_pending_relay_for_the_viewer(panel):
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.models import Person
    from appliance.helpdesk.relaymodels import RelayEntry
    item = make_item(title="Seen by the agent", requester="seen@client.example", body="x")
    alice = Person.get(Person.email == AGENT[0])
    people.follow(item, alice)
    conversation.post(item, item.requester, "Any news?", relay_delay=60)
    entry = RelayEntry.get(RelayEntry.item == item, RelayEntry.person == alice)
    assert entry.state == "pending"
    login(panel, AGENT).get(f"/items/{item.id}")
    assert RelayEntry.get_by_id(entry.id).state == "seen"


def test_the_item_page_says_when_mail_to_the_requester_bounced(panel):
    from appliance.outbound.models import OutgoingRecipient
    item = make_item(title="Bouncy", requester="gone@client.example", body="x")
    admin = login(panel)
    assert 'id="requester-bounced"' not in admin.get(f"/items/{item.id}").text
    mail = OutgoingMail.create(kind="reply", item=item, subject="[#1] Bouncy",
                               message_id=f"<bounce-{item.id}@box.example>",
                               mail_from="support@box.example", raw=b"x", status="bounced")
    OutgoingRecipient.create(mail=mail, email="gone@client.example", status="bounced")
    page = admin.get(f"/items/{item.id}").text
    assert "Mail to the requester bounced" in page and 'id="requester-bounced"' in page


# --- users --------------------------------------------------------------------------------

def _last_mail_to(address: str):
    from appliance.outbound.models import OutgoingRecipient
    return (OutgoingMail.select().join(OutgoingRecipient)
            .where(OutgoingRecipient.email == address)
            .order_by(OutgoingMail.id.desc()).first())


def test_adding_a_user_sends_the_invitation_with_a_set_password_link(panel):
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    admin = login(panel)
    page = admin.get("/admin/users").text
    assert AGENT[0] in page and ADMIN[0] in page and 'id="add-user"' in page
    response = admin.post("/admin/users", {"name": "Nora New", "email": "Nora@Box.Example",
                                           "role": "agent"})
    assert response.status == 303
    assert "invitation" in admin.get("/admin/users").text
    mail = _last_mail_to("Nora@box.example")   # the domain part is lower-cased
    assert mail.kind == "system"
    text = mail_text(mail.raw)
    assert "Nora New" in text and "48 hours" in text
    # the link is under web.public_url (set at init), whatever Host the request had
    link = re.search(re.escape(panel.cfg.public_url.rstrip("/")) + r"(/password-reset/[\w-]+)",
                     text).group(1)
    frozen.advance(47 * 3600)      # still valid for almost two days
    newcomer = Client(panel.app)
    form = newcomer.get(link)
    assert "Choose your password" in form.text and 'name="password"' in form.text
    assert newcomer.post(link, {"password": "nora-pw-12345", "again": "nora-pw-12345"}
                         ).status == 303
    assert Client(panel.app).login("Nora@box.example", "nora-pw-12345").status == 303
    assert "not valid any more" in newcomer.get(link).text   # single use


def test_an_invitation_link_expires_after_48_hours(panel):
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    admin = login(panel)
    admin.get("/admin/users")
    admin.post("/admin/users", {"name": "Late Larry", "email": "larry@box.example",
                                "role": "admin"})
    link = re.search(r"(/password-reset/[\w-]+)",
                     mail_text(_last_mail_to("larry@box.example").raw)).group(1)
    frozen.advance(49 * 3600)
    assert "not valid any more" in Client(panel.app).get(link).text


def test_no_invitation_while_account_created_is_off(panel):
    admin = login(panel)
    templates.set_enabled("account_created", False)
    try:
        page = admin.get("/admin/users").text
        assert "is turned off" in page
        response = admin.post("/admin/users", {"name": "Quiet Quinn",
                                               "email": "quinn@box.example", "role": "agent"})
        assert response.status == 303
        assert "no invitation was sent" in admin.get("/admin/users").text
        assert _last_mail_to("quinn@box.example") is None
    finally:
        templates.set_enabled("account_created", True)


def test_add_user_errors_keep_the_form_and_escape_it(panel):
    admin = login(panel)
    admin.get("/admin/users")
    response = admin.post("/admin/users", {"name": HOSTILE, "email": "not-an-address",
                                           "role": "agent"})
    assert response.status == 400 and \
        "Not added: Email address: not an email address" in response.text
    assert "<script>alert(1)" not in response.text
    assert html.escape(HOSTILE, quote=True) in response.text
    admin.get("/admin/users")
    response = admin.post("/admin/users", {"name": "Dup", "email": AGENT[0], "role": "agent"})
    assert response.status == 400 and "already a user" in response.text
    admin.get("/admin/users")
    assert admin.post("/admin/users", {"name": "X", "email": "x@box.example",
                                       "role": "owner"}).status == 400


def test_deactivate_and_activate_a_user(panel):
    from appliance.helpdesk.models import Person, User
    panel.cli("users", "add", "--email", "dan@box.example", "--name", "Dan",
              "--role", "agent", "--password", "dan-password-1")
    dan = User.select().join(Person).where(Person.email == "dan@box.example").get()
    session = login(panel, ("dan@box.example", "dan-password-1"))
    admin = login(panel)
    admin.get("/admin/users")
    assert admin.post(f"/admin/users/{dan.id}/deactivate").status == 303
    assert "can no longer log in" in admin.get("/admin/users").text
    assert session.get("/items").status == 303                 # the open session ends
    assert Client(panel.app).login("dan@box.example", "dan-password-1").status == 401
    admin.post(f"/admin/users/{dan.id}/activate")
    assert Client(panel.app).login("dan@box.example", "dan-password-1").status == 303
    me = User.select().join(Person).where(Person.email == ADMIN[0]).get()
    admin.post(f"/admin/users/{me.id}/deactivate")
    assert "you cannot deactivate yourself" in admin.get("/admin/users").text
    assert User.get_by_id(me.id).active


def test_cli_users_add_without_password_sends_the_same_invitation(panel):
    out = panel.cli("users", "add", "--email", "cli@box.example", "--name", "Cli Carla",
                    "--role", "agent").stdout.decode()
    assert "invitation" in out and "queued" in out and not re.search(r"password \S{12,}", out)
    text = mail_text(_last_mail_to("cli@box.example").raw)
    assert "Cli Carla" in text and "/password-reset/" in text
    out = panel.cli("users", "add", "--email", "pw@box.example", "--name", "Pat",
                    "--role", "agent", "--password", "pat-password-1").stdout.decode()
    assert out.strip() == "agent pw@box.example added"
    assert _last_mail_to("pw@box.example") is None
    panel.cli("templates", "disable", "account_created", "--yes")
    try:
        out = panel.cli("users", "add", "--email", "off@box.example", "--name", "Off",
                        "--role", "agent").stdout.decode()
        assert "turned off" in out and re.search(r"password \S{12,}", out)
        assert _last_mail_to("off@box.example") is None
    finally:
        panel.cli("templates", "enable", "account_created")
