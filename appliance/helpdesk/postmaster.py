"""Mail to the postmaster (RFC 5321 4.5.1: ``postmaster@DOMAIN`` and ``<Postmaster>`` must be
accepted): it never becomes an item.  The admins (active users with the admin role) get it
as a mail of the box's own (From the support address, DKIM-signed, through the outgoing
queue) with the original attached as ``message/rfc822``, byte for byte.

Anyone may write to the postmaster, so the admins get at most :data:`PER_HOUR` such mails
an hour (counted in the outgoing log); past that a mail is kept in the incoming log only.
Our own mail coming back (a loop) is never passed on: intake stops it before this.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from appliance import clock
from appliance.helpdesk.mailparse import Parsed
from appliance.helpdesk.models import Person, User
from appliance.outbound.models import OutgoingMail
from appliance.mta.policy import is_postmaster, postmaster_address
from appliance.mta.spool import Entry

if TYPE_CHECKING:
    from appliance.outbound.mailer import Mailer

PER_HOUR = 20          # postmaster mails the admins get in any hour, at most
KIND = "postmaster"    # the outgoing log's kind of these mails
SUBJECT = "Postmaster mail for {domain}: {subject}"


def addressed(rcpt_tos: list[str], domain: str) -> bool:
    """Whether the postmaster is among the envelope recipients."""
    return any(is_postmaster(rcpt, domain) for rcpt in rcpt_tos)


def admins() -> list[Person]:
    return list(Person.select().join(User)
                .where(User.role == "admin", User.active == True)  # noqa: E712
                .order_by(Person.email))


def sent_last_hour(now: datetime) -> int:
    return (OutgoingMail.select()
            .where(OutgoingMail.kind == KIND,
                   OutgoingMail.created_at > now - timedelta(hours=1))
            .count())


def _one_line(text: str, limit: int = 200) -> str:
    """A header value from mail that came in: no line breaks or controls, bounded."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def report_text(entry: Entry, parsed: Parsed, domain: str, received_at: datetime) -> str:
    env = entry.envelope
    sender = parsed.sender
    shown = "(none)"
    if sender is not None:
        shown = _one_line(f"{sender.name} <{sender.email}>" if sender.name else sender.email)
    others = [r for r in env.rcpt_tos if not is_postmaster(r, domain)]
    lines = [
        f"A mail to {postmaster_address(domain)} arrived at the box; it is attached as it "
        "came.",
        "",
        f"From: {shown}",
        f"Envelope sender: {_one_line(env.mail_from) or '<> (null sender)'}",
        f"Received: {clock.iso(received_at)} from "
        + (env.peer or "a pipe (appliance ingest)")
        + (f" (HELO {_one_line(env.helo, 100)})" if env.helo else ""),
        f"Subject: {_one_line(parsed.subject) or '(no subject)'}",
        f"Message-ID: {_one_line(parsed.message_id or '') or '(none)'}",
    ]
    if others:
        lines.append(f"Also addressed to: {', '.join(others)} (the helpdesk took it as usual)")
    lines += ["", f"The admins get at most {PER_HOUR} postmaster mails an hour; every one is "
              "in the incoming log (appliance mail incoming --search postmaster)."]
    return "\n".join(lines) + "\n"


def deliver(mailer: "Mailer | None", entry: Entry, parsed: Parsed, domain: str,
            received_at: datetime) -> str:
    """Queue the mail for the admins (in the caller's transaction); returns what happened,
    for the incoming log ("delivered to the admins (a@x, b@y)", or why not)."""
    kept = "it is kept in the incoming log only"
    people = admins()
    if not people:
        return f"not delivered: there is no active admin to deliver it to; {kept}"
    if mailer is None:
        return f"not delivered: this process sends no mail; {kept}"
    sent = sent_last_hour(clock.now())
    if sent >= PER_HOUR:
        return (f"not delivered: {sent} postmaster mails went to the admins in the last hour "
                f"(at most {PER_HOUR}); {kept}")
    subject = SUBJECT.format(domain=domain, subject=_one_line(parsed.subject) or "(no subject)")
    mailer.send_report(to=people, subject=subject, kind=KIND, attached_message=entry.raw,
                       text=report_text(entry, parsed, domain, received_at))
    return f"delivered to the admins ({', '.join(p.email for p in people)})"
