"""Email settings → Message center: the relay email, automated messages, the automations
(list, active switch, their logic), automated emails and system emails.

Everything goes through the same functions as ``appliance templates`` and ``appliance
automations`` (:mod:`appliance.helpdesk.templates`, :mod:`appliance.helpdesk.automations`):
a template edit is validated by ``templates.save`` (a broken one is refused with line and
reason, the old one stays).  Agents may look; only admins change anything.  Resetting a
template and turning a system email off each ask for a confirmation on a page of their own
(a second POST with ``confirm=yes``), not only a script's ``confirm()``.

The preview is a POST with the CSRF token (a GET is 405): it renders text the admin typed,
under the template budget (:mod:`appliance.helpdesk.sandbox`), so a page elsewhere cannot
make a logged-in browser run it and a heavy loop answers with the budget's reason at once.
Templates that failed on real data show their last failure (:mod:`appliance.helpdesk.failures`).
"""
from __future__ import annotations

import bottle
from markupsafe import escape

from appliance.helpdesk import automations, failures, templates
from appliance.helpdesk.models import Automation, ItemType
from appliance.helpdesk.settingstore import current as stored_setting
from appliance.outbound.render import Appearance, RenderError
from appliance.statuses import ItemStatus, Priority, words
from appliance.webadmin import security
from appliance.webadmin.auth import safe_next
from appliance.webadmin.mailpages import frame
from appliance.webadmin.pages import done, render

BASE = "/admin/email/message-center"
KINDS = {"relay": "Relay email", "automated_message": "Automated message",
         "automated_email": "Automated email", "system_email": "System email"}
RECIPIENT_WORDS = {"requester": "the requester", "followers": "the requester and following agents",
                   "assignees": "the assignee", "admins": "the admins",
                   "address": "this address:"}
MAX_ACTIONS = 6


def _template(name: str) -> templates.Template:
    if name not in templates.SPECS:
        bottle.abort(404, "No such template.")
    return templates.get(name)


def _automation(code: str) -> Automation:
    try:
        return automations.find(code)
    except automations.AutomationError:
        bottle.abort(404, "No such automation.")


def is_admin() -> bool:
    user = security.current_user()
    return user is not None and user.role == "admin"


def template_row(template: templates.Template, every: list[Automation]) -> dict:
    active, inactive = templates.usage(template.name, every)
    return {"t": template, "active": active, "inactive": inactive,
            "url": f"{BASE}/templates/{template.name}"}


def parse_automation_form(form) -> tuple[str, str, dict, list[dict]]:
    """The automation page's form as (name, trigger, conditions, actions), unchecked."""
    conditions: dict = {}
    for key in ("type", "channel", "status", "priority"):
        values = [v for v in form.getall("cond_" + key) if v]
        if values:
            conditions[key] = values
    if form.get("cond_requester_known") == "yes":
        conditions["requester_known"] = True
    hours = (form.getunicode("cond_hours") or "").strip()
    if hours:
        try:
            number = float(hours)
            conditions["hours"] = int(number) if number.is_integer() else number
        except ValueError:
            conditions["hours"] = hours  # refused by automations.check, shown back
    actions = []
    for n in range(MAX_ACTIONS):
        def value(part, n=n):
            return (form.getunicode(f"action{n}_{part}") or "").strip()
        do = value("do")
        if not do:
            continue
        if do == "post_message":
            actions.append({"do": do, "template": value("template"),
                            "internal": value("internal") == "internal"})
        elif do == "send_email":
            to = value("to")
            if to == "address":
                to = "address:" + value("address")
            actions.append({"do": do, "template": value("template"), "to": to})
        elif do == "set_field":
            field, _, new = value("value").partition(":")
            actions.append({"do": do, "field": field, "value": new})
        else:
            actions.append({"do": do})
    return ((form.getunicode("name") or "").strip(), form.getunicode("trigger") or "",
            conditions, actions)


def preview_words(context: dict, sample: bool) -> str:
    """The line above a preview that says whose data it shows."""
    item, who = context["item"], context["requester"]["name"] or "no requester"
    if sample:
        return (f"A sample (there is no item yet): item #{item['id']} “{item['title']}”, "
                f"{who}.")
    return f"Your newest item: #{item['id']} “{item['title']}”, requested by {who}."


def routes(app: bottle.Bottle, cfg) -> None:
    admin = {"role": "admin"}

    def appearance() -> Appearance:
        return Appearance.load(lambda key: stored_setting(key, cfg.domain))

    def editor(template, subject=None, body=None, error=None) -> dict:
        """What the template form (the partial ``_template_form.html``) needs."""
        return {"t": template, "subject": template.subject if subject is None else subject,
                "body": template.body if body is None else body, "error": error,
                "properties": templates.PROPERTIES, "action": f"{BASE}/templates/"
                f"{template.name}", "preview": f"{BASE}/templates/{template.name}/preview"}

    # --- the tab ---------------------------------------------------------------------

    @app.get(BASE)
    def message_center():
        every = list(Automation.select().order_by(Automation.code))
        rows = [template_row(t, every) for t in templates.all_templates()]
        by_kind = {kind: [r for r in rows if r["t"].spec.kind == kind] for kind in KINDS}
        return render("message_center.html", tab="message-center",
                      relay=editor(templates.get("relay")), by_kind=by_kind,
                      relay_failure=failures.of_relay(), failures=failures.by_automation(),
                      automations=[(a, automations.describe(a), automations.to_json(a)["templates"])
                                   for a in every],
                      can_edit=is_admin())

    # --- templates -------------------------------------------------------------------

    def template_failures(template, every) -> list:
        """(whose, last failure) of this template on real data."""
        if template.name == "relay":
            return [("", failures.of_relay())]
        failed = failures.by_automation()
        return [(f"{a.code} {a.name}: ", failed[a.code])
                for a in templates.used_by(template.name, every) if a.code in failed]

    def template_page(template, subject=None, body=None, error=None):
        every = list(Automation.select().order_by(Automation.code))
        return render("center_template.html", tab="message-center",
                      row=template_row(template, every), kind_title=KINDS[template.spec.kind],
                      failures=template_failures(template, every),
                      form=editor(template, subject, body, error), can_edit=is_admin())

    @app.get(BASE + "/templates/<name>")
    def template_view(name):
        return template_page(_template(name))

    @app.post(BASE + "/templates/<name>", **admin)
    def template_save(name):
        template = _template(name)
        form = bottle.request.forms
        subject, body = form.getunicode("subject") or "", form.getunicode("body") or ""
        try:
            templates.save(name, subject, body)
        except templates.TemplateError as exc:
            bottle.response.status = 400
            return template_page(template, subject, body,
                                 f"Not saved: {exc}. The template in use is unchanged.")
        done(f"{template.spec.title} saved: the next email uses it.",
             f"{BASE}/templates/{name}")

    @app.post(BASE + "/templates/<name>/preview")
    def template_preview(name):
        template = _template(name)
        form = bottle.request.forms
        subject = form.getunicode("subject") if "subject" in form else None
        body = form.getunicode("body") if "body" in form else None
        if (subject is not None or body is not None) and not is_admin():
            bottle.abort(403, "Only admins preview text of their own; agents see the saved "
                              "template.")
        look = appearance()
        context, sample = templates.preview_context(cfg.public_url, look.company_name)
        try:
            templates.validate(template.subject if subject is None else subject,
                               template.body if body is None else body)
            rendered = templates.preview(name, look, subject, body, context)
        except (templates.TemplateError, RenderError) as exc:
            return frame(f'<p style="font:14px Arial,sans-serif;color:#b91c1c;padding:12px">'
                         f'<b>This template cannot be shown:</b> {escape(str(exc))}</p>')
        sender = f"{look.from_name(None)} <{stored_setting('outbound.from_address', cfg.domain)}>"
        head = (f'<div style="font:13px Arial,sans-serif;color:#52606d;padding:8px 12px;'
                f'border-bottom:1px solid #e4e7eb;background:#fff">'
                f'<div><b>From:</b> {escape(sender)}</div>'
                f'<div><b>Subject:</b> {escape(rendered.subject)}</div>'
                f'<div id="preview-data"><i>{escape(preview_words(context, sample))}</i></div>'
                f'</div>')
        return frame(head + rendered.html)

    @app.post(BASE + "/templates/<name>/reset", **admin)
    def template_reset(name):
        template = _template(name)
        if bottle.request.forms.get("confirm") != "yes":
            from appliance.outbound.render import default_source
            return render("confirm.html", tab="message-center",
                          title=f"Reset “{template.spec.title}” to its default text?",
                          lead="Your edited subject and body are replaced by the text the "
                               "appliance came with. This cannot be undone; copy your text "
                               "first if you may want it again.",
                          stops=None, compare=[("Your text now", template.subject,
                                                template.body),
                                               ("The default", default_source(name, "subject"),
                                                default_source(name, "body"))],
                          action=f"{BASE}/templates/{name}/reset", fields={},
                          button="Yes, reset to the default",
                          cancel=f"{BASE}/templates/{name}")
        templates.reset(name)
        done(f"{template.spec.title} is back to its default text.", f"{BASE}/templates/{name}")

    @app.post(BASE + "/templates/<name>/enabled", **admin)
    def template_enabled(name):
        template = _template(name)
        if template.spec.kind != "system_email":
            bottle.abort(400, "Only system emails are switched here; an automated email or "
                              "message follows the automation that uses it.")
        on = bottle.request.forms.get("enabled") == "true"
        if not on and bottle.request.forms.get("confirm") != "yes":
            return render("confirm.html", tab="message-center",
                          title=f"Turn off “{template.spec.title}”?",
                          lead="System emails keep the helpdesk working. While this one is "
                               "off, it is not sent at all.",
                          stops=template.spec.stops, compare=[],
                          action=f"{BASE}/templates/{name}/enabled",
                          fields={"enabled": "false"}, button="Turn it off anyway",
                          cancel=f"{BASE}/templates/{name}")
        templates.set_enabled(name, on)
        done(f"{template.spec.title} is {'on again' if on else 'off: ' + template.spec.stops}",
             f"{BASE}/templates/{name}")

    # --- automations -----------------------------------------------------------------

    def automation_page(automation, name=None, trigger=None, conditions=None, actions=None,
                        errors=()):
        actions = list(automation.actions if actions is None else actions)
        rows = actions + [{"do": ""}]   # one empty row adds an action
        return render("center_automation.html", tab="message-center", a=automation,
                      description=automations.describe(automation),
                      auto_name=automation.name if name is None else name,
                      trigger=automation.trigger if trigger is None else trigger,
                      cond=automation.conditions if conditions is None else conditions,
                      actions=rows[:MAX_ACTIONS], errors=errors, can_edit=is_admin(),
                      failure=failures.of_automation(automation.code),
                      triggers=automations.TRIGGERS,
                      types=[t.name for t in ItemType.select().order_by(ItemType.name)],
                      channels=automations.CHANNELS, statuses=words(ItemStatus),
                      priorities=words(Priority), recipients=RECIPIENT_WORDS,
                      message_templates=[s for s in templates.SPECS.values()
                                         if s.kind == "automated_message"],
                      email_templates=[s for s in templates.SPECS.values()
                                       if s.kind == "automated_email"],
                      specs=templates.SPECS)

    @app.get(BASE + "/automations/<code>")
    def automation_view(code):
        return automation_page(_automation(code))

    @app.post(BASE + "/automations/<code>", **admin)
    def automation_save(code):
        automation = _automation(code)
        name, trigger, conditions, actions = parse_automation_form(bottle.request.forms)
        try:
            automations.save(automation.code, name, trigger, conditions, actions)
        except automations.AutomationError:
            errors = ([] if name else ["Name: required."]) + automations.check(
                trigger, conditions, actions)
            if len(name) > 100:
                errors.append("Name: at most 100 characters.")
            bottle.response.status = 400
            return automation_page(automation, name, trigger, conditions, actions, errors)
        done(f"{automation.code} saved: {automations.describe(_automation(code))}",
             f"{BASE}/automations/{automation.code}")

    @app.post(BASE + "/automations/<code>/enabled", **admin)
    def automation_enabled(code):
        on = bottle.request.forms.get("enabled") == "true"
        automation = automations.set_enabled(_automation(code).code, on)
        back = safe_next(bottle.request.forms.getunicode("next") or f"{BASE}#automations")
        done(f"{automation.code} “{automation.name}” is now "
             f"{'active' if on else 'off: it does nothing until you turn it on again'}.",
             back if back != "/" else f"{BASE}#automations")
