"""The rule table machinery: facts about one message, named rules, and their recorded hits.

As in Mailman's chain of rules, each rule is a small named check that looks at the facts and
either says nothing or returns a hit with a sentence naming its evidence.  The reasons of a
decision are these sentences, so the incoming log can show why mail was judged as it was.
A rule that trips over broken mail is skipped and the skip is recorded: it never raises.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from functools import cached_property
from typing import Callable, Iterable

from appliance.addresses import Person, decode_words, normalize, parse_people, parse_person
from appliance.helpdesk.bodytext import attached_messages, body_texts


@dataclass
class Hit:
    """One rule that fired: its name, the sentence for the log, and what it found."""

    rule: str
    reason: str
    person: Person | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[["Facts"], "Hit | str | None"]
    family: str = ""


class Facts:
    """What the rules look at, computed once per message and only when a rule asks."""

    def __init__(self, msg: Message, envelope, ctx) -> None:
        self.msg = msg
        self.envelope = envelope
        self.ctx = ctx

    def header(self, name: str) -> str:
        """The first value of a header, decoded, whitespace folded; empty when absent."""
        values = self.headers(name)
        return values[0] if values else ""

    def headers(self, name: str) -> list[str]:
        try:
            raw = self.msg.get_all(name) or []
        except Exception:
            return []
        return [" ".join(decode_words(_text(v)).split()) for v in raw]

    def has(self, name: str) -> bool:
        try:
            return name in self.msg
        except Exception:
            return False

    @cached_property
    def subject(self) -> str:
        return self.header("Subject")

    @cached_property
    def sender(self) -> Person | None:
        return parse_person(self.header("From"))

    @cached_property
    def to_cc(self) -> list[Person]:
        return parse_people(*self.headers("To"), *self.headers("Cc"))

    @cached_property
    def mail_from(self) -> str:
        """The envelope sender as given; ``<>`` stays ``<>`` (the null reverse path)."""
        value = (self.envelope.mail_from or "").strip()
        return "<>" if value == "<>" else normalize(value)

    @cached_property
    def capture(self) -> frozenset[str]:
        """Capture addresses: configured ones and the RCPT TO of this very message."""
        rcpts = {normalize(r).lower() for r in self.envelope.rcpt_tos or ()}
        return frozenset({a.lower() for a in self.ctx.capture_addresses} | rcpts) - {""}

    def is_box(self, email: str) -> bool:
        email = email.lower()
        return email in self.capture or self.ctx.is_box_address(email)

    @cached_property
    def texts(self) -> list[str]:
        return body_texts(self.msg)

    @cached_property
    def attached(self) -> list[Message]:
        return attached_messages(self.msg)

    @cached_property
    def content_type(self) -> str:
        try:
            return self.msg.get_content_type()
        except Exception:
            return "text/plain"

    @cached_property
    def report_type(self) -> str:
        """The report-type of a ``multipart/report`` (delivery-status, feedback-report,
        disposition-notification), lower case; "" for any other message."""
        if self.content_type != "multipart/report":
            return ""
        try:
            value = self.msg.get_param("report-type")
        except Exception:
            return ""
        return value.lower() if isinstance(value, str) else ""

    def parts(self) -> Iterable[Message]:
        try:
            yield from self.msg.walk()
        except Exception:
            return


def _text(value) -> str:
    """A header value as text.  Raw 8-bit bytes (RFC 6532 UTF-8, or a careless client's
    charset) come as a Header of unknown-8bit chunks: read UTF-8, else Latin-1."""
    if not isinstance(value, Header):
        return str(value)
    try:
        chunks = decode_header(value)
    except Exception:
        return str(value)
    out = []
    for data, charset in chunks:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                data = data.decode("latin-1")
        out.append(data)
    return "".join(out)


def run(rules: Iterable[Rule], facts: Facts, notes: list[str]) -> list[Hit]:
    """Every hit of ``rules`` in table order; a rule that fails adds a note, never raises."""
    hits: list[Hit] = []
    for rule in rules:
        try:
            result = rule.check(facts)
        except Exception as exc:  # broken mail must not stop classification
            notes.append(f"Rule {rule.name} was skipped: the message is malformed "
                         f"({type(exc).__name__}).")
            continue
        if isinstance(result, str):
            result = Hit(rule.name, result)
        if result is not None:
            result.rule = rule.name
            if rule.family:
                result.extra.setdefault("family", rule.family)
            hits.append(result)
    return hits
