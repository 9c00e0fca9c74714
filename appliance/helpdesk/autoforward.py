"""Evidence that a server forwarded the message to the box, untouched by a person.

Most companies keep their support mailbox where it is and let it forward to the box.  The
traces such forwarding leaves are listed here as rules; each hit may also name the mailbox
that forwarded (the company's support mailbox), which is how the box learns it when the
admin has not configured it.
"""
from __future__ import annotations

import re

from appliance.addresses import Person, local_of, normalize, parse_people
from appliance.helpdesk import autoreplies, listmail
from appliance.helpdesk.rules import Facts, Hit, Rule

RESENT_HEADERS = ("Resent-From", "Resent-Sender", "Resent-To", "Resent-Date",
                  "Resent-Message-ID")
# Markers servers add when a filter (Sieve, cPanel, hosted mail) redirects a message.
REDIRECT_HEADERS = ("X-Sieve-Redirected-From", "X-Redirected-From", "X-Resent-From",
                    "X-Forwarded-Message-By")
_RECEIVED_FOR = re.compile(r"\bfor\s+<?([^\s<>;()]+@[^\s<>;()]+?)>?\s*(;|$|\()", re.I)
_SRS = re.compile(r"^srs([01])=", re.I)


def _person(address: str) -> Person | None:
    email = normalize(address)
    return Person(email) if email else None


def _envelope_senders(f: Facts) -> list[tuple[str, str]]:
    found = [("the envelope sender", f.mail_from)] if f.mail_from not in ("", "<>") else []
    for value in f.headers("Return-Path"):
        addr = normalize(value)
        if addr:
            found.append(("Return-Path", addr))
    return found


def srs_original(address: str) -> str:
    """The sender an SRS address stands for: ``SRS0=h=t=d.example=jo@fwd`` and
    ``SRS1=h=fwd1.example==h=t=d.example=jo@fwd2`` both give ``jo@d.example``."""
    local = local_of(address)
    match = _SRS.match(local)
    if not match:
        return ""
    rest = local[match.end():]
    if match.group(1) == "1":
        rest = rest.partition("==")[2]
    fields = rest.split("=")
    if len(fields) < 4 or not fields[2]:
        return ""
    return normalize(f"{'='.join(fields[3:])}@{fields[2]}")


def _srs(f: Facts) -> Hit | None:
    for where, addr in _envelope_senders(f):
        if _SRS.match(local_of(addr)):
            original = srs_original(addr)
            hit = Hit("", f"{where[:1].upper()}{where[1:]} {addr} was rewritten by SRS: a server "
                          "forwarded the mail.")
            if original:
                hit.extra["original"] = Person(original)
            return hit
    return None


def _gmail_caf(f: Facts) -> Hit | None:
    for where, addr in _envelope_senders(f):
        local, _, domain = addr.partition("@")
        if "+caf_=" in local.lower():
            mailbox = f"{local[:local.lower().index('+caf_=')]}@{domain}"
            return Hit("", f"{where[:1].upper()}{where[1:]} {addr} carries Gmail's +caf_= "
                           f"forwarding mark: {mailbox} forwarded the mail.", _person(mailbox))
    return None


def _first_other(f: Facts, values: list[str]) -> Person | None:
    for person in parse_people(*values):
        if not f.is_box(person.email):
            return person
    return None


def _x_forwarded(f: Facts) -> Hit | None:
    names = [n for n in ("X-Forwarded-To", "X-Forwarded-For") if f.has(n)]
    if not names:
        return None
    values = f.header("X-Forwarded-For").replace(" ", ", ")
    mailbox = _first_other(f, [values]) or _first_other(f, f.headers("Delivered-To"))
    return Hit("", f"{' and '.join(names)} show a forwarding rule"
                   + (f" on {mailbox.email}." if mailbox else "."), mailbox)


def _resent(f: Facts) -> Hit | None:
    names = [n for n in RESENT_HEADERS if f.has(n)]
    if not names:
        return None
    mailbox = _first_other(f, f.headers("Resent-From") + f.headers("Resent-Sender"))
    return Hit("", f"Resent fields ({', '.join(names)}) show the mail was redirected"
                   + (f" by {mailbox.email}." if mailbox else "."), mailbox)


def _exchange(f: Facts) -> Hit | None:
    auto = f.header("X-MS-Exchange-Organization-AutoForwarded").strip().lower() == "true"
    loop = f.header("X-MS-Exchange-Inbox-Rules-Loop")
    if not auto and not loop:
        return None
    if autoreplies.generated_reply(f):
        return None   # the inbox rule that answered (out-of-office) forwarded nothing
    mailbox = _first_other(f, [loop]) if loop else None
    if auto and not loop:
        return Hit("", "X-MS-Exchange-Organization-AutoForwarded: true: an Exchange rule "
                       "forwarded the mail.")
    return Hit("", f"X-MS-Exchange-Inbox-Rules-Loop: {loop}: an Exchange inbox rule of that "
                   "mailbox forwarded the mail.", mailbox)


def _redirect_marker(f: Facts) -> Hit | None:
    for name in REDIRECT_HEADERS:
        if f.has(name):
            mailbox = _first_other(f, [f.header(name)])
            return Hit("", f"{name}: {f.header(name)[:60]} shows a server-side redirect.",
                       mailbox)
    return None


def _delivered_elsewhere(f: Facts) -> Hit | None:
    if not f.capture or any(p.email.lower() in f.capture for p in f.to_cc):
        return None
    lists = listmail.addresses(f)   # a list delivering its mail forwards nothing

    def elsewhere(values: list[str]) -> Person | None:
        other = _first_other(f, values)
        return None if other is None or other.email.lower() in lists else other
    for name in ("X-Original-To", "Delivered-To"):
        other = elsewhere(f.headers(name))
        if other:
            return Hit("", f"{name} names {other.email}, not the capture address, and no To/Cc "
                           "names the capture address: that mailbox forwarded the mail.", other)
    for value in f.headers("Received"):
        match = _RECEIVED_FOR.search(value)
        other = _person(match.group(1)) if match else None
        if other and not f.is_box(other.email) and other.email.lower() not in lists:
            return Hit("", f"A Received header was for {other.email}, not the capture address, "
                           "and no To/Cc names the capture address: that mailbox forwarded "
                           "the mail.", other)
    return None


def _to_company(f: Facts) -> Hit | None:
    company = {a.lower() for a in f.ctx.company_addresses}
    if not company or any(p.email.lower() in f.capture for p in f.to_cc):
        return None
    named = [p for p in f.to_cc if p.email.lower() in company]
    if named:
        return Hit("", f"The mail is addressed to the company mailbox {named[0].email}, not to "
                       "the capture address: the company mailbox forwarded it.", named[0])
    return None


RULES = (
    Rule("srs-envelope", _srs),
    Rule("gmail-caf", _gmail_caf),
    Rule("x-forwarded", _x_forwarded),
    Rule("resent-fields", _resent),
    Rule("exchange-autoforward", _exchange),
    Rule("redirect-marker", _redirect_marker),
    Rule("delivered-elsewhere", _delivered_elsewhere),
    Rule("addressed-to-company", _to_company),
)
