"""What one message may cost the worker: limits on its shape, applied in one linear pass
before anything parses it.

Every step after the spool grows with some part of a message: the stdlib parser with its
lines and MIME parts, classification with its addresses, the database with the people it
names, and dkimpy's header parser is quadratic in a field's continuation lines (a
100,000-entry References header took minutes and held every other mail behind it).  So
the worker reads a bounded copy: a header field past :data:`MAX_FIELD_BYTES` or
:data:`MAX_FIELD_LINES` is cut at a line or list boundary, fields past :data:`MAX_FIELDS`
or :data:`MAX_HEADER_BYTES` are dropped, and a body with more MIME parts than
:data:`MAX_MIME_PARTS` is not taken apart (the message is kept whole as an attachment).
Each cut is a sentence in the incoming log.  The spool file keeps the message as received.
Real mail is far inside these limits (Postfix cuts a header at 100 kB and stops at 100
MIME levels).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_FIELD_BYTES = 64 * 1024      # one header field, folded, as received
MAX_FIELD_LINES = 1000           # lines of one folded field (dkimpy: quadratic in these)
MAX_FIELDS = 1000                # header fields read from one message
MAX_HEADER_BYTES = 1024 * 1024   # the whole header section read
MAX_LINES = 500_000              # lines of one message (24 MiB of base64 is 330,000)
MAX_MIME_PARTS = 1000            # MIME delimiter lines of one message
MAX_MIME_BOUNDARIES = 100        # distinct multipart boundaries (nesting and branching)
MAX_ATTACHMENTS = 100            # stored one by one (each an fsync); beyond, the message whole
MAX_TEXT_CHARS = 1_000_000       # text read from one body part (the item shows this much)
MAX_HTML_CHARS = 1_000_000       # HTML read from one body part (turned into text, sanitised)
MAX_DKIM_SIGNATURES = 5          # DKIM-Signature fields verified, topmost first
MAX_ARC_SETS = 50                # RFC 8617 5.1.1: a chain longer than 50 sets fails

_BOUNDARY = re.compile(rb'boundary\s*=\s*"?([^"\s;]{1,200})', re.I)
_CUT_AT = re.compile(rb"[,;\s][^,;\s]*\Z")   # the last list or word boundary


@dataclass
class Bounded:
    """The message as the worker reads it, and why it differs from what was received."""

    raw: bytes
    notes: list[str] = field(default_factory=list)
    body_ok: bool = True             # False: read the header only, keep the body whole
    header_cut: bool = False         # ``raw`` is not the message as received


def _end_of_header(raw: bytes) -> int:
    """Offset just past the header section's last line (0: the message starts with the
    empty line; ``len(raw)``: there is no body)."""
    if raw.startswith((b"\n", b"\r\n")):
        return 0
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    return min(ends) + 1 if ends else len(raw)


def header_section(raw: bytes) -> bytes:
    """The header section of ``raw`` and the empty line that ends it: what checks that
    read only header fields need, without splitting a 25 MiB body into lines."""
    head = raw[:_end_of_header(raw)]
    bare = head.endswith(b"\n") and not head.endswith(b"\r\n")
    return head + (b"\n" if bare else b"\r\n")


def _fields(head: bytes) -> list[list[bytes]]:
    """The header section as fields, each a list of its lines (line endings kept)."""
    fields: list[list[bytes]] = []
    lines = head.split(b"\n")
    last = lines.pop()          # after the final "\n": empty, or an unterminated line
    for line in lines:
        line += b"\n"
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    if last:
        if last[:1] in (b" ", b"\t") and fields:
            fields[-1].append(last)
        else:
            fields.append([last])
    return fields


def _name(lines: list[bytes]) -> str:
    return lines[0].split(b":", 1)[0].strip().decode("ascii", "replace")[:60] or "?"


def _shorten(lines: list[bytes]) -> list[bytes]:
    """The field's first lines within both limits; a single line too long is cut at its
    last list or word boundary, so an address list stays a list of whole addresses."""
    kept: list[bytes] = []
    size = 0
    for line in lines[:MAX_FIELD_LINES]:
        if size + len(line) > MAX_FIELD_BYTES:
            break
        kept.append(line)
        size += len(line)
    if not kept:
        first = lines[0]
        eol = b"\r\n" if first.endswith(b"\r\n") else b"\n"
        head = first[:MAX_FIELD_BYTES - len(eol)]
        m = _CUT_AT.search(head)
        if m and m.start() > head.find(b":"):
            head = head[:m.start()]
        kept = [head.rstrip(b", ;\t\r\n") + eol]
    else:
        last = kept[-1]
        eol = b"\r\n" if last.endswith(b"\r\n") else b"\n"
        kept[-1] = last.rstrip(b", ;\t\r\n") + eol
    return kept


def _bound_header(head: bytes, notes: list[str]) -> bytes:
    """``head`` within the header limits (a note for each cut, and for DKIM signatures
    past those verified)."""
    fields = _fields(head)
    out: list[bytes] = []
    cut: dict[str, list[int]] = {}
    size = dropped = dropped_bytes = signatures = 0
    for lines in fields:
        length = sum(len(x) for x in lines)
        if len(out) >= MAX_FIELDS or size + min(length, MAX_FIELD_BYTES) > MAX_HEADER_BYTES:
            dropped += 1
            dropped_bytes += length
            continue
        if length > MAX_FIELD_BYTES or len(lines) > MAX_FIELD_LINES:
            kept = _shorten(lines)
            counts = cut.setdefault(_name(lines), [0, 0, 0])
            counts[0] += 1
            counts[1] = max(counts[1], length)
            counts[2] = max(counts[2], len(lines))
            lines = kept
        if _name(lines).lower() == "dkim-signature":
            signatures += 1
        piece = b"".join(lines)
        out.append(piece)
        size += len(piece)
    for name, (times, biggest, lines_) in cut.items():
        each = "" if times == 1 else f" ({times} fields)"
        notes.append(f"Header {name}{each} was {biggest:,} bytes in {lines_:,} lines, over the "
                     f"limit of {MAX_FIELD_BYTES:,} bytes or {MAX_FIELD_LINES:,} lines: only "
                     f"its beginning was read.")
    if dropped:
        notes.append(f"The header has {len(fields):,} fields ({len(head):,} bytes): only the "
                     f"first {len(out):,} were read ({MAX_FIELDS:,} fields or "
                     f"{MAX_HEADER_BYTES:,} bytes at most); {dropped:,} fields "
                     f"({dropped_bytes:,} bytes) were not.")
    if signatures > MAX_DKIM_SIGNATURES:
        notes.append(f"{signatures:,} DKIM-Signature fields: only the first "
                     f"{MAX_DKIM_SIGNATURES} are verified.")
    return b"".join(out)


def _mime_parts(raw: bytes) -> tuple[int, int]:
    """(distinct multipart boundaries, delimiter lines) of ``raw``, counted in C-speed
    passes; both stop counting just past their limits."""
    boundaries: set[bytes] = set()
    for m in _BOUNDARY.finditer(raw):
        boundaries.add(m.group(1))
        if len(boundaries) > MAX_MIME_BOUNDARIES:
            return len(boundaries), 0
    delimiters = 0
    for b in boundaries:
        delimiters += raw.count(b"\n--" + b)
        if delimiters > MAX_MIME_PARTS:
            break
    return len(boundaries), delimiters


def bound(raw: bytes) -> Bounded:
    """The message within the limits, with a note for every cut; linear in ``raw``."""
    notes: list[str] = []
    end = _end_of_header(raw)
    head, body = raw[:end], raw[end:]
    cut = False
    if len(head) > MAX_FIELD_BYTES or head.count(b"\n") > MAX_FIELD_LINES or \
            head.lower().count(b"dkim-signature") > MAX_DKIM_SIGNATURES:
        new_head = _bound_header(head, notes)
        cut = new_head != head
        head = new_head
    boundaries, delimiters = _mime_parts(raw)
    lines = body.count(b"\n")
    shape = (f"more than {MAX_MIME_BOUNDARIES} multipart boundaries"
             if boundaries > MAX_MIME_BOUNDARIES
             else f"more than {MAX_MIME_PARTS:,} MIME parts" if delimiters > MAX_MIME_PARTS
             else f"{lines:,} lines, more than {MAX_LINES:,}" if lines > MAX_LINES else "")
    if shape:
        notes.append(f"The message has {shape}: its body was not taken apart; the whole "
                     f"message is kept as an attachment.")
    return Bounded(head + body if cut else raw, notes, not shape, cut)
