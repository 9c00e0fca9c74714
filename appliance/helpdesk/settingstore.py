"""Run-time settings as stored in the database: the one place that reads and writes them
(definitions, defaults and validation are in :mod:`appliance.settings`)."""
from __future__ import annotations

from appliance.helpdesk.models import Setting, db
from appliance.settings import SettingError, default, validate


def current(key: str, domain: str) -> str:
    """A setting's value: the admin's, else its default for this box's domain."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default(key, domain)


def store(values: dict[str, str]) -> dict[str, str]:
    """Validate and store settings together; returns {key: error} and stores nothing when
    any value is refused."""
    errors, clean = {}, {}
    for key, value in values.items():
        try:
            clean[key] = validate(key, value)
        except SettingError as exc:
            errors[key] = str(exc)
    if not errors:
        with db.atomic():
            for key, value in clean.items():
                Setting.insert(key=key, value=value).on_conflict_replace().execute()
    return errors
