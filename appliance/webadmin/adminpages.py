"""Admin pages beside the mail logs (the Message center is in center.py): Appearance
with a live preview, the blocklist, capture addresses with forwarding instructions, and
the DNS records with whether each is published."""
from __future__ import annotations

import bottle

from appliance import dates
from appliance.errors import CommandError
from appliance.helpdesk import blocklist, capture, settingstore, templates
from appliance.outbound.render import Appearance
from appliance.settings import SettingError, validate
from appliance.webadmin import settingforms
from appliance.webadmin.center import preview_words
from appliance.webadmin.mailpages import frame
from appliance.webadmin.pages import done, field, render, save_settings

APPEARANCE_KEYS = ["appearance.company_name", "appearance.display_name", "appearance.header",
                   "appearance.signature", "appearance.brand_color"]
# How dates read in mail: chosen from lists; a form without them leaves them as they are.
DATE_KEYS = ["appearance.timezone", "appearance.language"]


def date_values(source) -> dict[str, str]:
    """The date fields a form or query carries (absent ones are left alone)."""
    return {k: source.getunicode(k.replace(".", "__")) for k in DATE_KEYS
            if source.getunicode(k.replace(".", "__")) is not None}


def preview_email(cfg, values: dict[str, str]):
    """The relay email of your newest item (else the sample, so labelled), rendered as
    customers would get it with these appearance values (a value that is not valid falls
    back to the saved one); returns (rendered, From line, whose data it shows)."""
    def lookup(key):
        if key in values:
            try:
                return validate(key, values[key])
            except SettingError:
                pass
        return settingstore.current(key, cfg.domain)
    appearance = Appearance.load(lookup)
    context, sample = templates.preview_context(cfg.public_url, appearance.company_name)
    rendered = templates.preview("relay", appearance, context=context)
    author = context["message"]["author"] if context["messages"] else None
    sender = f"{appearance.from_name(author)} <{lookup('outbound.from_address')}>"
    return rendered, sender, preview_words(context, sample)


def routes(app: bottle.Bottle, cfg) -> None:
    admin = {"role": "admin"}
    settingforms.routes(app, cfg)   # the small settings forms on this and other pages

    # --- Appearance ----------------------------------------------------------------

    def appearance_page(values=None, errors=None):
        values, errors = values or {}, errors or {}
        fields = [field(k, cfg.domain, values.get(k), errors.get(k)) for k in APPEARANCE_KEYS]
        date_fields = [field(k, cfg.domain, values.get(k), errors.get(k)) for k in DATE_KEYS]
        query = bottle.urlencode({f["name"]: f["value"] for f in fields + date_fields})
        return render("appearance.html", tab="appearance", fields=fields,
                      date_fields=date_fields, timezones=dates.timezone_names(),
                      languages=dates.LANGUAGE_NAMES,
                      preview_query=query, from_address=settingstore.current(
                          "outbound.from_address", cfg.domain))

    @app.get("/admin/email/appearance", **admin)
    def appearance():
        return appearance_page()

    @app.post("/admin/email/appearance", **admin)
    def appearance_save():
        form = bottle.request.forms
        values = {k: form.getunicode(k.replace(".", "__")) or "" for k in APPEARANCE_KEYS}
        values.update(date_values(form))
        errors = save_settings(values)
        if errors:
            bottle.response.status = 400
            return appearance_page(values, errors)
        done("Appearance saved: every email from now on uses it.", "/admin/email/appearance")

    @app.get("/admin/email/appearance/preview", **admin)
    def appearance_preview():
        q = bottle.request.query
        values = {k: q.getunicode(k.replace(".", "__")) for k in APPEARANCE_KEYS
                  if q.getunicode(k.replace(".", "__")) is not None}
        values.update(date_values(q))
        rendered, sender, whose = preview_email(cfg, values)
        from markupsafe import escape
        head = (f'<div style="font:13px Arial,sans-serif;color:#52606d;padding:8px 12px;'
                f'border-bottom:1px solid #e4e7eb;background:#fff">'
                f'<div><b>From:</b> {escape(sender)}</div>'
                f'<div><b>Subject:</b> {escape(rendered.subject)}</div>'
                f'<div id="preview-data"><i>{escape(whose)}</i></div></div>')
        return frame(head + rendered.html)

    # --- Blocklist -----------------------------------------------------------------

    @app.get("/admin/blocklist", **admin)
    def blocklist_page():
        return render("blocklist.html", entries=blocklist.entries(), error=None, value="")

    @app.post("/admin/blocklist", **admin)
    def blocklist_add():
        value = (bottle.request.forms.getunicode("pattern") or "").strip()
        try:
            pattern = blocklist.add(value)
        except CommandError:
            bottle.response.status = 400
            return render("blocklist.html", entries=blocklist.entries(), value=value,
                          error=f"Address or *@domain: “{value}” is not an address or a "
                                f"*@domain pattern (e.g. noreply@vendor.example or "
                                f"*@alerts.example).")
        done(f"Blocked {pattern}.", "/admin/blocklist")

    @app.post("/admin/blocklist/remove", **admin)
    def blocklist_remove():
        pattern = bottle.request.forms.getunicode("pattern") or ""
        blocklist.remove(pattern)
        done(f"Removed {pattern} from the blocklist.", "/admin/blocklist")

    # --- Capture addresses ---------------------------------------------------------

    @app.get("/admin/capture", **admin)
    def capture_page():
        alias = capture.support_alias(cfg.domain)
        addresses = [(t.name, address, address == alias)
                     for address, t in capture.capture_types(cfg.domain).items()]
        from_address = settingstore.current("outbound.from_address", cfg.domain)
        # The forwarding examples name the admin's own mailbox, never one on the box's
        # domain (which only this box receives and nobody forwards from).
        mailbox = None if alias or from_address.lower().endswith(f"@{cfg.domain}") \
            else from_address
        return render("capture.html", addresses=addresses, domain=cfg.domain,
                      agent_forwarding=settingstore.value("intake.agent_forwarding",
                                                          cfg.domain),
                      forwarding_help=field("intake.agent_forwarding", cfg.domain)["help"],
                      mailbox=mailbox, from_address=from_address,
                      confirmations=capture.forwarding_confirmations())

    @app.post("/admin/capture/agent-forwarding", **admin)
    def agent_forwarding():
        on = bottle.request.forms.get("enabled") == "true"
        save_settings({"intake.agent_forwarding": "true" if on else "false"})
        done("Agent forwarding is now " + ("on: a forward by an agent files the ticket for "
                                           "the original sender." if on else
                                           "off: a forward files the ticket for whoever "
                                           "forwarded it."), "/admin/capture")

    # --- DNS -----------------------------------------------------------------------

    @app.get("/admin/dns", **admin)
    def dns_page():
        from appliance.webadmin.dnscheck import checked_records
        return render("dns.html", records=checked_records(cfg))
