"""Who the item is for (the requester) and who hears about it (the followers).

Candidates come in order of preference from the kind of message; a candidate that is
blocklisted, one of the box's own addresses or the company's support mailbox is skipped with
a reason, and the next one is tried.  A no-reply candidate (a contact form's
``noreply@shop.example``) gives way to the person its Reply-To names.  When none is left
the item has no requester and no auto-reply is sent.
"""
from __future__ import annotations

from appliance.addresses import Person, is_noreply, matches

REPLY_TO = "from Reply-To"   # the role of the Reply-To candidate (helpdesk/classify.py)


class Exclusions:
    """The addresses that can be neither requester nor follower, and why."""

    def __init__(self, box: frozenset[str], company: frozenset[str],
                 blocklist: tuple[str, ...]) -> None:
        self.box = box
        self.company = company
        self.blocklist = blocklist

    def why_not_requester(self, email: str) -> str | None:
        e = email.lower()
        if e in self.box:
            return "it is one of the box's own addresses"
        if e in self.company:
            return "it is the company's support mailbox"
        if matches(e, self.blocklist):
            return "it is blocklisted"
        return None

    def why_not_follower(self, email: str) -> str | None:
        reason = self.why_not_requester(email)
        if reason:
            return reason
        if is_noreply(email):
            return "it is a mailer-daemon, postmaster or no-reply address"
        return None


def choose_requester(candidates: list[tuple[Person | None, str]], ex: Exclusions,
                     reasons: list[str]) -> Person | None:
    """The first usable candidate; each skipped one is explained in ``reasons``."""
    seen: set[str] = set()
    for person, role in candidates:
        if person is None or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        why = ex.why_not_requester(person.email)
        if why:
            reasons.append(f"{person.email} ({role}) cannot be the requester: {why}.")
            continue
        if is_noreply(person.email) and _person_in_reply_to(candidates, ex):
            reasons.append(f"{person.email} ({role}) is a no-reply address, as contact forms "
                           "and web shops send from: the person in Reply-To wrote it.")
            continue
        reasons.append(f"The requester is {person.email}, {role}.")
        return person
    reasons.append("No usable requester address: the item has no requester and gets no "
                   "auto-reply.")
    return None


def _person_in_reply_to(candidates: list[tuple[Person | None, str]], ex: Exclusions
                        ) -> Person | None:
    """The Reply-To candidate when it names a person who can be the requester."""
    return next((p for p, role in candidates if p is not None and role == REPLY_TO
                 and not ex.why_not_requester(p.email) and not is_noreply(p.email)), None)


def choose_followers(requester: Person | None, extra: list[Person], to_cc: list[Person],
                     ex: Exclusions, reasons: list[str]) -> list[Person]:
    """Requester first, then extra people (an agent, original Cc), then To/Cc people."""
    followers: list[Person] = []
    seen: set[str] = set()
    skipped: list[str] = []
    for person in ([requester] if requester else []) + extra + to_cc:
        key = person.email.lower()
        if key in seen:
            continue
        seen.add(key)
        why = ex.why_not_follower(person.email)
        if why:
            if not why.startswith("it is one of the box's"):
                skipped.append(f"{person.email} ({why[6:]})")
            continue
        followers.append(person)
    if skipped:
        reasons.append(f"Not followers: {'; '.join(skipped)}.")
    return followers
