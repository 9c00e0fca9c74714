"""Classification of one incoming message: pure, no I/O.

Message bytes + envelope + context in, a :class:`Decision` out.  The intake step stores the
decision with the message and the incoming log shows it; ``appliance classify`` prints it.
The evidence is gathered by tables of small named rules (``automated``, ``autoforward``,
``manualforward``); this module only weighs their hits and says why in ``reasons``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from appliance.addresses import Person, domain_of, normalize, parse_person
from appliance.helpdesk import (automated, autoforward, forwardconfirm, listmail,
                                manualforward)
from appliance.helpdesk.mailparse import parse
from appliance.helpdesk.requester import (REPLY_TO, Exclusions, choose_followers,
                                          choose_requester)
from appliance.helpdesk.rules import Facts, Hit, run


@dataclass(frozen=True)
class Envelope:
    mail_from: str = ""          # "<>" is the null reverse path; "" means "not known"
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
        return e in {a.lower() for a in self.capture_addresses | self.own_addresses}


@dataclass
class Decision:
    kind: str = "direct"
    requester: Person | None = None
    forwarder: Person | None = None
    original_sender: Person | None = None
    automated: str | None = None
    followers: list[Person] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)           # names of the rules that hit
    company_mailbox: str | None = None                       # configured or inferred
    bounced_message_ids: list[str] = field(default_factory=list)
    bounced_recipients: list[str] = field(default_factory=list)
    agent_forward: bool = False     # an agent forwarded it for the original sender
    # a provider asks to confirm a forwarding (helpdesk/forwardconfirm.py): not an item
    forwarding_confirmation: dict | None = None

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
            "rules": list(self.rules),
            "company_mailbox": self.company_mailbox,
            "bounced_message_ids": list(self.bounced_message_ids),
            "bounced_recipients": list(self.bounced_recipients),
            "forwarding_confirmation": self.forwarding_confirmation,
        }


def context_from_args(rcpts: list[str], agents: list[str], agent_forwarding: bool,
                      domain: str | None = None) -> Context:
    """The context of ``appliance classify`` without a config: the --rcpt addresses are the
    capture addresses, their domain is the box's, and support@ that domain (the default
    outbound.from_address) is the box's own address."""
    capture = frozenset(a.lower() for a in map(normalize, rcpts) if a)
    box_domain = (domain or next((domain_of(a) for a in sorted(capture)), "")).lower()
    own = frozenset({f"support@{box_domain}"}) if box_domain else frozenset()
    return Context(domain=box_domain, capture_addresses=capture, own_addresses=own - capture,
                   agents=frozenset(a.lower() for a in map(normalize, agents) if a),
                   agent_forwarding=agent_forwarding)


def classify(mail: bytes | Message, envelope: Envelope, ctx: Context) -> Decision:
    """Judge one message; never raises, whatever the bytes.  ``mail``: the bytes, or the
    message intake already parsed with :func:`mailparse.parse` (one parse per message)."""
    try:
        return _classify(mail if isinstance(mail, Message) else parse(bytes(mail)), envelope,
                         ctx)
    except Exception as exc:  # the last guard: intake must always get a decision
        return Decision(reasons=[f"The message could not be classified ({type(exc).__name__}):"
                                 " it is treated as direct mail without a requester."])


def _classify(msg: Message, envelope: Envelope, ctx: Context) -> Decision:
    f = Facts(msg, envelope, ctx)
    d = Decision()
    notes: list[str] = []
    auto = run(automated.RULES, f, notes)
    # A bounce or complaint report comes from the reporting system: never a forward, even
    # when it carries the returned message (message/rfc822) or its headers.
    report = automated.family_of(auto) == "bounce"
    forwarded = [] if report else run(autoforward.RULES, f, notes)
    manual = manualforward.judge([] if report else run(manualforward.RULES, f, notes))
    company = _company(f, forwarded, manual, d)
    _kind(f, d, forwarded, manual, company, report)
    ex = Exclusions(f.capture | {a.lower() for a in ctx.own_addresses}, frozenset(company),
                    tuple(ctx.blocklist))
    extra = _requester(f, d, manual, ex, forwarded, report)
    d.agent_forward = _agent_forward(f, d)
    d.followers = choose_followers(d.requester, extra, f.to_cc, ex, d.reasons)
    _automated(f, d, auto, notes)
    _confirmation(f, d, notes)
    d.reasons.extend(notes)
    return d


def _agent_forward(f: Facts, d: Decision) -> bool:
    """An agent forwarded the mail by hand and it is filed for the original sender."""
    agents = {a.lower() for a in f.ctx.agents}
    return bool(d.kind == "manual_forward" and f.ctx.agent_forwarding and d.forwarder
                and d.forwarder.email.lower() in agents and d.requester
                and d.original_sender
                and d.requester.email.lower() == d.original_sender.email.lower())


def _confirmation(f: Facts, d: Decision, notes: list[str]) -> None:
    try:
        found = forwardconfirm.gmail(f)
    except Exception as exc:
        notes.append(f"Rule gmail-forwarding-confirmation was skipped: the message is "
                     f"malformed ({type(exc).__name__}).")
        return
    if found:
        d.rules.append("gmail-forwarding-confirmation")
        d.reasons.append(found.pop("reason"))
        d.forwarding_confirmation = found


def _company(f: Facts, forwarded: list[Hit], manual, d: Decision) -> set[str]:
    """The company's support mailbox: configured, else inferred from forwarding evidence."""
    if f.ctx.company_addresses:
        company = {a.lower() for a in f.ctx.company_addresses}
        d.company_mailbox = sorted(company)[0]
        return company
    sender = f.sender.email.lower() if f.sender else ""
    hit = next((h for h in forwarded if h.person and not f.is_box(h.person.email)
                and h.person.email.lower() != sender), None)
    if hit is None and f.sender and manual.block_sender and any(
            h.rule == "exchange-autoforward" for h in forwarded):
        hit = Hit("exchange-autoforward", "", f.sender)  # Exchange rules rewrite From
    if hit is None:
        return set()
    d.company_mailbox = hit.person.email
    d.reasons.append(f"No company mailbox is configured: {hit.person.email} is taken to be "
                     f"it, from the forwarding evidence ({hit.rule}).")
    return {hit.person.email.lower()}


def _kind(f: Facts, d: Decision, forwarded: list[Hit], manual, company: set[str],
          report: bool = False) -> None:
    sender = f.sender
    d.rules += [h.rule for h in forwarded]
    if report:
        d.reasons.append("Direct mail from the reporting mail system: a bounce or complaint "
                         "report is never read as a forward, even with the returned message "
                         "attached.")
    elif sender and sender.email.lower() in company and manual.block_sender:
        d.kind, d.forwarder, d.original_sender = "auto_forward", sender, manual.block_sender
        d.reasons.append(f"From is the company mailbox {sender.email} and the body holds the "
                         "forwarded message: the forwarding server rewrote From, so the "
                         f"original sender is {manual.block_sender.email} from the forwarded "
                         "block.")
        d.reasons += [h.reason for h in forwarded]
    elif manual.is_forward:
        d.kind, d.forwarder, d.original_sender = "manual_forward", sender, manual.original
        d.rules += manual.rules
        who = sender.email if sender else "someone without a From address"
        d.reasons.append(f"Forwarded by hand by {who}.")
        d.reasons += manual.reasons
        if forwarded:
            d.reasons.append("It also reached the box through a forwarding server ("
                             + ", ".join(h.rule for h in forwarded) + "), which does not "
                             "change who forwarded it by hand.")
    elif forwarded:
        d.kind, d.original_sender = "auto_forward", sender
        d.forwarder = Person(sorted(company)[0]) if company else None
        d.reasons.append("Auto-forwarded by a server: the requester is the original sender.")
        d.reasons += [h.reason for h in forwarded]
        d.reasons += manual.reasons
    else:
        d.reasons.append("Direct mail: no forwarding evidence.")
        d.reasons += manual.reasons


def _requester(f: Facts, d: Decision, manual, ex: Exclusions,
               forwarded: list[Hit], report: bool = False) -> list[Person]:
    """Pick the requester; return the extra followers agent forwarding brings.  A bounce's
    requester is its own sender: the Reply-To and Sender it carries are the returned
    message's (Notes copies them) or a relaying list's, never the mail system's."""
    headers = [(parse_person(f.header("Reply-To")), REPLY_TO),
               (parse_person(f.header("Sender")), "from Sender")]
    extra: list[Person] = []
    if d.kind == "auto_forward":
        srs = next((h.extra["original"] for h in forwarded if "original" in h.extra), None)
        candidates = [(d.original_sender, "the original sender of the auto-forwarded mail")]
        candidates += headers + [(srs, "the sender behind the SRS address")]
    elif d.kind == "manual_forward":
        forwarder = d.forwarder
        is_agent = bool(forwarder and forwarder.email.lower() in
                        {a.lower() for a in f.ctx.agents})
        if f.ctx.agent_forwarding and is_agent and d.original_sender is None:
            d.reasons.append(f"Agent forwarding is on and {forwarder.email} is an agent, but "
                             "no original sender could be read from the forwarded message "
                             "(no From line with an address): the agent is the requester.")
            candidates = [(forwarder, "the agent who forwarded it")]
            extra = list(manual.original_cc)
        elif f.ctx.agent_forwarding and is_agent:
            d.reasons.append(f"Agent forwarding is on and {forwarder.email} is an agent: the "
                             "original sender is the requester, the agent follows.")
            candidates = [(d.original_sender, "the original sender of the forwarded mail"),
                          (forwarder, "the agent who forwarded it")]
            extra = [forwarder] + manual.original_cc
        else:
            if forwarder and is_agent:
                d.reasons.append("Agent forwarding is off: the forwarding agent is the "
                                 "requester.")
            candidates = [(forwarder, "who forwarded the mail by hand"),
                          (d.original_sender, "the original sender of the forwarded mail")]
    elif report:
        envelope = normalize(f.mail_from) if f.mail_from != "<>" else ""
        candidates = [(f.sender, "the mail system that sent the report")]
        if f.sender is None and envelope:
            candidates.append((Person(envelope), "the envelope sender (no From)"))
    else:
        envelope = normalize(f.mail_from) if f.mail_from != "<>" else ""
        candidates = listmail.requester_candidates(f, [(f.sender, "the sender")] + headers,
                                                   d.reasons)
        if f.sender is None and envelope:  # a bounce address otherwise; only without From
            candidates.append((Person(envelope), "the envelope sender (no From)"))
    d.requester = choose_requester(candidates, ex, d.reasons)
    return extra


def _automated(f: Facts, d: Decision, hits: list[Hit], notes: list[str]) -> None:
    d.automated = automated.family_of(hits)
    d.rules += [h.rule for h in hits]
    if not hits:
        return
    d.reasons += [h.reason for h in hits]
    d.reasons.append(f"Automated mail ({d.automated}): it never triggers mail from the box.")
    if d.automated == "bounce":
        try:
            d.bounced_message_ids, d.bounced_recipients = automated.bounced_original(f.msg)
        except Exception:
            notes.append("The bounced message could not be read from the report.")
        if d.bounced_message_ids:
            d.reasons.append("The bounce reports on " + ", ".join(d.bounced_message_ids) + ".")
