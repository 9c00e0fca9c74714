"""Manual forwards: a person pressed "Forward" in a mail client.

The evidence is a localized forward prefix in the subject, a forwarded-message block in the
body, or an attached message/rfc822.  The original sender is read from the first forwarded
block's own From line, never from the first address found somewhere in the body.  A reply
that quotes an earlier message is not a forward, even though Outlook writes the same header
block for both: there the subject and the attribution line decide.

The body is scanned once, line by line, and each line is first put to cheap tests (its
first and last character, a colon near its start) before any pattern looks at it: a long
ordinary body costs a few string operations per line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

from appliance.addresses import Person, decode_words, normalize, parse_people
from appliance.helpdesk import forwardtables as T

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.U)
_MAILTO = re.compile(r"\[mailto:[^\]]*\]|<mailto:[^>]*>|\bmailto:", re.I)
_QUOTE = re.compile(r"^(\s*>)+\s?")
# An address in angle brackets, square brackets or parentheses, as attribution lines write it.
_BRACKETED = re.compile(r"[<\[(]\s*(?:mailto:)?([^\s<>\[\]()@]+@[^\s<>\[\]()]+?)\s*[>\])]", re.I)
_FRAMED = re.compile(r"^[-–—_=*~]{2,}\s*([^-–—_=*~].{0,60}?)\s*[-–—_=*~]{2,}\s*(.*)$")
_FRAME = " \t-–—_=*>~:："
_FRAME_START = "-–—_=*~"
_COLONS = ":："
_QUOTES = {'"': '"', "»": "«", "”": "„“", "“": "„“", "'": "'", "’": "‘'"}
# Invisible characters some clients put into bodies and labels (byte-order mark, zero-width
# spaces and joiners, soft hyphen), and the spaces that are not plain spaces.
_INVISIBLE = {**dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None),
              **dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")}
MAX_LINES = 4000   # forwarded blocks sit near the top; huge bodies are not searched further
MAX_VALUE = 1000   # longest header value looked at (address search is quadratic in length)


@dataclass
class Block:
    """A forwarded (or quoted) message's header block found in a body."""

    kind: str                 # "forward" (unambiguous), "ambiguous" or "reply"
    marker: str               # the line that gave it away, for the reasons
    fields: dict[str, str] = field(default_factory=dict)
    start: int = -1           # body line where the block begins (its separator or From)
    end: int = -1             # first body line after its header fields
    at_top: bool = False      # nothing but blank lines above it: no words of the forwarder
    quoted: bool = False      # a reply line followed by "> " quoted lines

    @property
    def sender(self) -> Person | None:
        if self.kind == "reply":
            return attribution_sender(self.fields.get("from", ""))
        return sender_of(self.fields.get("from", ""))

    @property
    def cc(self) -> list[Person]:
        return parse_people(_MAILTO.sub("", self.fields.get("cc", "")).replace(";", ","))

    @property
    def complete(self) -> bool:
        """From, a date and a Subject: the whole header block a forward carries."""
        return {"from", "date", "subject"} <= self.fields.keys()


def subject_prefixes(subject: str) -> list[tuple[str, str]]:
    """Leading prefixes as (kind, text): kind is "forward", "reply" or "other"."""
    found: list[tuple[str, str]] = []
    rest = (subject or "").translate(_INVISIBLE)
    for _ in range(10):
        rest = re.sub(r"^\s*\[[^\]:]*\]\s*", "", rest)  # list tags such as [support]
        match = T.SUBJECT_PREFIX.match(rest)
        if not match:
            break
        word = match.group(1).lower().replace("\u0307", "")  # İLT -> ilt
        kind = ("forward" if word in T.FORWARD_PREFIXES else
                "reply" if word in T.REPLY_PREFIXES else "")
        if not kind:
            break
        found.append((kind, match.group(0).strip()))
        rest = rest[match.end():]
    return found


def sender_of(value: str) -> Person | None:
    """A person from a forwarded From line: ``Name <a@b>``, ``"Doe, Jo" <a@b>``, ``a@b``,
    ``Name [mailto:a@b]`` or ``a@b<mailto:a@b>`` (as Outlook's plain text writes it)."""
    value = decode_words(value[:MAX_VALUE]).strip()
    match = _ADDRESS.search(value)
    if not match:
        return None
    email = normalize(match.group(0).strip(".'\""))
    if not email:
        return None
    clean = _MAILTO.sub(" ", value)
    name, addr = parseaddr(clean)
    if normalize(addr).lower() != email.lower():
        name = re.sub(r"[<>\[\]()\"'“”„«»]", " ", _ADDRESS.sub(" ", clean))
    name = " ".join(name.split()).strip(" ,;:\"'*«»„“”")  # *Name* is bold in plain text
    if "@" in name:
        name = ""
    return Person(email, name or None)


def _clean(line: str) -> str:
    line = line.strip()
    return _QUOTE.sub("", line).strip() if line[:1] == ">" else line


def _label(line: str) -> tuple[str, str] | None:
    """(field, value) when ``line`` is a header line of a forwarded block: a known label,
    maybe bold (``*From:*``), then a colon (full-width too) and the value."""
    colon = line.find(":", 0, T.LONGEST_LABEL + 4)
    wide = line.find("：", 0, T.LONGEST_LABEL + 4)
    if wide >= 0 and (colon < 0 or wide < colon):
        colon = wide
    if colon <= 0:
        return None
    label = line[:colon].strip(" \t*").lower()
    name = T.LABEL_FIELD.get(label) or T.LABEL_FIELD.get(label.replace("\u0307", ""))
    if name is None:
        return None
    return name, line[colon + 1:].lstrip(" \t*").strip()


def _labelish(line: str) -> bool:
    """A "Label: value" line of a header block whose label the tables do not know."""
    colon = line.find(":", 1, 30)
    if colon < 0:
        colon = line.find("：", 1, 30)
    if colon < 0:
        return False
    label = line[:colon].strip(" \t*")
    return (0 < len(label.split()) <= 3 and not any(c.isdigit() for c in label)
            and not any(c in label for c in ".,;!?<>@"))


def _separator(line: str) -> tuple[str, str]:
    """("forward" | "ambiguous" | "forward-loose" | "", glued text) for one cleaned line.
    The glued text is a header block that Yahoo writes on the separator line itself."""
    first = line[0]
    if first == "_" and T.UNDERSCORE_LINE.match(line):
        return "ambiguous", ""
    framed = first in _FRAME_START
    if not framed and len(line) > 64 and line[-1] not in _COLONS:
        return "", ""
    words = " ".join(line.strip(_FRAME).lower().replace("\u0307", "").split())
    if words and len(words) <= 60:
        kind = _separator_words(words, framed, line)
        if kind:
            return kind, ""
    if framed:
        match = _FRAMED.match(line)
        if match and match.group(2):
            words = " ".join(match.group(1).lower().replace("\u0307", "").split())
            kind = _separator_words(words, True, line)
            if kind in ("forward", "ambiguous"):
                return kind, match.group(2)
    return "", ""


def _separator_words(words: str, framed: bool, line: str) -> str:
    if words in T.FORWARD_SEPARATORS:
        return "forward"
    if words in T.ORIGINAL_SEPARATORS or (framed and any(s in words for s in T.ORIGINAL_STEMS)):
        # Thunderbird and IONOS frame it with spaced runs of eight or more dashes for a
        # forward; Outlook writes "-----Original Message-----" for replies and forwards.
        return "forward" if re.match(r"^-{8,}\s", line) else "ambiguous"
    if framed and any(stem in words for stem in T.FORWARD_STEMS):
        return "forward"
    if line[-1] in _COLONS and any(stem in words for stem in T.FORWARD_STEMS):
        return "forward-loose"
    return ""


def _header_fields(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """Read a header block beginning at or shortly after ``start``: labels -> values."""
    fields: dict[str, str] = {}
    last = ""
    i, skipped, unknown = start, 0, 0
    while i < len(lines) and i < start + 20:
        line = lines[i]
        found = _label(line) if line else None
        if found:
            last, skipped = found[0], 0
            if last == "other" or last in fields:
                last = ""
            else:
                fields[last] = found[1]
        elif not line:
            if fields and skipped > 1:
                break
            skipped += 1
        elif fields and last and _continues(fields[last], line, last):
            fields[last] = f"{fields[last]} {line}"
        elif fields and unknown < 3 and _labelish(line):
            unknown, last = unknown + 1, ""
        else:
            break
        i += 1
    return fields, i


def _continues(value: str, line: str, name: str) -> bool:
    """Whether a line carries on a wrapped header value (long names, address lists)."""
    if value.endswith((",", ";")) or value.count("<") > value.count(">"):
        return True
    return name == "from" and "@" not in value and "@" in line and len(line) < 120


def _attribution(line: str, following: str) -> str:
    """A reply's "On <date>, <name> wrote:" line, possibly wrapped onto the next line: the
    line as read ("" when it is none).  Only lines ending in a colon get this far."""
    if len(line) > 300 or _label(line):
        return ""
    for text in (line, f"{line} {following}"):
        if text[-1] in _COLONS:
            digit = any(c.isdigit() for c in text)
            if (digit or "@" in text or T.ATTRIBUTION_START.match(text)) and \
                    T.REPLY_ATTRIBUTION.search(text):
                return text
            if digit and "@" in text and (text[:-1].rstrip()[-1:] in ">])"
                                          or T.MID_ATTRIBUTION.search(text)):
                return text  # "... <a@b>:" (Gmail in many languages), "<a@b> kirjoitti ..:"
        if not following or following[-1] not in _COLONS or _label(following):
            break
    return ""


def attribution_sender(text: str) -> Person | None:
    """The author an attribution line names: ``On <date>, "Name" <a@b> wrote:``,
    ``Le <date>, « Name » <a@b> a écrit :``, ``<date> időpontban Name (<a@b>) ezt írta:``."""
    match = _BRACKETED.search(text) or _ADDRESS.search(text)
    if not match:
        return None
    email = match.group(1) if match.re is _BRACKETED else match.group(0)
    before = text[:match.start()].rstrip(" (\t")
    name = ""
    close = before[-1:]
    if close and close in _QUOTES:
        opening = max(before.rfind(q, 0, len(before) - 1) for q in _QUOTES[close])
        if opening >= 0:
            name = before[opening + 1:-1]
    else:
        cut = max((before.rfind(w) + len(w) for w in T.ATTRIBUTION_NAME_AFTER
                   if w in before), default=0)
        words = before[cut:].split()
        dated = [k for k, w in enumerate(words) if any(c.isdigit() for c in w)]
        if dated:  # "On Wed, Oct 27, 2021 at 9:31 AM Eva Novak <a@b> wrote:"
            words = words[dated[-1] + 1:]
            while words and words[0].lower() in T.TIME_WORDS:
                words = words[1:]
        name = " ".join(words)
        if T.ATTRIBUTION_START.match(name):
            name = ""
    name = " ".join(name.split()).strip(" ,;:\"'«»„“”")
    return sender_of(f"{name} <{email}>" if name and "@" not in name else email)


def find_block(text: str, start: int = 0) -> Block | None:
    """The first forwarded or quoted-reply block in a body, or None; with ``start``, the
    first one at or after that body line (a block's ``end``: the block it forwards)."""
    raw = text.translate(_INVISIBLE).splitlines()[:MAX_LINES]
    lines = [_clean(line[:MAX_VALUE]) for line in raw]
    top = start == 0
    count = len(lines)
    for i, line in enumerate(lines):
        if not line or i < start:
            continue
        following = lines[i + 1] if i + 1 < count else ""
        last = line[-1]
        if last in _COLONS or following[-1:] in _COLONS:
            said = _attribution(line, following)
            if said:
                quoted = any(r.lstrip().startswith(">") for r in raw[i + 1:i + 4] if r.strip())
                end = i + 1 if said == line else i + 2
                return Block("reply", said[:80], {"from": said}, i, end, top, quoted)
        first = line[0]
        if first in _FRAME_START or last in _COLONS or len(line) <= 64:
            kind, glued = _separator(line)
            if kind:
                block = _separator_block(kind, line, glued, lines, i, top)
                if block is not None:
                    return block
                top = False
                continue
        found = _label(line)
        if found and found[0] == "from":
            fields, end = _header_fields(lines, i)
            if len(fields) >= 3 or (len(fields) >= 2 and sender_of(fields["from"])):
                return Block("ambiguous", line[:80], fields, i, end, top)
        top = False
    return None


def forwarded_chain(text: str, first: Block, is_inner_hop, limit: int = 5) -> list[Block]:
    """The blocks nested inside ``first`` while ``is_inner_hop(block)`` says the block's own
    From forwarded it on (an agent handing a customer's mail to another): the first block,
    then each block found below the previous one's header, innermost last."""
    chain = [first]
    while is_inner_hop(chain[-1]) and len(chain) <= limit and chain[-1].end > chain[-1].start:
        inner = find_block(text, chain[-1].end)
        if inner is None:
            break
        chain.append(inner)
    return chain


def _separator_block(kind: str, line: str, glued: str, lines: list[str], i: int,
                     top: bool) -> Block | None:
    if glued:
        parts = [p.strip() for p in T.GLUED_LABEL.split(glued) if p.strip()]
        fields, end = _header_fields(parts + lines[i + 1:i + 21], 0)
        end = i + 1 + max(0, end - len(parts))
    else:
        fields, end = _header_fields(lines, i + 1)
    if kind == "forward-loose":
        if "from" not in fields:
            return None
        kind = "forward"
    if kind == "forward" or "from" in fields:
        return Block(kind, line[:80], fields, i, end, top)
    return None


def strip_forward_prefixes(subject: str) -> str:
    """The subject without its leading forward prefixes (``FW:``, ``Fwd:``, ``WG:``,
    ``TR:``, ``RV:`` and their kin in every language the tables know); list tags before
    them stay."""
    rest = subject or ""
    tags = ""
    for _ in range(10):
        tag = re.match(r"^\s*\[[^\]:]*\]\s*", rest)
        if tag:
            tags += tag.group(0)
            rest = rest[tag.end():]
        match = T.SUBJECT_PREFIX.match(rest)
        if not match or match.group(1).lower().replace("\u0307", "") not in T.FORWARD_PREFIXES:
            break
        rest = rest[match.end():]
    return (tags + rest).strip() or (subject or "").strip()


@dataclass
class Split:
    """A forwarding mail taken apart: the forwarder's own words and the original."""

    note: str                     # the forwarder's text above the block
    original: str                 # the forwarded message's body
    date: str = ""                # the block's Date/Sent value, as written


def split_forward(text: str) -> Split | None:
    """``text`` cut at its forwarded-message block, or None when it has none.  Only called
    for mail already judged a forward, so a reply-style header line (Outlook 2019 writes
    ``On <date>, "Name" <a@b> wrote:`` above a forwarded message) cuts it too."""
    block = find_block(text)
    if block is None or block.start < 0:
        return None
    lines = text.translate(_INVISIBLE).splitlines()
    note = "\n".join(lines[:block.start]).strip()
    original = "\n".join(lines[block.end:]).strip()
    return Split(note, original, block.fields.get("date", ""))
