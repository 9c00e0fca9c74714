"""Email addresses and the people behind them.

One place for how an address is normalised (domain lower-cased, local part kept) and how a
header such as ``"Doe, Jane" <jane@x>`` becomes a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr


@dataclass(frozen=True)
class Person:
    email: str
    name: str | None = None

    def to_json(self) -> dict:
        return {"email": self.email, "name": self.name}


def normalize(address: str | None) -> str:
    """``Jane@Example.COM`` -> ``Jane@example.com``; empty string when not an address."""
    if not address:
        return ""
    address = address.strip().strip("<>").strip()
    if address.count("@") != 1:
        return ""
    local, domain = address.rsplit("@", 1)
    if not local or not domain or " " in address:
        return ""
    return f"{local}@{domain.lower().rstrip('.')}"


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def local_of(address: str) -> str:
    return address.rsplit("@", 1)[0] if "@" in address else address


# Mailboxes that are not people: a no-reply marker anywhere in the local part
# (forwarding-noreply@, info.no_reply@, donotreply@, bounces+x@, mailer-daemon@), or a robot's
# whole name (notifications@, root@).  The one pattern the box has for them: followers
# (helpdesk/requester.py) and automated mail (helpdesk/protection.py) both ask is_noreply.
NOREPLY = re.compile(
    r"no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|postmaster|"
    r"bounces?|mail[-_.]?delivery|nicht[-_.]?antworten|ne[-_.]?pas[-_.]?r[eé]pondre|"
    r"no[-_.]?responder|no[-_.]?contestar|non[-_.]?rispondere|niet[-_.]?beantwoorden|"
    r"^(?:notifications?|daemon|root)(?:[-+._].*)?$", re.I)


def is_noreply(address: str) -> bool:
    """True for a mailbox nobody reads replies in (see :data:`NOREPLY`)."""
    return bool(NOREPLY.search(local_of(address)))


def decode_words(value: str | None) -> str:
    """Decode RFC 2047 encoded words; never raises on broken input."""
    if not value:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        return str(value)


def _person(name: str, addr: str) -> Person | None:
    email = normalize(addr)
    if not email:
        return None
    name = decode_words(name).strip().strip('"').strip() or None
    return Person(email, name)


# "name <addr>" whose name the parser takes for the address: an unquoted display name that
# is itself an address ("jo@x.example <jo.doe@y.example>") or holds a comma once its encoded
# words were decoded ("Doe, Jo <jo@x.example>").  The mailbox is the one in angle brackets.
_ANGLED = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<addr>[^<>\s]+@[^<>\s]+)>\s*$")


def parse_person(value: str | None) -> Person | None:
    """The first person in a From-like header value, or None."""
    if not value:
        return None
    value = str(value)
    name, addr = parseaddr(value)
    angled = _ANGLED.match(value) if ">" in value else None
    if angled:
        inner, taken = normalize(angled.group("addr")), normalize(addr)
        # a comma in the name with a readable first address is a list: keep its first
        list_of_people = taken and "," in angled.group("name")
        if inner and inner.lower() != taken.lower() and not list_of_people:
            name, addr = angled.group("name").strip().strip('"'), angled.group("addr")
    return _person(name, addr)


def parse_people(*values: str | None) -> list[Person]:
    """Every person named in To/Cc-like header values, duplicates removed, order kept."""
    found: list[Person] = []
    seen: set[str] = set()
    for name, addr in getaddresses([str(v) for v in values if v]):
        person = _person(name, addr)
        if person and person.email.lower() not in seen:
            seen.add(person.email.lower())
            found.append(person)
    return found


def matches(address: str, patterns: list[str] | tuple[str, ...] | frozenset[str]) -> bool:
    """True when ``address`` equals a pattern or falls under a ``*@domain`` pattern."""
    address = address.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*@"):
            if address.endswith(pattern[1:]):
                return True
        elif address == pattern:
            return True
    return False
