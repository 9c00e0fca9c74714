"""Message-center templates: every default renders with every insertable property, an edit
is validated (a broken one is refused with line and reason, the old one stays), reset
restores the default byte for byte; the sandbox keeps templates away from the database."""
from __future__ import annotations

import pytest

from appliance.helpdesk import templates
from appliance.outbound.render import Appearance, default_source


@pytest.fixture
def db(box):
    database = box.db()
    yield database
    database.close()


def all_properties_body() -> str:
    lines = []
    for name, _ in templates.PROPERTIES:
        if name == "messages":
            lines.append("{% for m in messages %}{{ m.author }}: {{ m.body }}{% endfor %}")
        else:
            lines.append("{{ " + name + " }}")
    return "\n".join(lines)


def test_every_default_template_renders_with_sample_data(db):
    appearance = Appearance.defaults()
    for template in templates.all_templates():
        rendered = templates.preview(template.name, appearance)
        assert rendered.subject and "{{" not in rendered.subject, template.name
        assert rendered.text.strip() and "{{" not in rendered.text, template.name
        assert "<html" in rendered.html


def test_every_property_can_be_inserted_in_every_template(db):
    body = all_properties_body()
    appearance = Appearance.defaults()
    for template in templates.all_templates():
        saved = templates.save(template.name, "[#{{ item.id }}] {{ item.title }}", body)
        rendered = templates.render(saved.name, templates.sample_context(), appearance)
        assert "Printer jammed" in rendered.text and "Acme Support" in rendered.text
        assert "http://helpdesk.example/set-password/sample" in rendered.text


def test_reset_restores_the_default_byte_for_byte(db):
    for template in templates.all_templates():
        default_subject = default_source(template.name, "subject")
        default_body = default_source(template.name, "body")
        templates.save(template.name, "Changed {{ item.id }}", "Changed body")
        assert templates.get(template.name).body == "Changed body"
        reset = templates.reset(template.name)
        assert (reset.subject, reset.body) == (default_subject, default_body)
        assert reset.customised is False


@pytest.mark.parametrize("body,why", [
    ("Hello {{ requester.name", "line 1"),
    ("Line one\n{% for x in messages %}\nno end", "endfor"),
    ("{{ requester.nickname.upper() }}", "nickname"),
    ("{{ item.__class__.__mro__ }}", "unsafe"),
])
def test_broken_template_is_refused_and_the_old_one_stays(db, body, why):
    before = templates.get("auto_reply")
    with pytest.raises(templates.TemplateError) as refused:
        templates.save("auto_reply", "Subject", body)
    assert why in str(refused.value).lower() or why in str(refused.value)
    after = templates.get("auto_reply")
    assert (after.subject, after.body) == (before.subject, before.body)


def test_templates_cli_set_show_reset_and_system_email_warning(box, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("Hi {{ requester.name }}, got it: {{ item.title }}.")
    box.cli("templates", "set", "auto_reply", "--subject", "Got it [#{{ item.id }}]",
            "--body-file", str(body))
    shown = box.json("templates", "show", "auto_reply")
    assert shown["body"] == "Hi {{ requester.name }}, got it: {{ item.title }}."
    assert shown["kind"] == "automated_message"
    assert {"name": "item.title", "help": "the item's title"} in shown["properties"]
    listed = {t["name"]: t for t in box.json("templates", "list")}
    assert set(listed) == set(templates.SPECS)
    assert listed["new_item"]["enabled"] is False  # only disabled automations use it
    body.write_text("{% if %}")
    bad = box.cli("templates", "set", "auto_reply", "--subject", "x", "--body-file",
                  str(body), check=False)
    assert bad.returncode != 0 and b"line 1" in bad.stderr
    box.cli("templates", "reset", "auto_reply")
    assert box.json("templates", "show", "auto_reply")["body"] == default_source(
        "auto_reply", "body")
    warn = box.cli("templates", "disable", "password_reset", check=False)
    assert warn.returncode != 0 and b"can no longer reset" in warn.stderr
    assert box.json("templates", "show", "password_reset")["enabled"] is True
    box.cli("templates", "disable", "password_reset", "--yes")
    assert box.json("templates", "show", "password_reset")["enabled"] is False


def test_automations_cli(box):
    listed = {a["code"]: a for a in box.json("automations", "list")}
    assert listed["A02"]["enabled"] is True and listed["A12"]["enabled"] is False
    assert listed["A02"]["name"] == "Auto-reply on new ticket"
    assert "known requester" in listed["A02"]["description"]
    assert "public message" in listed["A02"]["description"]
    assert listed["A05"]["enabled"] is True and "assignees" in listed["A05"]["description"]
    assert listed["A21"]["enabled"] is False
    box.cli("automations", "disable", "a02")
    assert {a["code"]: a for a in box.json("automations", "list")}["A02"]["enabled"] is False
    bad = box.cli("automations", "enable", "A99", check=False)
    assert bad.returncode != 0 and b"A02" in bad.stderr
