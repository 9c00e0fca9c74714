"""Composition: one outgoing email as MIME bytes (before DKIM signing, which comes last).

multipart/alternative with text and HTML, RFC 2047 headers for any language, the box's
own Message-ID, threading headers, RFC 3834 ``Auto-Submitted`` on automated mail and the
appliance's loop marker so the box recognises its own mail coming back.  A message received
can ride along as a ``message/rfc822`` attachment, byte for byte (mail to the postmaster);
files (an agent's attachments) as base64 parts whose names keep any language (RFC 2231).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from io import BytesIO

from appliance import clock
from appliance.mailids import LOOP_HEADER, loop_marker


@dataclass
class Outgoing:
    from_address: str
    to: list[tuple[str | None, str]]        # (name, email)
    subject: str
    text: str
    message_id: str
    domain: str                              # the box's domain, for the loop marker
    from_name: str | None = None
    html: str | None = None
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str | None = None        # auto-replied | auto-generated | None
    extra_headers: dict[str, str] = field(default_factory=dict)
    attached_message: bytes | None = None    # a received message, attached as it came
    files: list["File"] = field(default_factory=list)


@dataclass(frozen=True)
class File:
    """One attachment of an outgoing email."""
    filename: str
    content_type: str
    data: bytes


class _Generator(BytesGenerator):
    """The stdlib's generator, except that an attached message given as its raw bytes is
    written as it came: the stdlib re-serialises (refolds) a parsed one, or refuses 8-bit
    bytes in a raw one."""

    def _handle_message(self, msg) -> None:
        if isinstance(msg._payload, str):
            self._fp.write(msg._payload.encode("ascii", "surrogateescape"))
        else:
            super()._handle_message(msg)


_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _attach_message(msg: EmailMessage, raw: bytes, filename: str = "original.eml") -> None:
    part = MIMEPart(policy=SMTP)
    part["Content-Type"] = "message/rfc822"
    part.add_header("Content-Disposition", "attachment", filename=filename)
    part["Content-Transfer-Encoding"] = "7bit" if raw.isascii() else "8bit"
    part.set_payload(raw)   # bytes: kept as they are (surrogate-escaped)
    if msg.get_content_type() != "multipart/mixed":
        msg.make_mixed()
    msg.attach(part)


def _attach_file(msg: EmailMessage, file: File) -> None:
    """A file as a base64 part; a mail message as itself (RFC 2046 allows message/rfc822
    no base64), any type that is not a plain ``type/subtype`` as octets."""
    ctype = file.content_type.lower().split(";")[0].strip()
    if ctype == "message/rfc822":
        _attach_message(msg, file.data, file.filename)
        return
    if not _MIME_TYPE.fullmatch(ctype) or ctype.startswith(("multipart/", "message/")):
        ctype = "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(file.data, maintype=maintype, subtype=subtype,
                       filename=file.filename or "attachment")


def _address(name: str | None, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def compose(out: Outgoing) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(out.from_name, out.from_address)
    msg["To"] = [_address(name, email) for name, email in out.to]
    if out.reply_to:
        msg["Reply-To"] = _address(out.from_name, out.reply_to)
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = out.message_id
    if out.in_reply_to:
        msg["In-Reply-To"] = out.in_reply_to
    if out.references:
        msg["References"] = " ".join(out.references[-20:])
    if out.auto_submitted:
        msg["Auto-Submitted"] = out.auto_submitted
        # Ask Exchange and friends not to answer automated mail with out-of-office replies.
        msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = loop_marker(out.domain)
    for name, value in out.extra_headers.items():
        msg[name] = value
    msg.set_content(out.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if out.html:
        msg.add_alternative(out.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if not out.files and out.attached_message is None:
        return msg.as_bytes()
    for file in out.files:
        _attach_file(msg, file)
    if out.attached_message is not None:
        _attach_message(msg, out.attached_message)
    buffer = BytesIO()
    _Generator(buffer, mangle_from_=False, policy=SMTP).flatten(msg)
    return buffer.getvalue()
