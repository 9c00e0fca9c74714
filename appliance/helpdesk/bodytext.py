"""The readable text of a message's own body, for finding forwarded-message blocks.

Classification only needs the words a person sees: the first text/plain part (or the HTML
part turned into lines) of the message itself, not of messages attached to it.  Everything
here tolerates broken mail: unknown charsets, bad transfer encodings, truncated HTML.
"""
from __future__ import annotations

import re
from email.message import Message
from html.parser import HTMLParser

MAX_TEXT = 200_000  # enough for any forwarded header block; keeps huge bodies cheap
_BLOCK = {"p", "div", "br", "tr", "li", "table", "blockquote", "pre", "h1", "h2", "h3",
          "h4", "h5", "h6", "section", "article", "header", "footer", "dd", "dt"}
_SKIP = {"script", "style", "head", "title"}
# Outlook draws the line above a forwarded header block as <hr>; keep it visible as the
# same underscores its plain-text part uses.
_HR = "\n________________________________\n"


def decode_part(part: Message) -> str:
    """The decoded text of one leaf part; replacement characters where bytes are bad."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    data = data[:MAX_TEXT]
    charset = _charset(part)
    for name in (charset, "utf-8"):
        if not name:
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("latin-1", errors="replace")


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "hr":
            self.out.append(_HR)
        elif tag == "br":
            self.out.append("\n")
        elif tag in _BLOCK:
            self._newline()
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK and tag != "br":
            self._newline()

    def _newline(self) -> None:
        """Nested blocks end one line, not several: header blocks stay contiguous."""
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if data.strip():
            self.out.append(data)
        elif self.out and not self.out[-1].endswith("\n"):
            self.out.append(" ")


def html_to_lines(html: str) -> str:
    """HTML as plain lines: block elements end lines, tags and entities disappear."""
    parser = _Text()
    try:
        parser.feed(html[:MAX_TEXT])
        parser.close()
    except Exception:
        pass
    text = "".join(parser.out).replace("\xa0", " ")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def _own_leaves(msg: Message):
    """Leaf parts of the message itself; attached messages (message/*) are not entered."""
    stack = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if ctype.startswith("message/"):
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack[0:0] = [p for p in payload if isinstance(p, Message)]
            continue
        if part.get_content_disposition() == "attachment":
            continue
        yield part


def body_texts(msg: Message) -> list[str]:
    """The message's readable bodies, plain text first, then HTML turned into lines: the
    first of each, each its first :data:`MAX_TEXT` bytes."""
    plain: list[str] = []
    html: list[str] = []
    for part in _own_leaves(msg):
        ctype = part.get_content_type()
        if ctype == "text/plain" and not plain:
            plain.append(decode_part(part))
        elif ctype == "text/html" and not html:
            html.append(html_to_lines(decode_part(part)))
        if plain and html:
            break
    return [t for t in plain + html if t.strip()]


def attached_messages(msg: Message) -> list[Message]:
    """Messages attached as message/rfc822, in order, outside reports and digests."""
    found: list[Message] = []
    stack = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if ctype in ("multipart/report", "multipart/digest"):
            continue
        if ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                found.append(payload[0])
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack[0:0] = [p for p in payload if isinstance(p, Message)]
    return found
