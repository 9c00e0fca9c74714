"""Limits on guessing passwords (``login``) and on reset mails (``reset``): they slow an
attacker down without locking the real user out.

- Per source address: after ``per_address`` attempts from one address within
  :data:`WINDOW`, that address is answered 429 until its oldest attempt leaves the window.
  The lock falls on the attacker's address, never on the account.
- Per account, no lockout: the first ``free_per_account`` attempts are free; each one after
  that may start only ``base_delay * 2**(n - free)`` seconds (at most ``max_delay``) after
  the latest.  Earlier ones are answered 429 with Retry-After and no password is checked,
  so the real user, from any address, gets in after at most ``max_delay``.

An attempt is reserved (a ``LoginAttempt`` row written) in one exclusive transaction before
the password is checked, so parallel requests never check more passwords than the limits
allow.  A login that succeeds releases its reservation: only failures count.
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from appliance import clock
from appliance.helpdesk import dialect
from appliance.helpdesk.models import db
from appliance.helpdesk.logins import LoginAttempt

WINDOW = timedelta(minutes=15)
LOCK_KEY = 0x6C67696E   # pg_advisory_xact_lock key: "lgin"


@dataclass(frozen=True)
class Limits:
    per_address: int
    free_per_account: int
    base_delay: float   # seconds
    max_delay: float


LIMITS = {"login": Limits(per_address=20, free_per_account=3, base_delay=1, max_delay=30),
          # a reset request mails a link: slower, so nobody's mailbox is flooded
          "reset": Limits(per_address=10, free_per_account=2, base_delay=60, max_delay=300)}


@dataclass(frozen=True)
class Verdict:
    attempt_id: int | None   # the reservation; None: refused
    retry_after: int = 0     # seconds, when refused
    by: str = ""             # "address" or "account", when refused

    @property
    def allowed(self) -> bool:
        return self.attempt_id is not None


def delay_after(limits: Limits, attempts: int) -> float:
    """Seconds the next attempt on an account waits after ``attempts`` recent ones."""
    if attempts < limits.free_per_account:
        return 0.0
    return min(limits.base_delay * 2 ** (attempts - limits.free_per_account),
               limits.max_delay)


def reserve(account: str, address: str, kind: str = "login") -> Verdict:
    """Reserve one attempt of ``kind`` on ``account`` from ``address``, or say how long to
    wait.  Atomic: concurrent callers are serialised by the database."""
    limits = LIMITS[kind]
    account, address = account.lower()[:250], source(address)
    now = clock.now()
    since = now - WINDOW
    with dialect.exclusive(db.obj, LOCK_KEY):
        LoginAttempt.delete().where(LoginAttempt.at < since).execute()
        recent = LoginAttempt.select().where(LoginAttempt.kind == kind,
                                             LoginAttempt.at >= since)
        from_address = recent.where(LoginAttempt.address == address)
        if from_address.count() >= limits.per_address:
            oldest = from_address.order_by(LoginAttempt.at).first().at
            return Verdict(None, _seconds(oldest + WINDOW - now), "address")
        on_account = recent.where(LoginAttempt.account == account)
        attempts = on_account.count()
        if attempts:
            latest = on_account.order_by(LoginAttempt.at.desc()).first().at
            wait = timedelta(seconds=delay_after(limits, attempts)) - (now - latest)
            if wait > timedelta(0):
                return Verdict(None, _seconds(wait), "account")
        row = LoginAttempt.create(at=now, address=address, account=account, kind=kind)
    return Verdict(row.id)


def source(address: str) -> str:
    """What one source is: an IPv4 address, or the /64 an IPv6 address lies in (one
    machine usually holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def release(verdict: Verdict) -> None:
    """The attempt succeeded: it is no failure and counts against nothing."""
    if verdict.attempt_id is not None:
        LoginAttempt.delete().where(LoginAttempt.id == verdict.attempt_id).execute()


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
