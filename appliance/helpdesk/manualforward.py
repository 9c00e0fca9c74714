"""The manual-forward rules and how their hits add up to a verdict.

Rules: a forward prefix in the subject, a forwarded-message block in a body, an attached
message.  Vetoes: a reply prefix first in the subject, or a reply's attribution line before
any forwarded block.  Outlook's header block (after "-----Original Message-----" or a line of
underscores) is written for replies and forwards alike, so it counts only with a forward
prefix, when it opens the body as a whole header block, or when the forwarding server itself
rewrote From.  Outlook 2019 writes a reply's "On <date>, "Name" <a@b> wrote:" line above a
forwarded message: with a forward prefix (or alone at the top of a body that quotes nothing
with "> " and answers no earlier message) it is the forward's header.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from appliance.addresses import Person, parse_people, parse_person
from appliance.helpdesk.forwards import Block, find_block, forwarded_chain, subject_prefixes
from appliance.helpdesk.rules import Facts, Hit, Rule


def _prefix(f: Facts) -> Hit | None:
    prefixes = subject_prefixes(f.subject)
    if not prefixes:
        return None
    kind, text = prefixes[0]
    if kind == "forward":
        return Hit("", f"The subject starts with the forward prefix \"{text}\".",
                   extra={"family": "forward"})
    return Hit("", f"The subject starts with the reply prefix \"{text}\": a reply, not a "
                   "forward.", extra={"family": "reply"})


def _block(f: Facts) -> Hit | None:
    for text in f.texts:
        block = find_block(text)
        if block is None:
            continue
        hit = _block_hit(f, block)
        inner = _inner_original(f, text, block)
        if inner is None:
            return hit
        # An agent's forward (or reply) carrying the customer's message further down: the
        # innermost block that is not an agent's names the original sender.
        found = replace(block, fields={**block.fields, "cc": inner.fields.get("cc", "")})
        chain = (f"That From line is an agent's ({block.sender.email}), who had passed the "
                 f"message on; the message inside it (\"{inner.marker}\") comes from "
                 f"{inner.sender.email}, the original sender.")
        return Hit(hit.rule, f"{hit.reason} {chain}", inner.sender,
                   {**hit.extra, "block": found, "chain": chain})
    return None


def _inner_original(f: Facts, text: str, block: Block) -> Block | None:
    """The innermost forwarded or quoted block below ``block`` whose From is not an agent,
    when an agent forwards with agent forwarding on and ``block``'s own From is an agent too
    (one agent handed the customer's mail to another); else None."""
    agents = {a.lower() for a in f.ctx.agents}
    if not (f.ctx.agent_forwarding and f.sender and f.sender.email.lower() in agents):
        return None

    def agents_hop(b: Block) -> bool:
        sender = b.sender
        return bool(sender and sender.email.lower() in agents)

    if not agents_hop(block):
        return None
    chain = forwarded_chain(text, block, agents_hop)
    return next((b for b in reversed(chain[1:]) if b.sender and not agents_hop(b)), None)


def _block_hit(f: Facts, block: Block) -> Hit:
    sender = block.sender
    if block.kind == "reply":
        # Outlook 2019 and Outlook for Mac write a reply's line above a forwarded
        # message too; judge() decides with the subject and the shape of the body.
        return Hit("", f"The body quotes an earlier message the way replies do "
                       f"(\"{block.marker}\").", sender,
                   {"family": "reply", "block": block,
                    "in_reply_to": f.has("In-Reply-To") or f.has("References")})
    who = (f"; its From line names {sender.email}" if sender else
           "; its From line names no address" if "from" in block.fields else "")
    if block.kind == "forward":
        return Hit("", f"The body holds a forwarded-message block (\"{block.marker}\")"
                       f"{who}.", sender, {"family": "forward", "block": block})
    return Hit("", f"The body quotes a header block (\"{block.marker}\"){who}; mail "
                   "clients write it for replies and forwards alike.", sender,
               {"family": "ambiguous", "block": block})


def _attached(f: Facts) -> Hit | None:
    for inner in f.attached:
        sender = parse_person(str(inner.get("From") or ""))
        who = f" from {sender.email}" if sender else ""
        cc = parse_people(str(inner.get("Cc") or ""))
        return Hit("", f"A message{who} is attached (message/rfc822): forwarded as an "
                       "attachment.", sender, {"family": "forward", "cc": cc})
    return None


RULES = (
    Rule("forward-subject-prefix", _prefix),
    Rule("forwarded-block", _block),
    Rule("attached-message", _attached),
)


@dataclass
class Verdict:
    """Whether the message is a manual forward, and whom it forwards."""

    is_forward: bool = False
    original: Person | None = None
    original_cc: list[Person] = field(default_factory=list)
    block_sender: Person | None = None   # the first block's From, even when not a forward
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


def judge(hits: list[Hit]) -> Verdict:
    """Combine the hits: a reply prefix vetoes; an ambiguous block needs a forward prefix or
    must open the body with a whole header block; a reply-style line counts as a forward's
    header only with a forward prefix, or alone at the top of a body that replies nothing."""
    verdict = Verdict()
    by_rule = {h.rule: h for h in hits}
    prefix = by_rule.get("forward-subject-prefix")
    block = by_rule.get("forwarded-block")
    attached = by_rule.get("attached-message")
    families = {h.rule: h.extra.get("family") for h in hits}
    found = block.extra.get("block") if block else None
    if isinstance(found, Block) and found.kind != "reply":
        verdict.block_sender = block.person
    if prefix and families[prefix.rule] == "reply":
        verdict.reasons.append(prefix.reason)
        verdict.rules.append(prefix.rule)
        return verdict
    if block and isinstance(found, Block):
        block = _as_forward(block, found, prefix) or block
        families[block.rule] = block.extra.get("family")
    counted = [h for h in (prefix, block, attached) if h is not None and (
        families[h.rule] == "forward"
        or (families[h.rule] == "ambiguous" and prefix is not None))]
    if block and families[block.rule] != "forward" and block not in counted:
        verdict.reasons.append(block.reason)
    if not counted:
        return verdict
    verdict.is_forward = True
    for hit in counted:
        verdict.reasons.append(hit.reason)
        verdict.rules.append(hit.rule)
    source = next((h for h in counted if h.person is not None and h is not prefix), None)
    if source is not None:
        verdict.original = source.person
        found = source.extra.get("block")
        verdict.original_cc = found.cc if isinstance(found, Block) else source.extra.get("cc", [])
    return verdict


def _as_forward(hit: Hit, block: Block, prefix: Hit | None) -> Hit | None:
    """The block hit restated as a forward's header when the shape of the body says so."""
    forward_prefix = prefix is not None and prefix.extra.get("family") == "forward"
    named = block.sender  # the line's own From (an agent's, when the hit's is further down)
    who = f" names {named.email}" if named else " names no address"
    chain = f" {hit.extra['chain']}" if "chain" in hit.extra else ""
    if block.kind == "reply":
        if forward_prefix:
            why = "the subject's forward prefix makes it the forwarded message's header"
        elif block.at_top and not block.quoted and not hit.extra.get("in_reply_to"):
            why = ("it opens the body, nothing is quoted with \"> \" and the mail answers no "
                   "earlier message (no In-Reply-To), as Outlook writes a forward")
        else:
            return None
        return Hit(hit.rule, f"The body starts the forwarded message with a reply-style line "
                             f"(\"{block.marker}\") that{who}: {why}.{chain}", hit.person,
                   {"family": "forward", "block": block})
    if block.kind == "ambiguous" and not forward_prefix and block.at_top and block.complete \
            and hit.person is not None:
        return Hit(hit.rule, f"The body opens with a whole forwarded header block (From, "
                             f"date, Subject; \"{block.marker}\") whose From line{who}: "
                             f"nothing above it, so it is forwarded, not quoted in a reply."
                             f"{chain}", hit.person, {"family": "forward", "block": block})
    return None
