"""Manual forwards: a person pressed "Forward" in a mail client.

The evidence is a localized forward prefix in the subject, a forwarded-message block in the
body, or an attached message/rfc822.  The original sender is read from the first forwarded
block's own From line, never from the first address found somewhere in the body.  A reply
that quotes an earlier message is not a forward, even though Outlook writes the same header
block for both: there the subject and the attribution line decide.
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
_FRAME = " \t-–—_=*>~:："
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

    @property
    def sender(self) -> Person | None:
        return sender_of(self.fields.get("from", ""))

    @property
    def cc(self) -> list[Person]:
        return parse_people(_MAILTO.sub("", self.fields.get("cc", "")).replace(";", ","))


def subject_prefixes(subject: str) -> list[tuple[str, str]]:
    """Leading prefixes as (kind, text): kind is "forward", "reply" or "other"."""
    found: list[tuple[str, str]] = []
    rest = subject or ""
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
        name = re.sub(r"[<>\[\]()\"'“”]", " ", _ADDRESS.sub(" ", clean))
    name = " ".join(name.split()).strip(" ,;:\"'*")  # *Name* is bold in plain text
    if "@" in name:
        name = ""
    return Person(email, name or None)


def _clean(line: str) -> str:
    return _QUOTE.sub("", line).strip()


def _separator(line: str) -> str:
    """ "forward", "ambiguous" or "" for one cleaned body line."""
    if T.UNDERSCORE_LINE.match(line):
        return "ambiguous"
    words = " ".join(line.strip(_FRAME).lower().replace("\u0307", "").split())
    framed = bool(re.match(r"^[-–—_=*]{2,}.*[-–—_=*]{2,}$", line))
    if not words or len(words) > 60:
        return ""
    if words in T.FORWARD_SEPARATORS:
        return "forward"
    if words in T.ORIGINAL_SEPARATORS:
        return "ambiguous"
    if framed and any(stem in words for stem in T.FORWARD_STEMS):
        return "forward"
    if framed and any(stem in words for stem in ("original", "origin", "ursprüng", "исходн")):
        return "ambiguous"
    if line.endswith((":", "：")) and any(stem in words for stem in T.FORWARD_STEMS):
        return "forward-loose"
    return ""


def _header_fields(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """Read a header block beginning at or shortly after ``start``: labels -> values."""
    fields: dict[str, str] = {}
    last = ""
    i, skipped = start, 0
    while i < len(lines) and i < start + 20:
        line = lines[i]
        match = T.HEADER_LINE.match(line)
        if match:
            last, skipped = T.LABEL_FIELD.get(match.group(1).lower(), ""), 0
            if last and last not in fields:
                fields[last] = match.group(2).strip()
            elif last:
                last = ""
        elif not line:
            if fields and skipped > 1:
                break
            skipped += 1
        elif fields and last and _continues(fields[last], line, last):
            fields[last] = f"{fields[last]} {line}"
        else:
            break
        i += 1
    return fields, i


def _continues(value: str, line: str, name: str) -> bool:
    """Whether a line carries on a wrapped header value (long names, address lists)."""
    if value.endswith((",", ";")) or value.count("<") > value.count(">"):
        return True
    return name == "from" and "@" not in value and "@" in line and len(line) < 120


def _attribution(line: str, following: str) -> bool:
    """A reply's "On <date>, <name> wrote:" line, possibly wrapped onto the next line."""
    if len(line) > 300 or T.HEADER_LINE.match(line):
        return False
    for text in (line, f"{line} {following}"):
        looks = bool(re.search(r"\d|@", text)) or bool(T.ATTRIBUTION_START.match(text))
        if looks and T.REPLY_ATTRIBUTION.search(text):
            return True
        if re.search(r"\d", text) and re.search(r"@[^\s>]+>\s*[:：]\s*$", text):
            return True  # Gmail in Japanese and Chinese: "2026年11月18日 ... <a@b>:"
        if following and T.HEADER_LINE.match(following):
            break
    return False


def find_block(text: str) -> Block | None:
    """The first forwarded or quoted-reply block in a body, or None."""
    lines = [_clean(line[:MAX_VALUE]) for line in text.splitlines()[:MAX_LINES]]
    for i, line in enumerate(lines):
        if not line:
            continue
        if _attribution(line, lines[i + 1] if i + 1 < len(lines) else ""):
            return Block("reply", line[:80])
        kind = _separator(line)
        if kind:
            fields, end = _header_fields(lines, i + 1)
            if kind == "forward-loose":
                if "from" not in fields:
                    continue
                kind = "forward"
            if kind == "forward" or "from" in fields:
                return Block(kind, line[:80], fields, i, end)
            continue
        match = T.HEADER_LINE.match(line)
        if match and T.LABEL_FIELD.get(match.group(1).lower()) == "from":
            fields, end = _header_fields(lines, i)
            if len(fields) >= 3 or (len(fields) >= 2 and sender_of(fields["from"])):
                return Block("ambiguous", line[:80], fields, i, end)
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
    """``text`` cut at its forwarded-message block, or None when it has none."""
    block = find_block(text)
    if block is None or block.kind == "reply" or block.start < 0:
        return None
    lines = text.splitlines()
    note = "\n".join(lines[:block.start]).strip()
    original = "\n".join(lines[block.end:]).strip()
    return Split(note, original, block.fields.get("date", ""))
