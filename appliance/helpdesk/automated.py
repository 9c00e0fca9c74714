"""Automated mail: loops, bounces, auto-replies and bulk mail, which never get an answer.

Families are checked in the order of the table; the first family with a hit names the
message.  Loop comes first (our own mail coming back must be dropped), then bounce (so it can
be linked to the outgoing message it reports on), then auto-reply, then bulk.
"""
from __future__ import annotations

import re
from email.message import Message

from appliance.addresses import local_of, normalize
from appliance.helpdesk import autoreplies
from appliance.helpdesk.bodytext import decode_part
from appliance.helpdesk.rules import Facts, Hit, Rule
from appliance.mailids import LOOP_HEADER, is_own_message_id

LIST_HEADERS = ("List-Id", "List-Unsubscribe")
BULK_PRECEDENCE = {"bulk", "junk", "list"}
# Subjects out-of-office replies are given, in the user's language: helpdesk/autoreplies.py.
OOF_SUBJECT = autoreplies.AUTO_SUBJECT
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|delivery fail|"
    r"mail delivery (failed|system)|non remis|unzustellbar|nicht zustellbar|no se puede entregar|"
    r"non recapitabile|kan ikke leveres|kunde inte levereras|onbestelbaar", re.I)
SYSTEM_SENDER = re.compile(r"^(mailer-daemon|postmaster)$", re.I)
_MSGID = re.compile(r"^\s*message-id\s*:\s*(<[^<>\s]+>)", re.I | re.M)


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


def _report_type(f: Facts) -> str:
    try:
        value = f.msg.get_param("report-type")
    except Exception:
        return ""
    return value.lower() if isinstance(value, str) else ""


def _delivery_report(f: Facts) -> str | None:
    if f.content_type == "multipart/report" and _report_type(f) == "delivery-status":
        return "It is a delivery status report (multipart/report; report-type=delivery-status)."
    for part in f.parts():
        if part.get_content_type() == "message/delivery-status":
            return "It carries a message/delivery-status part (RFC 3464): a bounce."
    return None


def _bounce_sender(f: Facts) -> str | None:
    sender = f.sender.email if f.sender else ""
    system = bool(sender and SYSTEM_SENDER.match(local_of(sender)))
    if (system or f.mail_from == "<>") and BOUNCE_SUBJECT.search(f.subject):
        who = sender if system else "the null envelope sender"
        return f"Sent by {who} with a bounce subject \"{f.subject[:60]}\"."
    if f.has("X-Failed-Recipients"):
        return "X-Failed-Recipients names recipients that could not be reached: a bounce."
    return None


def _read_receipt(f: Facts) -> str | None:
    if f.content_type == "multipart/report" and _report_type(f) == "disposition-notification":
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
    found = [name for name in LIST_HEADERS if f.has(name)]
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
    Rule("delivery-report", _delivery_report, "bounce"),
    Rule("bounce-sender", _bounce_sender, "bounce"),
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


def bounced_original(msg: Message) -> tuple[list[str], list[str]]:
    """Message-IDs and recipients of the message a bounce reports on, as far as it says."""
    ids: list[str] = []
    rcpts: list[str] = []
    own_id = str(msg.get("Message-ID") or "").strip()
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
                for name in ("Original-Recipient", "Final-Recipient"):
                    value = str(block.get(name) or "")
                    addr = normalize(value.split(";", 1)[-1])
                    if addr and addr.lower() not in rcpts:
                        rcpts.append(addr.lower())
        elif ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                ids.append(str(inner.get("Message-ID")).strip())
        elif ctype in ("text/rfc822-headers", "text/plain") and not part.is_multipart():
            ids.extend(m for m in _MSGID.findall(decode_part(part)) if m != own_id)
    for value in msg.get_all("X-Failed-Recipients") or []:
        for addr in str(value).split(","):
            addr = normalize(addr)
            if addr and addr.lower() not in rcpts:
                rcpts.append(addr.lower())
    return list(dict.fromkeys(i for i in ids if i and i != own_id)), rcpts
