"""Mailing-list mail: the list's own addresses, and the author behind a From the list rewrote.

To pass DMARC, lists rewrite From to their own address: Mailman writes "Some One via List"
and puts the original From in Reply-To (or in Cc when replies go to the list), Google Groups
writes "'Some One' via Group" and keeps the author in X-Original-From and X-Original-Sender,
Sympa and groups.io keep X-Original-From.  The author, not the list, asked the question, so
the requester is read from those headers, in that order, else from an address in the
display name ("jo@client.example via List").  The list's address never becomes requester,
and a list delivering to the box is not a server forwarding the company's mail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.addresses import Person, is_noreply, normalize, parse_people, parse_person
from appliance.helpdesk.rules import Facts

# Headers only list servers write (RFC 2369, RFC 2919, Mailman, Google Groups, ezmlm).
LIST_MARKERS = ("List-Id", "List-Post", "List-Unsubscribe", "Mailing-List", "X-Mailman-Version",
                "X-BeenThere", "X-Google-Group-Id", "X-Mailing-List", "X-List-Id", "X-MLServer",
                "X-ML-Name")
# "Some One via List": the word lists put between the author's name and the list's, also
# in the list's language (Mailman translates it).
VIA = re.compile(r"^(?P<author>.+?)\s+(?:via|über|par\s+l'interm[ée]diaire\s+de|por\s+medio\s+de|"
                 r"через|tramite|przez|kautta|prostřednictvím|経由)\s+(?P<list>\S.*)$", re.I)
_MAILTO = re.compile(r"mailto:([^>?,;\s]+)", re.I)
_LIST_WORD = re.compile(r"\blist\s+<?([^\s<>;,]+@[^\s<>;,]+)", re.I)
_IN_NAME = re.compile(r"([\w.!#$%&'*+/=?^`{|}~-]+)\s*(?:@|\s+at\s+)\s*([\w-]+(?:\.[\w-]+)+)")
_LIST_ID = re.compile(r"<([^<>@\s.]+)\.([^<>@\s]+\.[^<>@\s]+)>")
# The list's other addresses (Mailman, Majordomo, ezmlm, Sympa): list-request@, list-owner@,
# list-bounces@ (VERP'd: list-bounces+x=y@), list-admin@, owner-list@.  On list mail a From
# or Sender of these shapes is the list itself, as a digest or a notice it sends.
LIST_ROLE = re.compile(r"^(?:owner-[^@]+|[^@]+-(?:request|owner|bounces?|admin))(?:\+[^@]*)?@",
                       re.I)


@dataclass
class ListMail:
    """List mail whose From is the list's: who wrote it, and from which header."""

    addresses: frozenset[str]
    author: Person | None = None
    source: str = ""
    reasons: list[str] = field(default_factory=list)


def header_names(f: Facts) -> frozenset[str]:
    """The message's header names, lower-cased, read once per message (each ``in`` test on
    a message walks all its headers)."""
    names = f.__dict__.get("_header_names")
    if names is None:
        try:
            names = frozenset(k.lower() for k in f.msg.keys())
        except Exception:
            names = frozenset()
        f.__dict__["_header_names"] = names
    return names


_MARKERS = frozenset(n.lower() for n in LIST_MARKERS)


def is_list_mail(f: Facts) -> bool:
    return not _MARKERS.isdisjoint(header_names(f))


def _posting(f: Facts) -> set[str]:
    """The addresses a list header names as the list's: List-Post, Mailing-List,
    X-BeenThere."""
    found: set[str] = set()
    for value in f.headers("List-Post"):
        found.update(normalize(m) for m in _MAILTO.findall(value))
    for value in f.headers("Mailing-List"):
        found.update(normalize(m) for m in _LIST_WORD.findall(value))
    for name in ("X-BeenThere", "X-Mailing-List"):
        found.update(p.email for p in parse_people(*f.headers(name)))
    return {a.lower() for a in found if a}


def addresses(f: Facts) -> frozenset[str]:
    """The list's own addresses: List-Post, Mailing-List, X-BeenThere, the List-Id's
    posting address, Sender, and From when its display name says "via"."""
    if not is_list_mail(f):
        return frozenset()
    found = _posting(f)
    found.update(p.email for p in parse_people(*f.headers("Sender")))
    for value in f.headers("List-Id"):
        match = _LIST_ID.search(value)
        if match:
            found.add(normalize(f"{match.group(1)}@{match.group(2)}"))
    if f.sender and (VIA.match(f.sender.name or "") or LIST_ROLE.match(f.sender.email)):
        found.add(f.sender.email)
    return frozenset(a.lower() for a in found if a)


def rewritten(f: Facts) -> ListMail | None:
    """List mail whose From the list rewrote to its own address, with its author when a
    header names one; None for any other mail (its From is the author)."""
    if f.sender is None or not is_list_mail(f):
        return None
    sender = f.sender.email.lower()
    via = VIA.match(f.sender.name or "")
    original = parse_person(f.header("X-Original-From"))
    if not (via or sender in _posting(f) or LIST_ROLE.match(sender)
            or (original and original.email.lower() != sender)):
        return None
    lists = addresses(f) | {sender}
    named = (via.group("author").strip().strip("'\"‘’“”").strip() if via else "")
    found = ListMail(lists)
    how = f"\"{f.sender.name}\" " if via else ""
    found.reasons.append(f"From {how}<{f.sender.email}> is the list's own address: the list "
                         "rewrote From (as lists do for DMARC), so it is not the author.")
    for person, source in _authors(f, lists, named):
        found.author, found.source = person, source
        return found
    found.reasons.append("No header names the author of the list mail.")
    return found


def _authors(f: Facts, lists: frozenset[str], named: str):
    def usable(person: Person | None) -> bool:
        return bool(person and person.email.lower() not in lists
                    and not is_noreply(person.email) and not f.is_box(person.email))
    for name in ("X-Original-From", "X-Original-Sender"):
        person = parse_person(f.header(name))
        if usable(person):
            yield person, name
    for person in parse_people(*f.headers("Reply-To")):
        if usable(person):
            yield person, "Reply-To"
    if named:
        for person in parse_people(*f.headers("Cc")):
            if usable(person) and (person.name or "").strip().lower() == named.lower():
                yield person, "Cc, where the list put the original From"
        match = _IN_NAME.search(named)
        if match:
            person = Person(normalize(f"{match.group(1)}@{match.group(2)}"))
            if person.email and usable(person):
                yield person, "the address in From's display name"


def requester_candidates(f: Facts, candidates: list[tuple[Person | None, str]],
                         reasons: list[str]) -> list[tuple[Person | None, str]]:
    """The requester candidates of direct mail, with a list's rewritten From replaced by
    the author and the list's addresses left out."""
    try:
        found = rewritten(f)
    except Exception:   # broken list headers: keep the usual candidates
        return candidates
    if found is None:
        return candidates
    reasons.extend(found.reasons)
    rest = [(p, role) for p, role in candidates
            if p is not None and p.email.lower() not in found.addresses]
    if found.author is None:
        return rest
    return [(found.author, f"the author of the list mail, from {found.source}")] + rest
