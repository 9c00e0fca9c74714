"""Run-time settings as stored in the database: the one place that reads and writes them
(definitions, defaults and validation are in :mod:`appliance.settings`)."""
from __future__ import annotations

from typing import Any

from appliance.helpdesk.models import Setting, db
from appliance.settings import SettingError, default, typed, validate, worded


def current(key: str, domain: str) -> str:
    """A setting's stored form (what ``settings get`` prints and the panel's forms show):
    the admin's, else its default for this box's domain."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default(key, domain)


def value(key: str, domain: str) -> Any:
    """A setting as code uses it: typed by its definition (int, bool, list, str)."""
    return typed(key, current(key, domain))


def values(keys: list[str], domain: str) -> dict[str, Any]:
    """Several settings, typed, in one query."""
    stored = {row.key: row.value for row in Setting.select().where(Setting.key.in_(keys))}
    return {key: typed(key, stored[key] if key in stored else default(key, domain))
            for key in keys}


def store(values: dict[str, str]) -> dict[str, str]:
    """Validate and store settings together; returns {key: error} and stores nothing when
    any value is refused.  The errors name each field by its label, as the panel shows it
    (the command line validates first, in its own words: ``settings.validate``)."""
    errors, clean = {}, {}
    for key, value in values.items():
        try:
            clean[key] = validate(key, value)
        except SettingError as exc:
            errors[key] = worded(key, exc)
    if not errors:
        with db.atomic():
            for key, value in clean.items():
                Setting.insert(key=key, value=value).on_conflict_replace().execute()
    return errors
