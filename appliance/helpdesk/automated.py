"""Automated mail: loops, bounces, auto-replies and bulk mail, which never get an answer.

Families are checked in the order of the table; the first family with a hit names the
message.  Loop comes first (our own mail coming back must be dropped), then bounce (so it can
be linked to the outgoing message it reports on), then auto-reply, then bulk.
"""
from __future__ import annotations


from appliance.helpdesk import autoreplies, bounces, listmail
from appliance.helpdesk.bounces import bounced_original  # noqa: F401 (callers import it here)
from appliance.helpdesk.rules import Facts, Hit, Rule
from appliance.mailids import LOOP_HEADER, is_own_message_id

# Headers only list servers write (RFC 2369 / 2919, Mailman, Google Groups, ezmlm, fml's
# X-MLServer and X-ML-Name): any of them marks list mail, a person's post through the list too.
LIST_HEADERS = listmail.LIST_MARKERS
BULK_PRECEDENCE = {"bulk", "junk", "list"}
# Subjects out-of-office replies are given, in the user's language: helpdesk/autoreplies.py.
OOF_SUBJECT = autoreplies.AUTO_SUBJECT
# The bounce rules and their tables live in bounces.py and bouncetables.py.
BOUNCE_SUBJECT = bounces.T.BOUNCE_SUBJECT
SYSTEM_SENDER = bounces.T.SYSTEM_LOCAL


def _loop_header(f: Facts) -> Hit | None:
    if not f.has(LOOP_HEADER):
        return None
    value = f.header(LOOP_HEADER).strip().lower()
    if f.ctx.domain and value and value != f.ctx.domain.lower():
        return Hit("", f"{LOOP_HEADER}: {value} names another appliance: its automated mail "
                       "is treated as an auto-reply.", extra={"family": "auto_reply"})
    return Hit("", f"It carries the appliance's own loop header {LOOP_HEADER}: {value}: our own "
                   "mail came back.")


def _own_message_id(f: Facts) -> str | None:
    mid = f.header("Message-ID")
    if is_own_message_id(mid, f.ctx.domain or None):
        return f"Its Message-ID {mid} is one the appliance generated: our own mail came back."
    return None


def _read_receipt(f: Facts) -> str | None:
    if f.report_type == "disposition-notification":
        return "It is a read receipt (report-type=disposition-notification)."
    return None


def _auto_submitted(f: Facts) -> str | None:
    value = f.header("Auto-Submitted").strip()
    if value and value.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {value} (RFC 3834): an automatic message."
    return None


def _precedence(family: str):
    def check(f: Facts) -> str | None:
        value = f.header("Precedence").strip().lower()
        wanted = {"auto_reply"} if family == "auto_reply" else BULK_PRECEDENCE
        if value in wanted:
            what = "an automatic reply" if family == "auto_reply" else "bulk mail"
            return f"Precedence: {value} marks {what}."
        return None
    return check


def _list_headers(f: Facts) -> str | None:
    if not listmail.is_list_mail(f):
        return None
    names = listmail.header_names(f)
    found = [name for name in LIST_HEADERS if name.lower() in names]
    if found:
        return f"{' and '.join(found)} mark mailing-list mail."
    return None


def _null_sender(f: Facts) -> str | None:
    if f.mail_from == "<>" or f.header("Return-Path").strip() == "<>":
        return "The envelope sender is null (<>): only automated mail is sent that way."
    return None


RULES = (
    Rule("loop-header", _loop_header, "loop"),
    Rule("own-message-id", _own_message_id, "loop"),
    Rule("delivery-report", bounces.delivery_report, "bounce"),
    Rule("feedback-report", bounces.feedback_report, "bounce"),
    Rule("bounce-sender", bounces.bounce_sender, "bounce"),
    Rule("failed-recipients-header", bounces.failed_recipients, "bounce"),
    Rule("failure-auto-submitted", bounces.failure_auto_submitted, "bounce"),
    Rule("bounce-report", bounces.gateway_report, "bounce"),
    Rule("complaint-mail", bounces.complaint_mail, "bounce"),
    Rule("vendor-notification", bounces.vendor_notification, "bounce"),
    Rule("dmarc-aggregate-report", bounces.dmarc_aggregate, "bulk"),
    Rule("read-receipt", _read_receipt, "auto_reply"),
    Rule("auto-submitted", _auto_submitted, "auto_reply"),
    Rule("auto-reply-header", autoreplies.auto_reply_header, "auto_reply"),
    Rule("precedence-auto-reply", _precedence("auto_reply"), "auto_reply"),
    Rule("out-of-office", autoreplies.out_of_office, "auto_reply"),
    Rule("exchange-rule-reply", autoreplies.rule_owner_reply, "auto_reply"),
    Rule("challenge-response", autoreplies.challenge, "auto_reply"),
    Rule("precedence-bulk", _precedence("bulk"), "bulk"),
    Rule("list-headers", _list_headers, "bulk"),
    Rule("null-sender", _null_sender, "auto_reply"),
)
FAMILY_ORDER = ("loop", "bounce", "auto_reply", "bulk")


def family_of(hits: list[Hit]) -> str | None:
    """The automated family the hits add up to, by the order of FAMILY_ORDER."""
    families = {h.extra.get("family") for h in hits}
    return next((name for name in FAMILY_ORDER if name in families), None)
