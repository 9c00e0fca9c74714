"""Classification of one incoming message: pure, no I/O.

Message bytes + envelope + context in, a :class:`Decision` out.  The intake step stores the
decision with the message and the incoming log shows it; ``appliance classify`` prints it.
(Minimal version: every message is direct; issue 3 adds forwards and automated mail.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

from appliance.addresses import Person, matches, parse_people, parse_person


@dataclass(frozen=True)
class Envelope:
    mail_from: str = ""
    rcpt_tos: tuple[str, ...] = ()
    peer: str | None = None
    helo: str | None = None


@dataclass(frozen=True)
class Context:
    """What the box knows when it judges a message."""

    domain: str = ""
    capture_addresses: frozenset[str] = frozenset()
    own_addresses: frozenset[str] = frozenset()      # the box's other addresses (from_address)
    company_addresses: frozenset[str] = frozenset()  # the company's support mailbox(es)
    agents: frozenset[str] = frozenset()
    blocklist: tuple[str, ...] = ()
    agent_forwarding: bool = False

    def is_box_address(self, email: str) -> bool:
        e = email.lower()
        return e in self.capture_addresses or e in self.own_addresses


@dataclass
class Decision:
    kind: str = "direct"
    requester: Person | None = None
    forwarder: Person | None = None
    original_sender: Person | None = None
    automated: str | None = None
    followers: list[Person] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        def p(x: Person | None) -> dict | None:
            return x.to_json() if x else None
        return {
            "kind": self.kind,
            "requester": p(self.requester),
            "forwarder": p(self.forwarder),
            "original_sender": p(self.original_sender),
            "automated": self.automated,
            "followers": [f.to_json() for f in self.followers],
            "reasons": list(self.reasons),
        }


def parse(raw: bytes):
    """Parse bytes leniently: broken input gives defects, never an exception."""
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def classify(raw: bytes, envelope: Envelope, ctx: Context) -> Decision:
    msg = parse(raw)
    sender = parse_person(msg.get("From")) or parse_person(envelope.mail_from)
    decision = Decision()
    if sender and not ctx.is_box_address(sender.email) and not matches(sender.email,
                                                                         ctx.blocklist):
        decision.requester = sender
        decision.reasons.append(f"Direct mail: the requester is the sender {sender.email}.")
    else:
        decision.reasons.append("No usable sender address: the item has no requester.")
    followers = [decision.requester] if decision.requester else []
    for person in parse_people(msg.get("To"), msg.get("Cc")):
        if ctx.is_box_address(person.email) or matches(person.email, ctx.blocklist):
            continue
        if all(person.email.lower() != f.email.lower() for f in followers):
            followers.append(person)
    decision.followers = followers
    return decision
