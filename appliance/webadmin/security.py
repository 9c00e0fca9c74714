"""What keeps the panel safe: security headers on every response, sessions kept in the
database, CSRF tokens, and the guard that wraps every route (login required unless a route
says ``public=True``; ``role="admin"`` for admin pages).  Login limits: throttle.py."""
from __future__ import annotations

import hmac
from datetime import timedelta

import bottle

from appliance import clock
from appliance.helpdesk.models import User
from appliance.helpdesk.logins import WebSession, digest, new_secret

SESSION_COOKIE = "appliance_session"
FORM_COOKIE = "appliance_form"       # double-submit token for forms without a session
IDLE_TIMEOUT = timedelta(minutes=30)  # a session unused this long is over
MAX_AGE = timedelta(hours=12)         # and none lives longer than this
TOUCH_EVERY = timedelta(seconds=30)   # last_seen is written at most this often
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
           ("Cross-Origin-Opener-Policy", "same-origin"),
           ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")]


class PanelApp(bottle.Bottle):
    """A Bottle app that adds the security headers to every response it sends (error pages
    and static files included); a route may set its own Content-Security-Policy."""

    def wsgi(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = list(headers) + [(n, v) for n, v in HEADERS if n.lower() not in present]
            if environ.get("PATH_INFO", "").startswith(("/admin", "/items", "/account",
                                                        "/api")):
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)
        return super().wsgi(environ, start)


def is_tls() -> bool:
    """The scheme the server saw, or the trusted proxy said (waitress sets it; see
    :mod:`appliance.webadmin.proxy`); never an X-Forwarded-Proto from anyone else."""
    return bottle.request.environ.get("wsgi.url_scheme") == "https"


def set_cookie(name: str, value: str, samesite: str = "Lax", max_age: int | None = None):
    options = {"max_age": max_age} if max_age is not None else {}
    bottle.response.set_cookie(name, value, path="/", httponly=True, samesite=samesite,
                               secure=is_tls(), **options)


def client_address() -> str:
    """The client: the peer, or the address the trusted proxy forwarded for."""
    return bottle.request.environ.get("REMOTE_ADDR") or "unknown"


# --- sessions -----------------------------------------------------------------------

def start_session(user: User) -> WebSession:
    secret = new_secret()
    now = clock.now()
    WebSession.delete().where(WebSession.last_seen < now - MAX_AGE).execute()
    session = WebSession.create(key_hash=digest(secret), user=user, csrf=new_secret(),
                                created_at=now, last_seen=now, address=client_address())
    set_cookie(SESSION_COOKIE, secret)
    return session


def current_session() -> tuple[WebSession | None, bool]:
    """The request's live session, and whether a session cookie had expired."""
    secret = bottle.request.get_cookie(SESSION_COOKIE)
    if not secret:
        return None, False
    session = (WebSession.select(WebSession, User).join(User)
               .where(WebSession.key_hash == digest(secret)).first())
    if session is None:
        return None, True
    now = clock.now()
    if (now - session.last_seen > IDLE_TIMEOUT or now - session.created_at > MAX_AGE
            or not session.user.active):
        session.delete_instance()
        return None, True
    if now - session.last_seen > TOUCH_EVERY:
        WebSession.update(last_seen=now).where(
            WebSession.key_hash == session.key_hash).execute()
    return session, False


def end_session() -> None:
    secret = bottle.request.get_cookie(SESSION_COOKIE)
    if secret:
        WebSession.delete().where(WebSession.key_hash == digest(secret)).execute()
    bottle.response.delete_cookie(SESSION_COOKIE, path="/")


# --- CSRF ----------------------------------------------------------------------------

def form_token() -> str:
    """The CSRF token for forms shown to someone not logged in (login, password reset)."""
    token = bottle.request.get_cookie(FORM_COOKIE) or bottle.request.environ.get(
        "appliance.form_token")
    if not token:
        token = new_secret()
        bottle.request.environ["appliance.form_token"] = token
        set_cookie(FORM_COOKIE, token, samesite="Strict")
    return token


def csrf_ok(session: WebSession | None) -> bool:
    sent = (bottle.request.forms.get("csrf_token")
            or bottle.request.headers.get("X-CSRF-Token") or "")
    expected = session.csrf if session else bottle.request.get_cookie(FORM_COOKIE)
    return bool(sent and expected) and hmac.compare_digest(sent, expected)


# --- the guard -----------------------------------------------------------------------

class Guard:
    """Bottle plugin on every route.  Route options: ``public=True`` (no login),
    ``role="admin"``, ``api=True`` (token authentication, JSON errors, no cookies)."""
    name = "guard"
    api = 2

    def __init__(self, forbidden) -> None:
        self.forbidden = forbidden  # renders the 403 page

    def apply(self, callback, route):
        options = route.config
        if options.get("api"):
            return callback  # the API checks its own tokens
        public = options.get("public", False)
        role = options.get("role")

        def wrapper(*args, **kwargs):
            request = bottle.request
            session, expired = current_session()
            request.environ["appliance.session"] = session
            if not public and session is None:
                if request.method in UNSAFE_METHODS or request.is_xhr:
                    bottle.abort(401, "Log in first.")
                target = request.fullpath + ("?" + request.query_string
                                             if request.query_string else "")
                bottle.redirect("/login?" + bottle.urlencode(
                    {"next": target, **({"expired": "1"} if expired else {})}))
            if request.method in UNSAFE_METHODS and not csrf_ok(session):
                bottle.abort(403, "The form was out of date or came from another site "
                                  "(missing or wrong CSRF token). Reload the page and try again.")
            if role and session is not None and session.user.role != role:
                return self.forbidden()
            return callback(*args, **kwargs)
        return wrapper


def current_user() -> User | None:
    session = bottle.request.environ.get("appliance.session")
    return session.user if session else None
