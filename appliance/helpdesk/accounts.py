"""Helpdesk users (agents and admins): adding one, with the ``account_created`` system
email that carries a set-password link, and deactivating one.  The panel's Users page and
``appliance users add`` both come here.

The set-password link is a password-reset token (:func:`appliance.helpdesk.logins.issue_token`)
valid for :data:`INVITE_VALID_HOURS`; the new user opens ``/password-reset/TOKEN`` and
chooses a password there."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from appliance import addresses, passwords
from appliance.helpdesk import people, templates
from appliance.helpdesk.logins import end_sessions, issue_token
from appliance.helpdesk.models import Person, User, db

ROLES = ("agent", "admin")
INVITE_VALID_HOURS = 48


class AccountError(ValueError):
    """A user that cannot be added or changed; the message says why, ``field`` which
    value it was (``email``, ``name``, ``role``; None: none in particular), for a form to
    name it by its label."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Added:
    user: User
    invited: bool          # the account_created email was queued
    password: str | None   # a generated password, when no invitation could go out

    @property
    def email(self) -> str:
        return self.user.person.email


def add_user(cfg, email: str, name: str, role: str, password: str | None = None,
             base_url: str | None = None, generate_when_not_invited: bool = False) -> Added:
    """Add an agent or admin.  With ``password`` the user logs in with it and gets no
    email.  Without it, the ``account_created`` system email is queued with a set-password
    link under ``base_url`` (default: the configured ``web.public_url``); when that email is
    turned off, nobody is invited and, with ``generate_when_not_invited``, a generated
    password is returned instead (the command line prints it)."""
    normalised = addresses.normalize(email or "")
    if not normalised:
        raise AccountError(f"not an email address: {email!r}", "email")
    if role not in ROLES:
        raise AccountError(f"the role is agent or admin, not {role!r}", "role")
    name = (name or "").strip()
    if not name:
        raise AccountError("a name is required", "name")
    template = templates.get("account_created")
    invite = password is None and template.enabled
    generated = None
    if password is None and not invite and generate_when_not_invited:
        password = generated = passwords.generate()
    with db.atomic():
        person = people.get(addresses.Person(normalised, name))
        if User.get_or_none(User.person == person):
            raise AccountError(f"{normalised} is already a user", "email")
        if person.name != name:   # the admin's word, not a name that came in with mail
            person.name = name
            person.save()
        user = User.create(person=person, role=role, password_hash=passwords.hash_password(
            password) if password else None)
        if invite:
            send_invitation(cfg, user, base_url or cfg.public_url)
    return Added(user, invite, generated)


def send_invitation(cfg, user: User, base_url: str) -> None:
    """Queue the account_created email with a fresh set-password link (in the caller's
    transaction)."""
    from appliance.outbound.mailer import Mailer
    template = templates.get("account_created")
    mailer = Mailer(cfg)
    person = Person.get_by_id(user.person_id)
    secret = issue_token(user, timedelta(hours=INVITE_VALID_HOURS))
    context = {"recipient": {"name": person.name or person.email, "email": person.email,
                             "is_user": True},
               "link": {"url": f"{base_url.rstrip('/')}/password-reset/{secret}",
                        "valid_hours": INVITE_VALID_HOURS},
               "organisation": {"name": mailer.appearance().company_name}}
    mailer.send(to=person, subject_source=template.subject, body_source=template.body,
                context=context, kind="system", auto_submitted="auto-generated")


def deactivate(user: User, by: User | None = None) -> None:
    """Turn a login off (its sessions end at their next request); never the last active
    admin, never yourself."""
    if by is not None and by.id == user.id:
        raise AccountError("you cannot deactivate yourself")
    if user.role == "admin" and user.active and User.select().where(
            User.role == "admin", User.active == True).count() <= 1:  # noqa: E712
        raise AccountError("this is the last active admin; make another admin first")
    user.active = False
    user.save()


def activate(user: User) -> None:
    user.active = True
    user.save()


MIN_PASSWORD = 10


def set_password(email: str, password: str) -> User:
    """A new password for a user (``appliance users set-password``: the way back in for an
    admin who lost theirs); their open sessions end, a deactivated login stays off."""
    person = people.find(addresses.normalize(email or "") or "")
    user = User.get_or_none(User.person == person) if person else None
    if user is None:
        raise AccountError(f"{email} is not a user; 'appliance users list' shows who is")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with db.atomic():
        user.password_hash = passwords.hash_password(password)
        user.save()
        end_sessions(user)
    return user
