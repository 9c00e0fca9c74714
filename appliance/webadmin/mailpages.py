"""Admin → Email settings: the Outgoing tab (log, details, your own SMTP server, send
test, from address) and the Incoming tab (log, details, retry)."""
from __future__ import annotations

import bottle

from appliance.helpdesk import failures, settingstore
from appliance.helpdesk.models import IncomingMail
from appliance.outbound.models import OutgoingMail
from appliance.helpdesk.views import incoming_json, outgoing_json, stored_message
from appliance.helpdesk import lists
from appliance.settings import SETTINGS, SettingError, validate
from appliance.statuses import IncomingAction, OutgoingStatus, words
from appliance.webadmin import mailview
from appliance.webadmin.pages import Paging, done, field, render, save_settings, since_filter

RETENTION = "retention.hours"
RETENTION_LABEL = "Keep entries for (hours)"
SMTP_KEYS = ["outbound.mode", "outbound.smarthost", "outbound.security",
             "outbound.username", "outbound.password", "outbound.from_address"]


def frame(html: str, cid=None) -> str:
    """``cid``: turns a ``cid:`` image into the stored part (see ``mailview.sanitize``)."""
    bottle.response.set_header("Content-Security-Policy", mailview.FRAME_CSP)
    bottle.response.set_header("X-Frame-Options", "SAMEORIGIN")
    return mailview.frame_document(html, cid)


def why(row: IncomingMail) -> list[str]:
    """The reasons of an incoming log entry, each once: the entry's own list already holds
    the classification's reasons (intake starts from them), which the decision repeats;
    only a decision's reason the list lacks goes first.  An entry that failed before the
    log said so in words gets its error's last line."""
    own = list(row.reasons or [])
    decided = [r for r in (row.decision or {}).get("reasons") or [] if r not in own]
    reasons = list(dict.fromkeys(decided + own))
    if row.action == IncomingAction.FAILED and row.error and \
            reasons == [f"Processing failed: {row.error.splitlines()[0][:300]}"]:
        reasons = [failures.filing_reason(row.error)]
    return reasons


def routes(app: bottle.Bottle, cfg) -> None:
    admin = {"role": "admin"}

    @app.get("/admin", **admin)
    @app.get("/admin/email", **admin)
    def email_home():
        bottle.redirect("/admin/email/outgoing")

    # --- Outgoing ------------------------------------------------------------------

    def retention(typed: str | None = None, error: str | None = None) -> dict:
        """The retention box of both logs: the stored value, else what was typed."""
        return {"hours": settingstore.value(RETENTION, cfg.domain), "label": RETENTION_LABEL,
                "value": settingstore.current(RETENTION, cfg.domain) if typed is None
                else typed, "error": error, "help": SETTINGS[RETENTION].help}

    def outgoing_page(errors=None, submitted=None, test=None, test_to="", kept=None):
        q = bottle.request.query
        text, status = (q.getunicode("q") or "").strip(), q.getunicode("status") or ""
        paging, since = Paging(), since_filter()
        mails = paging.cut(lists.outgoing(text, status if status in
                                          words(OutgoingStatus) else "",
                                          paging.size + 1, paging.offset, since.moment))
        recipients = lists.outgoing_recipients(mails)
        suppressed = lists.suppressed_reasons(mails)
        values = submitted or {}
        errors = errors or {}
        fields = {k: field(k, cfg.domain, values.get(k), errors.get(k)) for k in SMTP_KEYS}
        host, _, port = (values.get("outbound.smarthost")
                         if "outbound.smarthost" in values
                         else settingstore.current("outbound.smarthost", cfg.domain)
                         ).rpartition(":")
        from_default = fields["outbound.from_address"]["value"] == \
            fields["outbound.from_address"]["default"]
        return render("outgoing.html", tab="outgoing", mails=mails, recipients=recipients,
                      suppressed=suppressed, since=since,
                      paging=paging, q=text, status=status,
                      statuses=words(OutgoingStatus), fields=fields,
                      smtp_host=host, smtp_port=port or "587", errors=errors,
                      from_default=from_default, test=test, test_to=test_to,
                      retention=kept or retention())

    @app.get("/admin/email/outgoing", **admin)
    def outgoing_list():
        return outgoing_page()

    @app.post("/admin/email/outgoing/settings", **admin)
    def outgoing_settings():
        form = bottle.request.forms
        own = form.get("own_smtp") == "on"
        host = (form.getunicode("host") or "").strip()
        port = (form.getunicode("port") or "").strip() or "587"
        values = {"outbound.mode": "smarthost" if own else "direct",
                  "outbound.smarthost": f"{host}:{port}" if host else "",
                  "outbound.security": form.getunicode("security") or "starttls",
                  "outbound.username": (form.getunicode("username") or "").strip(),
                  "outbound.from_address": (form.getunicode("from_address") or "").strip()}
        password = form.getunicode("password") or ""
        if password:
            values["outbound.password"] = password
        elif form.get("clear_password") == "on":
            values["outbound.password"] = ""
        errors = {}
        if own and not host:
            errors["outbound.smarthost"] = "Server: enter your SMTP server's host " \
                                           "name, e.g. smtp.example.com."
        errors = errors or save_settings(values)
        if errors:
            bottle.response.status = 400
            values.pop("outbound.password", None)
            return outgoing_page(errors, values)
        done("Outgoing mail settings saved. Use “Send test” to check them.",
             "/admin/email/outgoing#sending")

    @app.post("/admin/email/outgoing/test", **admin)
    def outgoing_test():
        from appliance.outbound import transport
        from appliance.outbound.checks import run_test
        to = (bottle.request.forms.getunicode("to") or "").strip()
        try:
            steps = run_test(cfg, to)
            error = None
        except (transport.DeliveryError, OSError) as exc:
            steps, error = [], getattr(exc, "reason", None) or str(exc)
        ok = bool(steps) and not error and all(s[1] is not False for s in steps)
        test = {"ok": ok, "error": error,
                "steps": [{"step": n, "ok": p, "detail": d} for n, p, d in steps]}
        return outgoing_page(test=test, test_to=to)

    @app.get("/admin/email/outgoing/<mail_id:int>", **admin)
    def outgoing_detail(mail_id):
        mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id) or bottle.abort(
            404, "No such outgoing message.")
        doc = outgoing_json(mail, full=True)
        raw = bytes(mail.raw)
        parsed = mailview.parse(raw)
        dkim = mailview.dkim_results(cfg, raw, mail.mail_from,
                                     settingstore.value("dkim.ed25519", cfg.domain))
        return render("outgoing_detail.html", tab="outgoing", doc=doc, parsed=parsed,
                      dkim=dkim, headers=mailview.raw_headers(raw))

    @app.post("/admin/email/outgoing/<mail_id:int>/retry", **admin)
    def outgoing_retry(mail_id):
        from appliance.outbound import queue
        from appliance.webadmin.security import current_user
        mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id) or bottle.abort(
            404, "No such outgoing message.")
        back = "/admin/email/outgoing" if bottle.request.forms.get("back") == "list" \
            else f"/admin/email/outgoing/{mail_id}"
        if queue.retry_now(mail_id, current_user().person.email):
            done("Retrying now: the queue runner tries it within a few seconds "
                 "(see its events).", back)
        mail = OutgoingMail.get_by_id(mail_id)
        if mail.status != OutgoingStatus.DEFERRED:
            done(f"Nothing to retry: this message is {mail.status}, not waiting for a "
                 f"retry.", back)
        if mail.leased_until is not None and mail.leased_until == mail.next_attempt_at:
            done("It is being tried at this moment: its events show the outcome.", back)
        done("It is due already: the queue runner tries it within a second.", back)

    @app.get("/admin/email/outgoing/<mail_id:int>/frame", **admin)
    def outgoing_frame(mail_id):
        mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id) or bottle.abort(404)
        return frame(mailview.parse(bytes(mail.raw)).html or "")

    # --- Incoming ------------------------------------------------------------------

    @app.post("/admin/email/retention", **admin)
    def retention_save():
        form = bottle.request.forms
        back = "incoming" if form.get("back") == "incoming" else "outgoing"
        typed = (form.getunicode("retention_hours") or "").strip()
        try:
            validate(RETENTION, typed)
        except SettingError:
            bottle.response.status = 400
            error = (f"{RETENTION_LABEL}: enter a whole number of hours greater than 0, "
                     f"e.g. 72" + (f" (“{typed}” is not one)." if typed else "."))
            kept = retention(typed, error)
            return incoming_page(kept) if back == "incoming" else outgoing_page(kept=kept)
        save_settings({RETENTION: typed})
        done(f"Saved: log entries are now kept for {int(typed)} hours.",
             f"/admin/email/{back}#retention")

    @app.get("/admin/email/incoming", **admin)
    def incoming_list():
        return incoming_page()

    def incoming_page(kept=None):
        q = bottle.request.query
        text, action = (q.getunicode("q") or "").strip(), q.getunicode("action") or ""
        paging, since = Paging(), since_filter()
        rows = paging.cut(lists.incoming(text, action if action in
                                         words(IncomingAction) else "",
                                         paging.size + 1, paging.offset, since.moment))
        return render("incoming.html", tab="incoming", rows=rows, paging=paging, q=text,
                      since=since,
                      action=action, actions=words(IncomingAction),
                      retention=kept or retention())

    def _incoming(entry_id):
        return IncomingMail.get_or_none(IncomingMail.id == entry_id) or bottle.abort(
            404, "No such incoming log entry.")

    @app.get("/admin/email/incoming/<entry_id:int>", **admin)
    def incoming_detail(entry_id):
        row = _incoming(entry_id)
        raw = stored_message(row, cfg.spool_dir)
        parsed = mailview.parse(raw) if raw is not None else None
        return render("incoming_detail.html", tab="incoming", doc=incoming_json(row),
                      why=why(row), parsed=parsed,
                      retention_hours=settingstore.value(RETENTION, cfg.domain),
                      headers=mailview.raw_headers(raw) if raw else None)

    @app.get("/admin/email/incoming/<entry_id:int>/frame", **admin)
    def incoming_frame(entry_id):
        from appliance.webadmin.attachments import cid_resolver
        raw = stored_message(_incoming(entry_id), cfg.spool_dir)
        parsed = mailview.parse(raw) if raw else mailview.Parsed()
        return frame(parsed.html or "", cid_resolver(parsed.images()))

    @app.post("/admin/email/incoming/<entry_id:int>/retry", **admin)
    def incoming_retry(entry_id):
        from appliance.mta.spool import Spool
        row = _incoming(entry_id)
        if row.action != "failed":
            done("Only failed entries can be retried.", f"/admin/email/incoming/{entry_id}")
        try:
            Spool(cfg.spool_dir).retry(row.spool_id)
        except FileNotFoundError:
            done("This message is no longer in the failed queue (already retried?).",
                 f"/admin/email/incoming/{entry_id}")
        done("Queued again: the worker processes it in a moment.",
             f"/admin/email/incoming/{entry_id}")
