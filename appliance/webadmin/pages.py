"""Rendering the panel's pages: one Jinja2 environment (autoescaped), the context every
page gets (user, CSRF token, flash message), paging, and saving settings through the one
settings table (:mod:`appliance.settings`: defaults, validation, help text)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote

import bottle
from jinja2 import Environment, FileSystemLoader, select_autoescape

from appliance import clock
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


def _when(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value.replace("T", " ")[:16]
    return clock.iso(value).replace("T", " ")[:16]


env.filters["when"] = _when
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
    return env.get_template(name).render(**context)


def done(text: str, to: str):
    """Redirect after a successful POST, with a message shown on the next page."""
    flash(text)
    bottle.redirect(to, 303)


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
