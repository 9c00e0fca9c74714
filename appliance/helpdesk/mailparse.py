"""One received message as the helpdesk needs it: decoded subject, text and HTML bodies,
attachments, and the ids that thread it.  Never raises on broken mail: what cannot be
decoded is kept as well as possible (replacement characters, raw payload)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.header import Header, decode_header
from email.message import Message
from email.parser import BytesParser

from appliance.addresses import Person, decode_words, parse_person
from appliance.mta.limits import MAX_HTML_CHARS, MAX_TEXT_CHARS, header_section
from appliance.helpdesk.bodytext import html_to_text

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class Part:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None    # without <>, lower case: what a cid: link names


@dataclass
class Parsed:
    message: Message
    subject: str
    sender: Person | None
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str | None
    attachments: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # what was cut to the limits


def parse(raw: bytes, headers_only: bool = False) -> Message:
    """Parse bytes leniently: broken input gives defects, never an exception.  Messages nested
    deeper than the parser's recursion allows are read for their headers only.  Intake
    parses each message once, here; classification and the item read that one message."""
    try:
        return BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=headers_only)
    except RecursionError:
        return BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)


def clean(text: str, fallback: str = "latin-1") -> str:
    """Text safe to store: raw 8-bit bytes read as UTF-8, else in ``fallback``; no NULs."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: raw bytes smuggled through a str
            text = decode_8bit(text.encode("utf-8", "surrogateescape"), fallback)
    return text.replace("\x00", "")


def decode_8bit(data: bytes, fallback: str = "latin-1") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(fallback)
    except (LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


def header(msg: Message, name: str) -> str:
    """A header decoded for people.  Raw 8-bit header bytes (no RFC 2047) are read as
    UTF-8, else in the charset the message declares for its body, the usual sender bug."""
    value = msg.get(name)
    if value is None:
        return ""
    if isinstance(value, Header):
        fallback = msg.get_content_charset() or "latin-1"
        chunks = []
        for data, charset in decode_header(value):
            if isinstance(data, str):
                chunks.append(data)
            elif charset in (None, "unknown-8bit"):
                chunks.append(decode_8bit(data, fallback))
            else:
                try:
                    chunks.append(data.decode(charset, "replace"))
                except LookupError:
                    chunks.append(decode_8bit(data, fallback))
        return clean("".join(chunks))
    return clean(decode_words(clean(str(value))))


def decode_payload(part: Message) -> str:
    data = part.get_payload(decode=True)
    if data is None:
        payload = part.get_payload()
        return clean(payload) if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "us-ascii"
    for candidate in (charset, "utf-8"):
        try:
            return clean(data.decode(candidate))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean(data.decode("latin-1"))


def message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _leaves(msg: Message):
    """Walk the MIME tree without descending into attached messages."""
    if msg.is_multipart() and msg.get_content_maintype() == "multipart":
        for sub in msg.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield msg


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return clean(decode_words(name)) if name else None


def _content_id(part: Message) -> str | None:
    value = clean(str(part.get("Content-ID") or "")).strip().strip("<>").strip().lower()
    return value[:255] or None


def parse_message(raw: bytes, headers_only: bool = False) -> Parsed:
    """``headers_only``: the body is not taken apart (see ``mta.limits``); it is read as no
    text and no attachments.  Text and HTML past the limits are cut, with a note."""
    msg = parse(header_section(raw) if headers_only else raw)
    text: str | None = None
    html: str | None = None
    attachments: list[Part] = []
    for part in ([] if headers_only else _leaves(msg)):
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = _filename(part)
        if ctype == "message/rfc822":
            payload = part.get_payload()
            data = payload[0].as_bytes() if isinstance(payload, list) and payload else \
                (part.get_payload(decode=True) or b"")
            subject = header(payload[0], "Subject") if isinstance(payload, list) and payload \
                else ""
            attachments.append(Part(name or f"{subject or 'message'}.eml"[:120],
                                    ctype, data))
        elif disposition == "attachment" or (name and not ctype.startswith("text/")):
            attachments.append(Part(name or "attachment", ctype,
                                    part.get_payload(decode=True) or b"",
                                    _content_id(part)))
        elif ctype.startswith("image/") and _content_id(part):
            # an inline image named only by its Content-ID (the HTML shows it by cid:)
            attachments.append(Part(f"image.{ctype[6:].split('+')[0][:10] or 'bin'}", ctype,
                                    part.get_payload(decode=True) or b"",
                                    _content_id(part)))
        elif ctype == "text/plain" and text is None:
            text = decode_payload(part)
        elif ctype == "text/html" and html is None:
            html = decode_payload(part)
        elif ctype.startswith("text/") and name:
            attachments.append(Part(name, ctype, part.get_payload(decode=True) or b""))
    notes: list[str] = []
    if html is not None and len(html) > MAX_HTML_CHARS:
        notes.append(f"The HTML body has {len(html):,} characters: only the first "
                     f"{MAX_HTML_CHARS:,} are shown.")
        html = html[:MAX_HTML_CHARS]
    if text is None:
        text = html_to_text(html) if html else ""
    elif len(text) > MAX_TEXT_CHARS:
        notes.append(f"The text body has {len(text):,} characters: only the first "
                     f"{MAX_TEXT_CHARS:,} are shown.")
        text = text[:MAX_TEXT_CHARS]
    mid = message_ids(header(msg, "Message-ID"))
    return Parsed(
        message=msg, subject=header(msg, "Subject").replace("\r", "").replace("\n", "").strip(),
        sender=parse_person(header(msg, "From")), message_id=mid[0] if mid else None,
        in_reply_to=message_ids(header(msg, "In-Reply-To")),
        references=message_ids(header(msg, "References")),
        text=text.strip(), html=html, attachments=attachments, notes=notes)
