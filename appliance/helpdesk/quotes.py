"""The words a message adds, without the history its author's mail client quoted below.

A reply carries the whole conversation again: an attribution line ("On <date>, <name>
wrote:") or a header block, then the earlier mail, often with "> " before each line.  The
relay shows each message once, so a message's quoted part is folded away.  The families of
quote headers, in every language the tables of :mod:`appliance.helpdesk.forwardtables`
know:

- attribution lines: Gmail and Apple Mail ("On Wed, 2 Dec 2026 at 09:59, Ben <b@x> wrote:",
  also wrapped onto two lines), Thunderbird ("Am 02.12.26 um 09:59 schrieb Ben Carter:",
  "On 12/2/26 9:59 AM, Ben Carter wrote:"), French, Spanish, Dutch, Nordic ...;
- header blocks: Outlook ("From: ... Sent: ... To: ... Subject:", "Von: ... Gesendet:"),
  new Outlook and Outlook for Mac ("From: ... Date: ..."), each maybe under a line of
  underscores;
- separators: "-----Original Message-----", "-----Ursprüngliche Nachricht-----";
- "> " quoted lines wherever they stand.

A block that opens the body (a forward with nothing above it) and a forwarded message are
kept: those are the message.  A body that would be left empty is kept whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.helpdesk import forwards

# Thunderbird and its kin write the author's name without an address after the verb:
# "Am 02.12.26 um 09:59 schrieb Ben Carter:", "Le 02/12/2026 à 09:59, Ben a écrit :",
# "El 2/12/26 a las 9:59, Ben escribió:", "Op 2-12-2026 om 09:59 schreef Ben:".
_OPENING = r"(?:on|am|le|el|il|em|op|den|d\.|w dniu|dnia|dne|в)"
_VERBS = (r"(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|escreveu|schreef|skrev"
          r"|kirjoitti|napisał\(a\)|napisał|napisala|napsal\(a\)|napsal|написал\(а\)"
          r"|написал|yazdı|írta|a scris)")
_ATTRIBUTION = re.compile(rf"^{_OPENING}\s.{{0,200}}\d.{{0,200}}\s{_VERBS}(?:\s.{{0,120}})?"
                          r"\s*[:：]\s*$", re.I)
_QUOTED = re.compile(r"^\s*>")
SUMMARY_WORDS = 12


@dataclass(frozen=True)
class Folded:
    text: str        # the message's own words
    folded: int      # lines of quoted text folded away


def _cut(lines: list[str]) -> int:
    """The first line of the quoted history (``len(lines)`` when there is none)."""
    body = "\n".join(lines)
    block = forwards.find_block(body)
    cut = len(lines)
    if block is not None and block.kind != "forward" and block.start > 0 and \
            any(line.strip() for line in lines[:block.start]):
        cut = block.start
    for i, line in enumerate(lines[:cut]):
        if len(line) < 400 and _ATTRIBUTION.match(line.strip()):
            return i
    return cut


def fold(body: str) -> Folded:
    """``body`` without its quoted history: from the first quote header on, and every
    "> " line.  Kept whole when nothing of its own would be left."""
    lines = (body or "").replace("\r\n", "\n").split("\n")
    cut = _cut(lines)
    own = [line for line in lines[:cut] if not _QUOTED.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(own)).strip()
    if not text:
        return Folded((body or "").strip(), 0)
    return Folded(text, len(lines) - len(own))


def summary(text: str, words: int = SUMMARY_WORDS) -> str:
    """The first ``words`` words of ``text`` (a message's own, :func:`fold`), one line."""
    found = text.split()
    return " ".join(found[:words]) + (" …" if len(found) > words else "")
