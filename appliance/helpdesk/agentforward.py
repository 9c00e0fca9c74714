"""An agent's forward taken apart: the agent's words are staff-only, the original is the
customer's.

With agent forwarding on, an agent who forwards a customer's mail files it for the customer.
What the agent wrote above the forwarded block ("Customer called, he is upset, please
handle.") is an internal note by that agent; the item's first public message is the
original message: its body, its attachments, its date.  The HTML part of the forwarding
mail holds the agent's words too, so the public message keeps only the original's text
(or, forwarded as an attachment, the attached message's own parts).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from appliance import clock
from appliance.helpdesk.forwards import split_forward, strip_forward_prefixes
from appliance.helpdesk.mailparse import Parsed, Part, header, parse_message

# How clients write the Date/Sent line of a forwarded block when it is not RFC 5322.
_DATE_FORMATS = ("%A, %B %d, %Y %I:%M %p", "%A, %B %d, %Y %I:%M:%S %p",
                 "%a, %b %d, %Y at %I:%M %p", "%a, %b %d, %Y, %I:%M %p",
                 "%d %B %Y at %H:%M", "%A, %d %B %Y %H:%M", "%d %B %Y %H:%M",
                 "%B %d, %Y at %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                 "%d.%m.%Y %H:%M")


@dataclass
class AgentForward:
    title: str
    note: str                                  # internal, by the agent ("" when none)
    note_attachments: list[Part] = field(default_factory=list)
    text: str = ""                             # the original message, public
    html: str | None = None
    attachments: list[Part] = field(default_factory=list)
    sent_at: datetime | None = None            # the original's date, when it can be read
    how: str = ""                              # for the reasons


def when(value: str) -> datetime | None:
    """A forwarded block's date as UTC, or None; a date without a zone is read as UTC."""
    value = " ".join((value or "").replace("\u202f", " ").split())
    if not value:
        return None
    found = None
    for fmt in _DATE_FORMATS:    # first: RFC 5322's parser reads "4:15 PM" as 04:15
        try:
            found = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if found is None:
        try:
            found = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if found is None:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=timezone.utc)
    found = found.astimezone(timezone.utc)
    return found if found <= clock.now() else None


def take_apart(parsed: Parsed) -> AgentForward | None:
    """The agent's forward in ``parsed`` as note and original, or None when neither a
    forwarded block nor an attached message can be found."""
    title = strip_forward_prefixes(parsed.subject)
    split = split_forward(parsed.text)
    if split is not None and split.original:
        return AgentForward(title, split.note, [], split.original, None,
                            parsed.attachments, when(split.date),
                            "the forwarded block in the body")
    attached = next((p for p in parsed.attachments if p.content_type == "message/rfc822"),
                    None)
    if attached is None:
        return None
    inner = parse_message(attached.data)
    others = [p for p in parsed.attachments if p is not attached]
    return AgentForward(title, parsed.text, others, inner.text, inner.html,
                        inner.attachments, when(header(inner.message, "Date")),
                        "the attached message")
