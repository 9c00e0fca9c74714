"""Moments as people read them: "Wed, 2 Dec 2026, 09:59" in the admin's timezone and
language (settings ``appearance.timezone`` and ``appearance.language``).

The one formatting function for every customer-facing date (mail templates, and the panel
when it wants them); JSON and logs keep ISO 8601 (:func:`appliance.clock.iso`).  Day and
month names come from the small tables below, not from the process locale, so a mail reads
the same whichever locale the worker runs under.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# language -> (weekday names Monday first, month names January first, pattern)
LANGUAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "en": (("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
           ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
            "Dec"),
           "{wd}, {d} {mon} {y}, {hh}:{mm}"),
    "de": (("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
           ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
            "Nov.", "Dez."),
           "{wd}, {d}. {mon} {y}, {hh}:{mm}"),
    "fr": (("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
           ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
            "oct.", "nov.", "déc."),
           "{wd} {d} {mon} {y}, {hh}:{mm}"),
    "es": (("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
           ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov",
            "dic"),
           "{wd}, {d} {mon} {y}, {hh}:{mm}"),
    "nl": (("ma", "di", "wo", "do", "vr", "za", "zo"),
           ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov",
            "dec"),
           "{wd} {d} {mon} {y}, {hh}:{mm}"),
}
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español",
                  "nl": "Nederlands"}


class UnknownTimezone(ValueError):
    """A timezone name the zone database does not know."""


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The timezone called ``name`` (IANA, e.g. ``Europe/Berlin``)."""
    try:
        if not name or name != name.strip() or ".." in name or name.startswith("/"):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimezone(name) from None


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    """Every timezone the box knows, sorted, UTC first (the choices of the panel)."""
    return ["UTC"] + sorted(n for n in available_timezones() if n != "UTC"
                            and not n.startswith(("posix/", "right/")))


def parse(value: datetime | str | None) -> datetime | None:
    """A moment from a datetime or an ISO 8601 string (naive means UTC); None if neither."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def when(value: datetime | str | None, tz: str = "UTC", language: str = "en") -> str:
    """``value`` as people read it, in timezone ``tz`` with ``language``'s day and month
    names: "Wed, 2 Dec 2026, 09:59".  Empty for no value; text that is no moment comes
    back as it is (a template may pass anything)."""
    moment = parse(value)
    if moment is None:
        return "" if value is None else str(value)
    try:
        local = moment.astimezone(zone(tz))
    except UnknownTimezone:
        local = moment.astimezone(timezone.utc)
    days, months, pattern = LANGUAGES.get(language, LANGUAGES["en"])
    return pattern.format(wd=days[local.weekday()], d=local.day, mon=months[local.month - 1],
                          y=local.year, hh=f"{local.hour:02d}", mm=f"{local.minute:02d}")
