"""The JSON API under ``/api/``: the documents of the CLI's ``--json`` (one place each, in
:mod:`appliance.helpdesk.views`), for a per-user token sent as
``Authorization: Bearer TOKEN``.  Agents read items; admins also read the mail logs."""
from __future__ import annotations

import json
from functools import wraps

import bottle

from appliance import clock
from appliance.helpdesk.models import IncomingMail, Item, User
from appliance.outbound.models import OutgoingMail
from appliance.helpdesk.views import incoming_json, item_full, item_summaries, outgoing_json
from appliance.helpdesk import lists
from appliance.helpdesk.logins import ApiToken, digest

MAX_LIMIT = 500


def _error(status: int, message: str):
    body = json.dumps({"error": message})
    headers = {"Content-Type": "application/json"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="appliance"'
    raise bottle.HTTPResponse(body, status, headers)


def token_user() -> User:
    header = bottle.request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _error(401, "send an API token: Authorization: Bearer TOKEN (create one on your "
                    "account page)")
    token = (ApiToken.select(ApiToken, User).join(User)
             .where(ApiToken.token_hash == digest(secret.strip())).first())
    if token is None or not token.user.active:
        _error(401, "unknown or revoked API token")
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return token.user


def endpoint(role: str | None = None):
    def decorate(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            user = token_user()
            if role and user.role != role:
                _error(403, f"this needs the {role} role")
            bottle.response.content_type = "application/json"
            return json.dumps(func(*args, **kwargs), ensure_ascii=False)
        return wrapper
    return decorate


def _paging() -> tuple[int, int]:
    q = bottle.request.query
    try:
        limit = min(MAX_LIMIT, max(1, int(q.get("limit") or 50)))
        offset = max(0, int(q.get("offset") or 0))
    except ValueError:
        _error(400, "limit and offset must be whole numbers")
    return limit, offset


def routes(app: bottle.Bottle, cfg) -> None:
    api = {"api": True}

    @app.get("/api/items", **api)
    @endpoint()
    def items():
        q = bottle.request.query
        limit, offset = _paging()
        rows = lists.items(text=q.getunicode("q") or "", type_name=q.getunicode("type") or "",
                           status=q.getunicode("status") or "",
                           requester=q.getunicode("requester") or "",
                           limit=limit, offset=offset)
        return item_summaries(rows)

    @app.get("/api/items/<item_id:int>", **api)
    @endpoint()
    def item(item_id):
        row = Item.get_or_none(Item.id == item_id) or _error(404, f"no item #{item_id}")
        return item_full(row)

    @app.get("/api/mail/incoming", **api)
    @endpoint("admin")
    def incoming():
        limit, offset = _paging()
        return [incoming_json(r) for r in lists.incoming(
            bottle.request.query.getunicode("search") or "", limit=limit, offset=offset)]

    @app.get("/api/mail/incoming/<entry_id:int>", **api)
    @endpoint("admin")
    def incoming_one(entry_id):
        row = IncomingMail.get_or_none(IncomingMail.id == entry_id) or _error(
            404, f"no incoming log entry {entry_id}")
        return incoming_json(row)

    @app.get("/api/mail/outgoing", **api)
    @endpoint("admin")
    def outgoing():
        limit, offset = _paging()
        return [outgoing_json(m) for m in lists.outgoing(
            bottle.request.query.getunicode("search") or "", limit=limit, offset=offset)]

    @app.get("/api/mail/outgoing/<mail_id:int>", **api)
    @endpoint("admin")
    def outgoing_one(mail_id):
        mail = OutgoingMail.get_or_none(OutgoingMail.id == mail_id) or _error(
            404, f"no outgoing message {mail_id}")
        return outgoing_json(mail, full=True)

    @app.route("/api/<path:path>", method=["GET", "POST", "PUT", "PATCH", "DELETE"], **api)
    def unknown(path):
        token_user()
        _error(404, "no such API endpoint; see docs/panel.md")
