"""The panel's small settings forms: which settings each one shows (relay, loop protection,
company mailboxes, delivery attempts, SLA targets, ...), and the one POST route that saves
any of them through the settings store, with the validation ``appliance settings set``
uses and the errors worded with each field's label.

A form sits on the page it belongs to (``_settings_form.html``, fed by the template global
``settings_form``) and posts to ``/admin/settings/NAME`` with the page's path.  A refused
value stores nothing and answers 400 with that same page rendered again (its own GET
route, login and role checked as ever), the admin's values and the errors in the form, so
no page needs code of its own for its settings.
"""
from __future__ import annotations

from dataclasses import dataclass

import bottle

from appliance.settings import SETTINGS
from appliance.webadmin.auth import safe_next
from appliance.webadmin.pages import done, env, field, save_settings

FAILED = "appliance.settings_form"   # request.environ: (form name, values, errors)


@dataclass(frozen=True)
class SettingsForm:
    name: str
    title: str
    keys: tuple[str, ...]
    saved: str            # the flash after saving: what changes now

    @property
    def action(self) -> str:
        return f"/admin/settings/{self.name}"


FORMS: dict[str, SettingsForm] = {f.name: f for f in [
    SettingsForm("relay", "When the relay mails followers",
                 ("relay.delay_seconds", "intake.agents_follow"),
                 "Relay settings saved: they apply to the next posted message."),
    SettingsForm("limits", "Loop protection",
                 ("automations.max_per_address_hour", "automations.max_per_item_hour"),
                 "Limits saved: automations count against them from now on."),
    SettingsForm("due-soon", "When a task is due soon", ("automations.due_soon_hours",),
                 "Saved: the due-soon automations use it from their next run."),
    SettingsForm("sla", "SLA targets: first public answer within",
                 ("sla.urgent_minutes", "sla.high_minutes", "sla.normal_minutes",
                  "sla.low_minutes"),
                 "SLA targets saved: the SLA automations use them from their next run."),
    SettingsForm("mailboxes", "Your company's mailboxes", ("intake.company_addresses",),
                 "Company mailboxes saved: mail from them is never taken for a customer's."),
    SettingsForm("delivery", "Delivery attempts",
                 ("outbound.retry_intervals", "outbound.max_lifetime_hours"),
                 "Delivery settings saved: queued mail follows them from its next attempt."),
    SettingsForm("attachments", "Files agents attach", ("attachments.max_upload_mb",),
                 "Saved: the next reply or note is held to it."),
    SettingsForm("signing", "DKIM signing", ("dkim.ed25519",),
                 "Signing saved: the next email is signed this way."),
]}
# the automations whose page shows a form: by trigger
TRIGGER_FORMS = {"due_soon": "due-soon", "sla_breached": "sla"}


def form_context(name: str) -> dict:
    """What ``_settings_form.html`` needs for form ``name``: the saved values, or after a
    refused POST the admin's values with the errors."""
    form = FORMS[name]
    failed, values, errors = bottle.request.environ.get(FAILED, (None, {}, {}))
    if failed != name:
        values, errors = {}, {}
    domain = bottle.request.app.config["appliance.cfg"].domain
    return {"form": form, "fields": [field(k, domain, values.get(k), errors.get(k))
                                     for k in form.keys]}


env.globals["settings_form"] = form_context
env.globals["TRIGGER_FORMS"] = TRIGGER_FORMS


def submitted(form: SettingsForm, posted) -> dict[str, str]:
    """The form's values as typed (a checkbox left empty is ``false``)."""
    values = {}
    for key in form.keys:
        raw = posted.getunicode(key.replace(".", "__"))
        values[key] = ("true" if raw else "false") if SETTINGS[key].kind == "flag" \
            else (raw or "").strip()
    return values


def routes(app: bottle.Bottle, cfg) -> None:
    @app.post("/admin/settings/<name>", role="admin")
    def save(name):
        form = FORMS.get(name) or bottle.abort(404, "No such settings form.")
        page = safe_next(bottle.request.forms.getunicode("next")).split("#")[0]
        values = submitted(form, bottle.request.forms)
        errors = save_settings(values)
        if not errors:
            done(form.saved, f"{page}#settings-{name}")
        try:
            route, args = app.router.match({"PATH_INFO": page, "REQUEST_METHOD": "GET"})
        except bottle.HTTPError:
            bottle.abort(400, " ".join(errors.values()))
        bottle.request.environ[FAILED] = (name, values, errors)
        bottle.request.environ["PATH_INFO"] = page   # the page renders as itself
        bottle.response.status = 400
        return route.call(**args)
