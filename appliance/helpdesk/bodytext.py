"""The readable text of a message's body, and the one HTML-to-text converter.

Classification only needs the words a person sees: the first text/plain part (or the HTML
part turned into lines) of the message itself, not of messages attached to it.  An item
shows the same words for mail that has no text part (:func:`html_to_text`), paragraphs
apart.  A table of data becomes aligned columns, a row a line ("Name    Yusuf Buyer"); a
table that only lays out a page (one cell a row, as most HTML mail is built) becomes its
cells' text, one block after the other; one too wide for a line degrades to its rows with
their cells two spaces apart.  Everything here tolerates broken mail: unknown charsets, bad
transfer encodings, truncated HTML.
"""
from __future__ import annotations

import re
import textwrap
from email.message import Message
from html.parser import HTMLParser

MAX_TEXT = 200_000  # enough for any forwarded header block; keeps huge bodies cheap
_BLOCK = {"p", "div", "br", "tr", "li", "table", "blockquote", "pre", "h1", "h2", "h3",
          "h4", "h5", "h6", "section", "article", "header", "footer", "dd", "dt", "ul", "ol",
          "address", "aside", "nav", "main", "figure", "figcaption", "caption", "center",
          "dl", "fieldset", "form", "hgroup", "details", "summary", "legend", "dialog",
          "menu", "option", "textarea"}
_CELLS = {"td", "th"}
CELL_WIDTH = 40     # a cell's lines wrap at this width (for people)
TABLE_WIDTH = 100   # a wider table is written row by row, unaligned
MAX_NESTING = 8     # tables deeper inside tables are read as plain blocks (cheap)
# Table padding survives the clean-up of runs of spaces; it becomes spaces at the very end.
_PAD = "\ue000"
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


def _tidy(text: str) -> str:
    """Runs of spaces as one, no spaces at line ends, at most one blank line in a row."""
    text = re.sub(r"[ \t\r\f\v]+", " ", text.replace("\xa0", " "))
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _Table:
    """A table being read: rows of cells, each cell the text collected for it."""

    def __init__(self, outside: list[str]) -> None:
        self.outside = outside           # where the table's text goes when it ends
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def close_cell(self) -> None:
        if self.cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(_tidy("".join(self.cell)))
            self.cell = None


def _cell_lines(text: str, wrap: bool) -> list[str]:
    lines = [line for line in text.split("\n") if line.strip()]
    if not wrap:
        return [" ".join(lines)] if lines else []
    out: list[str] = []
    for line in lines:
        out += [line] if _PAD in line or len(line) <= CELL_WIDTH else \
            textwrap.wrap(line, CELL_WIDTH, break_on_hyphens=False)
    return out


def layout_table(rows: list[list[str]], gap: str, wrap: bool) -> str:
    """A table as text: aligned columns when some row has two cells with words, else
    (a layout table) its cells one after the other."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not any(sum(1 for cell in row if cell.strip()) > 1 for row in rows):
        return gap.join(cell for row in rows for cell in row if cell.strip())
    cells = [[_cell_lines(cell, wrap) for cell in row] for row in rows]
    count = max(len(row) for row in cells)
    widths = [max((len(line) for row in cells if k < len(row) for line in row[k]),
                  default=0) for k in range(count)]
    if sum(widths) + 2 * (count - 1) > TABLE_WIDTH:
        return "\n".join((_PAD * 2).join(" ".join(lines) for lines in row if lines)
                         for row in cells)
    out = []
    for row in cells:
        height = max((len(lines) for lines in row), default=0)
        for n in range(height):
            parts = [(lines[n] if n < len(lines) else "").ljust(widths[k], _PAD)
                     for k, lines in enumerate(row)]
            out.append((_PAD * 2).join(parts).rstrip(_PAD))
    return "\n".join(out)


class _Text(HTMLParser):
    """HTML as text: tags and entities gone, script and style dropped, block elements
    ending lines (``paragraphs``: a blank line), list items as "- ", tables as aligned
    columns (:func:`layout_table`), a link's address after its words."""

    def __init__(self, paragraphs: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.links: list[str] = []
        self.tables: list[_Table] = []
        self.deep = 0       # tables open below MAX_NESTING
        self.paragraphs = paragraphs
        self.gap = "\n\n" if paragraphs else "\n"

    def _table_tag(self, tag: str, start: bool) -> bool:
        """Table structure: True when ``tag`` was one (and is handled)."""
        if tag == "table":
            if start and (self.deep or len(self.tables) >= MAX_NESTING):
                self.deep += 1
                self._newline()
            elif start:
                self.tables.append(_Table(self.out))
                self.out = []   # text between cells is not kept
            elif self.deep:
                self.deep -= 1
                self._newline()
            elif self.tables:
                self.end_table()
            return True
        if self.deep or not self.tables or tag not in ("tr", *_CELLS):
            return False
        table = self.tables[-1]
        table.close_cell()
        if tag == "tr" and start:
            table.rows.append([])
        elif start:
            table.cell = self.out = []
        if not start or tag == "tr":
            self.out = []
        return True

    def end_table(self) -> None:
        table = self.tables.pop()
        table.close_cell()
        self.out = table.outside
        self._newline()
        self.out.append(layout_table(table.rows, self.gap, self.paragraphs))
        self._newline()

    def finish(self) -> str:
        while self.tables:   # truncated HTML: its tables end with it
            self.end_table()
        return "".join(self.out)

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._table_tag(tag, True):
            return
        if tag in _SKIP:
            self.skip += 1
        elif tag == "pre":
            self.pre += 1
            self._newline()
        elif tag == "hr":
            self.out.append(_HR)
        elif tag == "br":
            self.out.append("\n")
        elif tag in _BLOCK:
            self._newline()
        elif tag in _CELLS:
            self.out.append(" ")
        if tag == "li":
            self.out.append("- ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._table_tag(tag, False):
            return
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._newline()
        elif tag in _BLOCK and tag != "br":
            self._newline()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href.startswith(("http://", "https://")) and \
                    href not in "".join(self.out[-3:]):
                self.out.append(f" <{href}>")

    def _newline(self) -> None:
        """Nested blocks end one line (or make one gap), not several: header blocks stay
        contiguous."""
        if not self.out:
            return
        tail = self.out[-1] if len(self.out[-1]) > 1 else "".join(self.out[-2:])
        if not tail.endswith(self.gap):
            self.out.append("\n" if tail.endswith("\n") else self.gap)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if data.strip():   # line breaks in the source are spaces, but in <pre>
            self.out.append(data if self.pre else data.replace("\n", " "))
        elif self.out and not self.out[-1].endswith("\n"):
            self.out.append(" ")


def html_to_text(html: str, paragraphs: bool = True) -> str:
    """HTML as plain text for people: tags and entities gone, paragraphs apart (the item
    body of mail that has no text part).  ``paragraphs=False``: :func:`html_to_lines`."""
    parser = _Text(paragraphs)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # malformed markup never stops intake
        pass
    return _tidy(parser.finish()).replace(_PAD, " ")


def html_to_lines(html: str) -> str:
    """HTML as plain lines for the rules: every block ends one line, so a forwarded header
    block stays contiguous; only the first :data:`MAX_TEXT` characters are read."""
    return html_to_text(html[:MAX_TEXT], paragraphs=False)


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
