"""Logging in and out, password reset through a system email, and the user's own page
(password, API tokens)."""
from __future__ import annotations

import math
import re
from datetime import timedelta

import bottle

from appliance import clock, passwords
from appliance.helpdesk import people
from appliance.helpdesk.logins import (ApiToken, PasswordReset, digest, end_sessions,
                                       issue_token, new_secret)
from appliance.helpdesk.models import Person, User, db
from appliance.webadmin import security, throttle
from appliance.webadmin.pages import done, render

RESET_VALID = timedelta(hours=1)
MIN_PASSWORD = 10
# The system email of a password reset (the message center will take it over).
# Same properties as the message center's templates, so it can move there unchanged.
RESET_SUBJECT = "Reset your {{ organisation.name }} helpdesk password"
RESET_BODY = """Hello {{ recipient.name }},

someone (hopefully you) asked to reset the password of your helpdesk login \
{{ recipient.email }}. Open this link within {{ link.valid_hours }} hour(s) to choose a new \
password:

{{ link.url }}

If you did not ask for this, ignore this email: your password stays as it is."""
_DUMMY_HASH = passwords.hash_password("not a real password")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None) -> str:
    """Only a path of this site: one ``/`` then no second ``/`` or ``\\``, after removing
    the control characters and spaces that browsers drop (``/\t/evil.example/`` is
    ``//evil.example/`` to them, and so to urljoin).  Anything else is ``/``."""
    cleaned = _CONTROL.sub("", target or "").strip()
    if cleaned.startswith("/") and not cleaned.startswith(("//", "/\\")):
        return cleaned
    return "/"


def _too_many(attempt: throttle.Verdict, kind: str) -> str:
    """Answer 429 with Retry-After; the sentence says whom the limit is about."""
    bottle.response.status = 429
    bottle.response.set_header("Retry-After", str(attempt.retry_after))
    wait = (f"{attempt.retry_after} seconds" if attempt.retry_after < 120
            else f"{math.ceil(attempt.retry_after / 60)} minutes")
    if attempt.by == "address":
        what = "failed logins" if kind == "login" else "reset requests"
        return (f"Too many {what} from your address. Try again in {wait}"
                + (", or reset your password." if kind == "login" else "."))
    if kind == "login":
        return (f"This account had several failed logins, so each new try waits a "
                f"little. Try again in {wait}.")
    return f"A reset link for this address was sent just now. Try again in {wait}."


def find_user(email: str) -> User | None:
    person = people.find(email.strip()) if email.strip() else None
    if person is None:
        return None
    return User.get_or_none(User.person == person, User.active == True)  # noqa: E712


def routes(app: bottle.Bottle, cfg) -> None:
    @app.get("/login", public=True)
    def login_form():
        return render("login.html", next=safe_next(bottle.request.query.get("next")),
                      expired=bottle.request.query.get("expired") == "1", error=None,
                      email="")

    @app.post("/login", public=True)
    def login():
        form = bottle.request.forms
        email = (form.getunicode("email") or "").strip().lower()
        password = form.getunicode("password") or ""
        target = safe_next(form.getunicode("next"))
        attempt = throttle.reserve(email, security.client_address(), "login")
        if not attempt.allowed:   # refused before any password is checked
            return render("login.html", next=target, expired=False, email=email,
                          error=_too_many(attempt, "login"))
        user = find_user(email)
        ok = passwords.verify(user.password_hash if user else _DUMMY_HASH, password)
        if not (user and ok):
            bottle.response.status = 401
            return render("login.html", next=target, expired=False, email=email,
                          error="Wrong email address or password.")
        throttle.release(attempt)
        security.start_session(user)
        bottle.redirect(target, 303)

    @app.post("/logout")
    def logout():
        security.end_session()
        bottle.redirect("/login", 303)

    @app.get("/password-reset", public=True)
    def reset_form():
        return render("reset_request.html", sent=False)

    @app.post("/password-reset", public=True)
    def reset_request():
        email = (bottle.request.forms.getunicode("email") or "").strip().lower()
        # every request counts (never released): each may mail a link
        attempt = throttle.reserve(email, security.client_address(), "reset")
        if not attempt.allowed:
            return render("reset_request.html", sent=False,
                          error=_too_many(attempt, "reset"))
        user = find_user(email)
        if user is not None:
            send_reset(cfg, user)
        return render("reset_request.html", sent=True)

    @app.get("/password-reset/<token>", public=True)
    def reset_choose(token):
        return render("reset_choose.html", token=token, valid=_reset_row(token) is not None)

    @app.post("/password-reset/<token>", public=True)
    def reset_set(token):
        row = _reset_row(token)
        if row is None:
            return render("reset_choose.html", token=token, valid=False)
        error = _password_error()
        if error:
            return render("reset_choose.html", token=token, valid=True, error=error)
        with db.atomic():
            _set_password(row.user, bottle.request.forms.getunicode("password"))
            row.used = True
            row.save()
        done("Your password was changed. Log in with the new one.", "/login")

    @app.get("/account")
    def account():
        user = security.current_user()
        tokens = user.api_tokens.order_by(ApiToken.created_at.desc())
        return render("account.html", tokens=tokens, new_token=None)

    @app.post("/account/password")
    def change_password():
        user = security.current_user()
        if not passwords.verify(user.password_hash,
                                bottle.request.forms.getunicode("current") or ""):
            done("Current password: that is not your password; nothing changed.", "/account")
        error = _password_error()
        if error:
            done(error, "/account")
        _set_password(user, bottle.request.forms.getunicode("password"))
        security.start_session(user)  # every other session of this user ends
        done("Your password was changed; other logins were ended.", "/account")

    @app.post("/account/tokens")
    def create_token():
        user = security.current_user()
        name = (bottle.request.forms.getunicode("name") or "").strip()[:100] or "API token"
        secret = "apl_" + new_secret()
        ApiToken.create(token_hash=digest(secret), user=user, name=name,
                        created_at=clock.now())
        tokens = user.api_tokens.order_by(ApiToken.created_at.desc())
        return render("account.html", tokens=tokens, new_token=secret, new_name=name)

    @app.post("/account/tokens/<token_id:int>/delete")
    def delete_token(token_id):
        user = security.current_user()
        ApiToken.delete().where(ApiToken.id == token_id, ApiToken.user == user).execute()
        done("The token was revoked.", "/account")


def _reset_row(token: str) -> PasswordReset | None:
    row = PasswordReset.get_or_none(PasswordReset.token_hash == digest(token))
    if row is None or row.used or row.expires_at < clock.now() or not row.user.active:
        return None
    return row


def _password_error() -> str | None:
    form = bottle.request.forms
    password, again = form.getunicode("password") or "", form.getunicode("again") or ""
    if len(password) < MIN_PASSWORD:
        return f"New password: at least {MIN_PASSWORD} characters are needed."
    if password != again:
        return "The same again: it is not the same as the new password."
    return None


def _set_password(user: User, password: str) -> None:
    user.password_hash = passwords.hash_password(password)
    user.save()
    end_sessions(user)


def send_reset(cfg, user: User) -> None:
    from appliance.outbound.mailer import Mailer
    mailer = Mailer(cfg)
    person = Person.get_by_id(user.person_id)
    subject, body = reset_template()
    if subject is None:
        return  # the admin turned the system email off
    with db.atomic():
        secret = issue_token(user, RESET_VALID)
        context = {"recipient": {"name": person.name or person.email, "email": person.email,
                                 "is_user": True},
                   "link": {"url": f"{cfg.public_url}password-reset/{secret}",
                            "valid_hours": int(RESET_VALID.total_seconds() // 3600)},
                   "organisation": {"name": mailer.appearance().company_name}}
        mailer.send(to=person, subject_source=subject, body_source=body, context=context,
                    kind="system", auto_submitted="auto-generated")


def reset_template() -> tuple[str | None, str | None]:
    """The message center's "password_reset" system email when it exists (its text as the
    admin edited it; None when disabled), else the built-in one above."""
    try:
        from appliance.helpdesk import templates
        template = templates.get("password_reset")
    except (ImportError, AttributeError, ValueError):
        return RESET_SUBJECT, RESET_BODY
    return (template.subject, template.body) if template.enabled else (None, None)
