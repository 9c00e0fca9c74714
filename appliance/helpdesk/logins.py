"""The tables of logging in: sessions kept on the server, API tokens, login attempts and
set-password tokens.  The panel uses them, and so do user accounts (an invitation carries a
set-password link; a new password ends the sessions), so they live below both.  Secrets are
stored only as SHA-256 digests: a copy of the database does not hand out logins."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from peewee import BooleanField, CharField, ForeignKeyField

from appliance import clock
from appliance.helpdesk.models import BaseModel, UTCDateTimeField, User


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class WebSession(BaseModel):
    """A logged-in browser.  The cookie holds the secret; the row holds its digest."""
    key_hash = CharField(primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    csrf = CharField()
    created_at = UTCDateTimeField(default=clock.now)
    last_seen = UTCDateTimeField(default=clock.now)
    address = CharField(default="")


class ApiToken(BaseModel):
    """A per-user token for the JSON API (``Authorization: Bearer TOKEN``)."""
    token_hash = CharField(unique=True)
    user = ForeignKeyField(User, on_delete="CASCADE", backref="api_tokens")
    name = CharField()
    created_at = UTCDateTimeField(default=clock.now)
    last_used_at = UTCDateTimeField(null=True)


class LoginAttempt(BaseModel):
    """One failed login or reset request, counted per client address and per account."""
    at = UTCDateTimeField(default=clock.now, index=True)
    address = CharField(index=True)
    account = CharField(index=True)
    kind = CharField(default="login")  # login | reset


class PasswordReset(BaseModel):
    token_hash = CharField(primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    created_at = UTCDateTimeField(default=clock.now)
    expires_at = UTCDateTimeField()
    used = BooleanField(default=False)


LOGIN_MODELS = [WebSession, ApiToken, LoginAttempt, PasswordReset]


def issue_token(user: User, valid: timedelta) -> str:
    """A single-use set-password token for ``user`` (password reset, and the invitation of
    a new user); returns the secret for the link ``/password-reset/SECRET`` (in the
    caller's transaction)."""
    secret = new_secret()
    now = clock.now()
    PasswordReset.create(token_hash=digest(secret), user=user, created_at=now,
                         expires_at=now + valid)
    return secret


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere (after a new password)."""
    WebSession.delete().where(WebSession.user == user).execute()
