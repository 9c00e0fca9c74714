"""Bounces, delay notices and complaint reports: the checks of the bounce rows of
``automated.RULES``, and what a bounce says about the message it returns.

A bounce is known by its structure (an RFC 3464 delivery report, an RFC 5965 feedback
report), by headers only mail systems write (X-Failed-Recipients, Auto-Submitted with a
failure comment), or by two things together: it comes from a mail system (MAILER-DAEMON,
postmaster, "Mail Delivery System", the null sender) and it reads like a bounce (its subject,
the report's words, the returned message attached).  A person's mail that merely mentions
such words never comes from a mail system, so it is never taken for one.  The words are in
``bouncetables``.
"""
from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr
from typing import Iterator

from appliance.addresses import domain_of, local_of, normalize
from appliance.helpdesk import bouncetables as T
from appliance.helpdesk.bodytext import body_texts, decode_part, html_to_lines
from appliance.helpdesk.rules import Facts

RETURNED_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers",
                  "message/rfc822-headers", "message/global-headers")
DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_QUOTE = re.compile(r"(?m)^[ \t]*(>[ \t]?)+")
_SPACE = re.compile(r"\s+")
_MSGID = re.compile(r"^[>\s]*message-id\s*:\s*(<[^<>\s]+>)", re.I | re.M)
_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
_ANGLE = re.compile(r"^<([\w.+'=-]+@[\w-]+(?:\.[\w-]+)+)>(?::|\.\.\.|\s|$)")
_DOTS = re.compile(r"<([\w.+'=-]+@[\w-]+(?:\.[\w-]+)+)>\.\.\.\s")
_DSN_FIELD = re.compile(r"^(final|original)-recipient\s*:\s*[\w-]*\s*;\s*<?([^\s<>]+@[^\s<>]+)")
_FAILURE_COMMENT = re.compile(r"\((failure|failed|delay|delayed|warning|dsn|bounce|undeliverable)"
                              r"\)")
_FEEDBACK_TYPE = re.compile(r"^feedback-type\s*:\s*([\w-]+)", re.I | re.M)
_FOLD = str.maketrans({"\ufeff": " ", "\xa0": " ", "\u3000": " ", "\u200b": " ",
                       "：": ":", "’": "'", "‘": "'", "＜": "<", "＞": ">"})


def fold(text: str) -> str:
    """Text as the tables are written: quoting removed, lower case, one space for any run of
    whitespace (wrapped lines, non-breaking spaces, byte-order marks), ASCII colons."""
    text = _QUOTE.sub("", text.translate(_FOLD)) if ">" in text else text.translate(_FOLD)
    return _SPACE.sub(" ", text).strip().lower()


def own_parts(msg: Message) -> Iterator[Message]:
    """The message and its parts, without entering attached messages: a report a person
    forwards as an attachment is not their own report."""
    stack = [msg]
    while stack:
        part = stack.pop(0)
        yield part
        if part.get_content_maintype() == "message":
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack[0:0] = [p for p in payload if isinstance(p, Message)]


def _parts(f: Facts) -> list[Message]:
    """The message's own parts, computed once per message (several rules ask)."""
    found = f.__dict__.get("_own_parts")
    if found is None:
        try:
            found = list(own_parts(f.msg)) if f.msg.is_multipart() else [f.msg]
        except Exception:
            found = []
        f.__dict__["_own_parts"] = found
    return found


DAEMON, ADDRESS, NAME = "daemon", "address", "name"   # how much a mail system's sign says


def mail_system(f: Facts) -> tuple[str, str] | None:
    """Who says the mail comes from a mail system, and how much that says.  Mail from
    MAILER-DAEMON (DAEMON) is a bounce with a bounce subject, the returned message, the
    report's boilerplate or any words of a failed delivery; from postmaster@ or the null
    sender (ADDRESS) with a bounce subject, the returned message or the boilerplate; with
    only a display name such as "System Administrator" (NAME), with the returned message
    or the boilerplate."""
    weak: tuple[str, str] | None = None
    for header in ("From", "X-Original-From"):
        if header == "From" and f.sender is not None:
            name, addr = f.sender.name or "", f.sender.email
        elif header == "From" or f.has(header):
            value = f.header(header)
            if not value:
                continue
            name, addr = parseaddr(value)
        else:
            continue
        local = (local_of(addr) if "@" in addr else addr).lower()
        quoted = local[1:-1].strip() if local[:1] == '"' == local[-1:] else ""
        local = quoted or local
        address = addr.strip("<>@ ")
        if T.DAEMON_LOCAL.match(local):
            return f"{header} is {addr}, a mail system's address", DAEMON
        if quoted and weak is None and T.SYSTEM_NAME.match(quoted):
            # <"System Administrator"@host>: a mail system's name as its quoted local part,
            # which says no more than that name as a display name
            weak = f"{header} is {addr[:60]}, a mail system's name as its address", NAME
        name = fold(name).strip("\"' ") if name else ""
        if not address and T.DAEMON_NAME.match(name):
            return f"{header} is {name[:40]} with no address, as mail systems write it", DAEMON
        if weak is None and T.SYSTEM_LOCAL.match(local):
            weak = f"{header} is {addr}, a mail system's address", ADDRESS
        elif weak is None and header == "From" and not address:
            weak = "From has no address", ADDRESS
        elif weak is None and name and T.SYSTEM_NAME.match(name):
            weak = f"{header} names a mail system (\"{name[:40]}\")", NAME
    if weak and weak[1] == ADDRESS:
        return weak
    if f.mail_from == "<>":
        return "the envelope sender is null (<>)", ADDRESS
    if f.has("Return-Path") and not f.header("Return-Path").strip().strip("<> "):
        return "Return-Path is null (<>)", ADDRESS
    return weak


def is_answer(subject: str) -> bool:
    """The subject starts like a person's reply or forward, or an auto-reply."""
    return bool(subject) and bool(T.ANSWER_PREFIX.match(fold(subject[:200])))


def bounce_subject(subject: str) -> bool:
    """A subject mail systems give bounces, not one starting like an answer or forward."""
    return bool(subject) and not is_answer(subject) and bool(
        T.BOUNCE_SUBJECT.search(fold(subject)))


def returned_part(f: Facts) -> str | None:
    """The content type of the returned message (or its headers) the report carries."""
    for part in _parts(f)[1:]:
        ctype = part.get_content_type()
        if ctype in RETURNED_TYPES:
            return ctype
    return None


def report_phrase(f: Facts, table: re.Pattern = T.DSN_PHRASE) -> str | None:
    """The first phrase of a mail system's report in the body, if any."""
    for text in f.texts:
        match = table.search(fold(text[:2 * T.BODY_WINDOW])[:T.BODY_WINDOW])
        if match:
            return match.group(0)
    return None


def _reads_like_a_bounce(f: Facts, level: str) -> str | None:
    """What makes a mail system's message a bounce; a bare subject does not count when only
    the display name says it is a mail system's."""
    if level != NAME and bounce_subject(f.subject):
        return f"the subject \"{f.subject[:60]}\" is a bounce's"
    ctype = returned_part(f)
    if ctype:
        return f"it carries the returned message ({ctype})"
    phrase = report_phrase(f)
    if phrase:
        return f"the body is a mail system's report (\"{phrase[:60]}\")"
    if level == DAEMON:
        phrase = report_phrase(f, T.FAILURE_PHRASE)
        if phrase:
            return f"the body reports a failed or delayed delivery (\"{phrase[:60]}\")"
    return None


def delivery_report(f: Facts) -> str | None:
    if f.report_type == "delivery-status":
        return "It is a delivery status report (multipart/report; report-type=delivery-status)."
    for part in _parts(f):
        if part.get_content_type() in DSN_TYPES:
            return "It carries a message/delivery-status part (RFC 3464): a bounce."
    return None


def feedback_report(f: Facts) -> str | None:
    found = f.report_type == "feedback-report"
    kind = ""
    for part in _parts(f):
        if part.get_content_type() == "message/feedback-report":
            found = True
            kind = _feedback_type(part)
            break
    if not found:
        return None
    meaning = T.FEEDBACK_TYPES.get(kind, "")
    what = f", Feedback-Type: {kind}" + (f": {meaning}" if meaning else "") if kind else ""
    return (f"It is a complaint report (RFC 5965 feedback report{what}); complaints are filed "
            "as automated bounce mail.")


def _feedback_type(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message) and block.get("Feedback-Type"):
                return str(block.get("Feedback-Type")).strip().lower()[:40]
        return ""
    match = _FEEDBACK_TYPE.search(payload if isinstance(payload, str) else "")
    return match.group(1).lower()[:40] if match else ""


def bounce_sender(f: Facts) -> str | None:
    system = mail_system(f)
    if system is None:
        return None
    who, level = system
    if level != DAEMON and is_answer(f.subject):
        return None   # someone at postmaster@ answering or forwarding
    why = _reads_like_a_bounce(f, level)
    if why:
        return f"It comes from a mail system ({who}) and {why}: a bounce."
    return None


def gateway_report(f: Facts) -> str | None:
    """A gateway's, virus scanner's or filter product's bounce from an address of its own
    (inetgw@, imss@, Symantec_AntiVirus_for_SMTP_Gateways@, ndr@, admin@): a bounce subject
    (after a reply prefix some gateways add, never a forward's), a delivery-failure report at
    the very start of the body, and a failed recipient or the returned message.  A person
    writing about a bounce opens with their own words, so the report is not at the start."""
    subject = f.subject
    if not subject:
        return None
    folded = fold(subject[:300])
    if is_answer(subject):
        reply = T.REPLY_PREFIX.match(folded)
        if not reply:
            return None   # a forward or an auto-reply: a person's or a responder's
        folded = folded[reply.end():]
    if not T.BOUNCE_SUBJECT.search(folded) or not f.texts:
        return None
    lines = [line for line in f.texts[0][:2 * T.REPORT_OPENING].splitlines()
             if not _FRAME_LINE.fullmatch(line)][:T.REPORT_LINES]
    if any(line.lstrip().startswith(">") for line in lines):
        return None   # quoting: a person answers a report
    opening = fold(" ".join(lines))[:T.REPORT_OPENING]
    phrase = T.GATEWAY_PHRASE.search(opening) or T.DSN_PHRASE.search(opening)
    if not phrase:
        return None
    ctype = returned_part(f)
    if ctype:
        what = f"the returned message ({ctype})"
    else:
        rcpts = text_recipients(f.texts[0], max_lines=60)
        if not rcpts:
            return None
        what = f"the failed recipient {rcpts[0][:60]}"
    return (f"The subject \"{subject[:60]}\" is a bounce's, the body opens with a delivery-"
            f"failure report (\"{phrase.group(0)[:60]}\") and names {what}: a gateway's "
            "bounce.")


_FRAME_LINE = re.compile(r"[\s*=_|#~-]*")   # a blank line, or a row of stars or dashes


def failed_recipients(f: Facts) -> str | None:
    if f.has("X-Failed-Recipients"):
        return "X-Failed-Recipients names recipients that could not be reached: a bounce."
    return None


def failure_auto_submitted(f: Facts) -> str | None:
    value = f.header("Auto-Submitted")
    if value and _FAILURE_COMMENT.search(value.lower()):
        return f"Auto-Submitted: {value[:60]} marks a delivery failure or delay notice."
    return None


def complaint_mail(f: Facts) -> str | None:
    """A complaint that is not in ARF: a feedback loop's own mail, or a complaint subject
    from a mail system."""
    sender = f.sender.email.lower() if f.sender else ""
    subject = f.subject
    complaint = not is_answer(subject) and bool(
        T.COMPLAINT_SUBJECT.search(fold(subject)))
    if sender and T.FBL_SENDER.match(sender) and (complaint or returned_part(f)):
        return (f"{sender} sends a feedback loop's complaint reports and it carries one: a "
                "complaint report, filed as automated bounce mail.")
    if complaint and (mail_system(f) or f.has("X-HmXmrOriginalRecipient")
                      or f.header("Auto-Submitted").lower().startswith("auto")):
        return (f"The subject \"{subject[:60]}\" is a complaint report's and a mail system sent "
                "it: a complaint report, filed as automated bounce mail.")
    return None


def vendor_notification(f: Facts) -> str | None:
    """A delivery service (Amazon SES, SendGrid, Mailgun, ...) reporting a failure."""
    sender = f.sender.email.lower() if f.sender else ""
    if not sender or not T.VENDOR_DOMAIN.search(domain_of(sender)):
        return None
    text = f.texts[0][:T.BODY_WINDOW] if f.texts else ""
    if "{" in text and T.VENDOR_JSON.search(fold(text)):
        return (f"{sender}, a delivery service, sends a notification of a bounce or complaint "
                "(JSON).")
    if T.VENDOR_SUBJECT.search(fold(f.subject)) and not f.has("List-Unsubscribe"):
        return (f"{sender}, a delivery service, reports a failed delivery or complaint "
                f"(\"{f.subject[:60]}\").")
    return None


def dmarc_aggregate(f: Facts) -> str | None:
    if T.DMARC_SUBJECT.search(fold(f.subject)):
        return (f"The subject \"{f.subject[:60]}\" is a DMARC aggregate report's (RFC 7489): "
                "machine mail, never answered.")
    sender = f.sender.email.lower() if f.sender else ""
    if not T.DMARC_SENDER.search(local_of(sender)) or is_answer(f.subject):
        return None
    for part in _parts(f):
        try:
            name = part.get_filename() or ""
        except Exception:
            continue
        if T.DMARC_FILE.match(name.strip().lower()):
            return (f"It carries a DMARC aggregate report ({name[:60]}): machine mail, never "
                    "answered.")
    return None


def bounced_original(msg: Message) -> tuple[list[str], list[str]]:
    """Message-IDs and recipients of the message a bounce reports on, as far as it says:
    from its delivery-status part, the returned message or its headers, X-Failed-Recipients,
    and the recipient lines of a plain-text report (qmail, Exim, Sendmail, Exchange...)."""
    ids: list[str] = []
    rcpts: list[str] = []
    own_id = str(msg.get("Message-ID") or "").strip()

    def add(value: str) -> None:
        addr = normalize(value.strip().strip(".,;:'\"()[]")).lower()
        if addr and "@" in addr and addr not in rcpts:
            rcpts.append(addr)
    for part in msg.walk():
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype in DSN_TYPES:
            for block in payload if isinstance(payload, list) else []:
                for name in ("Original-Recipient", "Final-Recipient"):
                    add(str(block.get(name) or "").split(";", 1)[-1])
        elif ctype.startswith("message/"):
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                ids.append(str(inner.get("Message-ID")).strip())
        elif ctype in ("text/rfc822-headers", "text/plain") and not part.is_multipart():
            ids.extend(_MSGID.findall(decode_part(part)))
        elif ctype == "text/html" and not part.is_multipart():
            ids.extend(_MSGID.findall(html_to_lines(decode_part(part))))
    for value in msg.get_all("X-Failed-Recipients") or []:
        for addr in str(value).split(","):
            add(addr)
    if not rcpts:
        for text in body_texts(msg):
            for addr in text_recipients(text):
                add(addr)
            if rcpts:
                break
    return list(dict.fromkeys(i for i in ids if i and i != own_id)), rcpts


def text_recipients(text: str, max_lines: int = 400) -> list[str]:
    """The failed recipients a plain-text report names, before the returned copy starts:
    ``<a@b>:`` lines (qmail, Postfix, Courier), ``<a@b>... User unknown`` (Sendmail),
    ``Final-Recipient:`` fields, the lines under "The following address(es) failed:" and
    the like (Exim, Exchange, Gmail, Notes), and "Your message to a@b couldn't be delivered"."""
    found: list[str] = []
    section = 0          # lines left to read in a recipient section
    listed = False       # the current section has named someone
    for raw in text.splitlines()[:max_lines]:
        line = _QUOTE.sub("", raw).strip() if ">" in raw[:8] else raw.strip()
        if not line:
            if listed:
                section, listed = 0, False
            continue
        low = fold(line)
        field = _DSN_FIELD.match(low)
        if field:
            found.append(field.group(2))
            continue
        if T.COPY_MARKER.search(low):
            break
        angle = _ANGLE.match(line)
        if angle:
            found.append(angle.group(1))
            listed = listed or bool(section)
            continue
        if T.NOT_RECIPIENT.search(low):
            continue
        dots = _DOTS.search(line)
        if dots:
            found.append(dots.group(1))
            listed = listed or bool(section)
            continue
        inline = T.INLINE_RECIPIENT.search(low)
        if inline:
            found.append(inline.group(2))
        if _opens_section(low):
            section, listed = 12, False
            after = low.split(":", 1)[1] if ":" in low else ""
            found.extend(_ADDRESS.findall(after)[:5])
            continue
        if section and not inline:
            section -= 1
            address = _ADDRESS.search(line[:200])
            if address:
                found.append(address.group(0))
                listed = True
    return list(dict.fromkeys(a.lower() for a in found))


def _opens_section(low: str) -> bool:
    """A line that introduces failed recipients: "The following address(es) failed:", "La
    remise aux destinataires suivants a échoué :", "Recipient address: a@b", ..."""
    if T.RECIPIENT_SECTION.search(low):
        return True
    word = T.RECIPIENT_WORD.search(low)
    if not word:
        return False
    if low.endswith(":") or T.FAILURE_WORD.search(low):
        return True
    colon = low.find(":", word.end())
    return colon >= 0 and bool(_ADDRESS.search(low, colon))
