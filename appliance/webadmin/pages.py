"""Rendering the panel's pages: one Jinja2 environment (autoescaped), the context every
page gets (user, CSRF token, flash message), paging, and saving settings through the one
settings table (:mod:`appliance.settings`: defaults, validation, help text)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from urllib.parse import quote, unquote

import bottle
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from appliance import clock, dates
from appliance.helpdesk.itemviews import mine_count
from appliance.helpdesk.settingstore import current as read_setting
from appliance.helpdesk.settingstore import store as store_settings
from appliance.settings import SETTINGS
from appliance.webadmin import security

HERE = Path(__file__).parent
FLASH_COOKIE = "appliance_flash"
PAGE_SIZE = 50

env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)


@pass_context
def _when(context, value) -> str:
    """A stored moment as the panel shows it: ``2026-12-02 10:59`` in the box's timezone
    (``appearance.timezone``, the same as its mail's dates and the Due field)."""
    moment = dates.parse(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.astimezone(_zone(context.get("tz"))).strftime("%Y-%m-%d %H:%M")


def _zone(name: str | None) -> tzinfo:
    try:
        return dates.zone(name or "UTC")
    except dates.UnknownTimezone:
        return timezone.utc


def panel_zone() -> str:
    """The timezone the panel shows and takes its times in (the Due field): the box's
    ``appearance.timezone``, the one its mail's dates use."""
    return read_setting("appearance.timezone", "") or "UTC"


def panel_tz() -> tuple[tzinfo, str]:
    """:func:`panel_zone` as a tzinfo, and its name for labels."""
    name = panel_zone()
    return _zone(name), name


@pass_context
def _ago(context, moment, now=None) -> str:
    return ago(moment, now, _zone(context.get("tz")))


def ago(moment, now=None, zone: tzinfo = timezone.utc) -> str:
    """A moment as people say it: "just now", "5 min ago", "3 h ago", "2 d ago", and a
    date (2026-11-26, in ``zone``) from a week back."""
    if not moment:
        return ""
    seconds = ((now or clock.now()) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def _mine_count(user) -> int:
    return mine_count(user.person) if user else 0


env.filters["when"] = _when
env.filters["ago"] = _ago
env.globals["mine_count"] = _mine_count   # the navigation's "Items · 3 mine"
env.globals["SETTINGS"] = SETTINGS


def flash(text: str) -> None:
    security.set_cookie(FLASH_COOKIE, quote(text[:300]))


def take_flash() -> str | None:
    text = bottle.request.get_cookie(FLASH_COOKIE)
    if text:
        bottle.response.delete_cookie(FLASH_COOKIE, path="/")
        return unquote(text)
    return None


def render(name: str, **context) -> str:
    session = bottle.request.environ.get("appliance.session")
    context.setdefault("user", session.user if session else None)
    context.setdefault("csrf", session.csrf if session else security.form_token())
    context.setdefault("flash", take_flash())
    context.setdefault("path", bottle.request.path)
    context.setdefault("tz", panel_zone())
    return env.get_template(name).render(**context)


def done(text: str, to: str):
    """Redirect after a successful POST, with a message shown on the next page."""
    flash(text)
    bottle.redirect(to, 303)


@dataclass
class Since:
    """A list's ``since`` filter (the home page's links: entries from the start of its
    chart on, so the list shows what the figure counted) and this page without it."""
    moment: datetime | None
    everything: str

    @property
    def value(self) -> str:
        return clock.iso(self.moment) if self.moment else ""


def since_filter() -> Since:
    """``?since=`` (an ISO 8601 time) of this request; a value that is no time is refused
    in words."""
    query = bottle.request.query
    value = (query.getunicode("since") or "").strip()
    moment = dates.parse(value) if value else None
    if value and moment is None:
        bottle.abort(400, f"Since: “{value}” is not a time like 2026-12-01T17:00:00+00:00.")
    rest = {k: v for k, v in query.items() if k not in ("since", "page") and v}
    return Since(moment, bottle.request.path + ("?" + bottle.urlencode(rest) if rest else ""))


class Paging:
    """Offset paging that needs no COUNT: fetch one row more than shown."""

    def __init__(self, size: int = PAGE_SIZE) -> None:
        try:
            self.page = max(1, int(bottle.request.query.get("page") or 1))
        except ValueError:
            self.page = 1
        self.size = size
        self.has_next = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def cut(self, rows: list) -> list:
        self.has_next = len(rows) > self.size
        return rows[:self.size]

    def link(self, page: int) -> str:
        query = {k: v for k, v in bottle.request.query.items() if k != "page" and v}
        query["page"] = str(page)
        return bottle.request.path + "?" + bottle.urlencode(query)


def save_settings(values: dict[str, str]) -> dict[str, str]:
    """Validate and store settings together (see settingstore.store)."""
    return store_settings(values)


def field(key: str, domain: str, value: str | None = None, error: str | None = None) -> dict:
    """What a template needs to show one setting as a form field."""
    spec = SETTINGS[key]
    current = read_setting(key, domain) if value is None else value
    return {"key": key, "name": key.replace(".", "__"), "help": spec.help,
            "label": spec.label, "kind": spec.kind,
            "value": "" if spec.secret else current, "is_set": bool(current),
            "secret": spec.secret, "error": error,
            "default": spec.default.replace("{domain}", domain)}
