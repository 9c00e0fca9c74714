"""The blocklist: mailboxes that are not people (addresses and ``*@domain`` patterns).
The panel and ``appliance blocklist`` both change it through here, so both accept and
refuse the same entries."""
from __future__ import annotations

from peewee import ModelSelect

from appliance import addresses
from appliance.errors import CommandError
from appliance.helpdesk.models import Blocked


def normalise_pattern(value: str) -> str:
    """An address in its normal form, or ``*@domain`` lower-cased; refuses anything else."""
    value = value.strip()
    if value.startswith("*@") and "." in value[2:] and "@" not in value[2:]:
        return value.lower()
    email = addresses.normalize(value)
    if not email:
        raise CommandError(f"not an address or a *@domain pattern: {value!r}")
    return email.lower()


def add(value: str) -> str:
    """Block ``value`` (once, however often it is added); returns the pattern stored."""
    pattern = normalise_pattern(value)
    Blocked.get_or_create(pattern=pattern)
    return pattern


def remove(pattern: str) -> bool:
    """Unblock a stored pattern; False when it was not on the list."""
    return bool(Blocked.delete().where(Blocked.pattern == pattern).execute())


def entries() -> ModelSelect:
    """Every entry, in order."""
    return Blocked.select().order_by(Blocked.pattern)
