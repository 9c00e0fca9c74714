"""Settings an admin changes at run time (panel or ``appliance settings``), kept in the
database.  This table is the one place for their defaults, validation and help text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from appliance import dates
from appliance.addresses import normalize
from appliance.config import BOOTSTRAP


class SettingError(ValueError):
    """A bad key or value; the message says what is accepted.  ``reason`` is the same
    without the key (``must be ...``), for the panel to put the field's label before."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def _choice(*options: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in options:
            raise SettingError(f"must be one of {', '.join(options)}")
        return value
    return check


def _bool(value: str) -> str:
    low = value.strip().lower()
    if low in ("true", "yes", "on", "1"):
        return "true"
    if low in ("false", "no", "off", "0"):
        return "false"
    raise SettingError("must be true or false")


def _positive_int(value: str) -> str:
    if not value.strip().isdigit() or int(value) <= 0:
        raise SettingError("must be a whole number greater than 0")
    return str(int(value))


def _intervals(value: str) -> str:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise SettingError("must be comma-separated whole seconds, e.g. 300,900,1800")
    return ",".join(str(int(p)) for p in parts)


def _hostport(value: str) -> str:
    if not value:
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingError("must be host:port, e.g. smtp.example.com:587")
    return value


def _email(value: str) -> str:
    email = normalize(value)
    if not email:
        raise SettingError("must be an email address, e.g. support@example.com")
    return email


def _true(stored: str) -> bool:
    return stored == "true"


def _int_list(stored: str) -> list[int]:
    return [int(v) for v in stored.split(",") if v.strip()]


def _str_list(stored: str) -> list[str]:
    return [v for v in stored.split(",") if v]


def _any(value: str) -> str:
    return value


def _address_list(value: str) -> str:
    items = [v.strip() for v in value.split(",") if v.strip()]
    wrong = [v for v in items if not normalize(v)]
    if wrong:
        raise SettingError(f"must be email addresses separated by commas; {wrong[0]!r} is "
                           f"not one")
    return ",".join(_email(v) for v in items)


def _line(value: str) -> str:
    value = value.strip()
    if not value or "\n" in value or len(value) > 200:
        raise SettingError("must be one line of 1 to 200 characters")
    return value


def _display_name(value: str) -> str:
    value = _line(value)
    try:
        value.format(agent="a", company="c")
    except (KeyError, IndexError, ValueError):
        raise SettingError("may use only {agent} and {company} as placeholders") from None
    return value


def _timezone(value: str) -> str:
    name = value.strip()
    if name.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    try:
        dates.zone(name)
    except dates.UnknownTimezone:
        raise SettingError(f"must be a timezone name such as Europe/Berlin or "
                           f"America/New_York; {name!r} is not one the box knows") from None
    return name


def _language(value: str) -> str:
    code = value.strip().lower()
    if code not in dates.LANGUAGES:
        raise SettingError(f"must be one of {', '.join(dates.LANGUAGES)} "
                           f"({', '.join(dates.LANGUAGE_NAMES.values())})")
    return code


def _color(value: str) -> str:
    import re
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value.strip()):
        raise SettingError("must be a colour like #2563eb")
    return value.strip().lower()


# what each kind of stored value means to code; a check not named here stores a string
_PARSERS: dict[Callable[[str], str], Callable[[str], Any]] = {
    _bool: _true, _positive_int: int, _intervals: _int_list, _address_list: _str_list}


@dataclass(frozen=True)
class Setting:
    """``check`` turns what an admin typed into the stored form (or refuses it); ``parse``
    turns the stored form into the value code works with (an int, a bool, a list)."""
    key: str
    default: str
    check: Callable[[str], str]
    help: str
    secret: bool = False
    label: str = ""       # the field's name on its panel page, for people

    @property
    def kind(self) -> str:
        """How a panel form shows it: ``flag`` (a checkbox), ``number`` or ``text``."""
        return {_bool: "flag", _positive_int: "number"}.get(self.check, "text")

    def parse(self, stored: str) -> Any:
        return _PARSERS.get(self.check, str)(stored)


SETTINGS: dict[str, Setting] = {s.key: s for s in [
    Setting("outbound.mode", "direct", _choice("direct", "smarthost"),
            "direct: deliver to each recipient's MX; smarthost: use your own SMTP server.",
            label="Use your own SMTP server"),
    Setting("outbound.smarthost", "", _hostport, "Your SMTP server as HOST:PORT.",
            label="Server and port"),
    Setting("outbound.security", "starttls", _choice("none", "starttls", "tls"),
            "Connection security to the smarthost; the certificate is verified.",
            label="Security"),
    Setting("outbound.username", "", _any, "Login for the smarthost (empty: no login).",
            label="User name"),
    Setting("outbound.password", "", _any, "Password for the smarthost.", secret=True,
            label="Password"),
    Setting("outbound.from_address", "support@{domain}", _email,
            "The support address customers see and write to. On the box's own domain the "
            "box receives it too (mail to it becomes a ticket, like tickets@); on your "
            "company's domain, forward it to tickets@ (Capture addresses page).",
            label="From address"),
    Setting("outbound.retry_intervals", "300,900,1800,3600,7200,14400", _intervals,
            "Seconds between delivery attempts; the last one repeats.",
            label="Wait between attempts (seconds)"),
    Setting("outbound.max_lifetime_hours", "72", _positive_int,
            "Give up on a message (status failed) after this many hours.",
            label="Give up after (hours)"),
    Setting("relay.delay_seconds", "60", _positive_int,
            "How long a posted message may stay unseen before it is mailed to a follower.",
            label="Relay delay (seconds)"),
    Setting("intake.agent_forwarding", "false", _bool,
            "A manual forward by a known agent files the ticket for the original sender.",
            label="Agent forwarding"),
    Setting("intake.company_addresses", "", _address_list,
            "Your own support mailbox(es) that forward to the box, comma-separated; never "
            "a requester.",
            label="Company mailboxes"),
    Setting("intake.agents_follow", "true", _bool,
            "The assignee and every agent or admin who posts on an item follow it, so the "
            "relay mails them the customer's new messages (a blocklisted address never "
            "follows).",
            label="Agents follow the items they work on"),
    Setting("attachments.max_upload_mb", "10", _positive_int,
            "The most an agent may attach to one reply or note, in MB (all files together); "
            "also the most of a message's attachments the relay mails with it.",
            label="Attachments per reply (MB)"),
    Setting("retention.hours", "72", _positive_int,
            "How long finished mail-log entries are kept.",
            label="Keep mail logs (hours)"),
    Setting("appearance.company_name", "Support", _line,
            "Your organisation's name, as customers know it.",
            label="Company name"),
    Setting("appearance.display_name", "{agent} at {company}", _display_name,
            "The From name of mail about an item: {agent} is the author's name, "
            "{company} the company name; mail without an author uses the company name.",
            label="Display name pattern"),
    Setting("appearance.header", "", _any, "Text shown above every email (plain text).",
            label="Header"),
    Setting("appearance.signature", "The {company} team", _any,
            "Text shown below every email; {company} is replaced.",
            label="Signature"),
    Setting("appearance.brand_color", "#2563eb", _color,
            "Accent colour of HTML emails, as #rrggbb.",
            label="Brand colour"),
    Setting("appearance.timezone", "UTC", _timezone,
            "Timezone of the dates in emails and of the times in the panel (its Due "
            "field included), as an IANA name (Europe/Berlin, America/New_York); "
            "dates in emails read like \"Wed, 2 Dec 2026, 09:59\".",
            label="Timezone of dates"),
    Setting("appearance.language", "en", _language,
            "Language of the day and month names in emails' dates: en, de, fr, es or nl.",
            label="Language of dates"),
    Setting("automations.max_per_address_hour", "5", _positive_int,
            "At most this many automated emails to one address per hour (loop protection).",
            label="Automated emails per address and hour"),
    Setting("automations.max_per_item_hour", "10", _positive_int,
            "At most this many automated emails about one item per hour.",
            label="Automated emails per item and hour"),
    Setting("automations.due_soon_hours", "24", _positive_int,
            "How long before a task's due date the 'due soon' automations fire.",
            label="Due soon: hours before the due date"),
    Setting("sla.urgent_minutes", "30", _positive_int,
            "Target for an agent's first public answer to an urgent item, in minutes.",
            label="Urgent: first answer within (minutes)"),
    Setting("sla.high_minutes", "120", _positive_int,
            "Target for the first answer to a high-priority item, in minutes.",
            label="High: first answer within (minutes)"),
    Setting("sla.normal_minutes", "480", _positive_int,
            "Target for the first answer to a normal-priority item, in minutes.",
            label="Normal: first answer within (minutes)"),
    Setting("sla.low_minutes", "2880", _positive_int,
            "Target for the first answer to a low-priority item, in minutes.",
            label="Low: first answer within (minutes)"),
    Setting("workflow.close_resolved_days", "7", _positive_int,
            "A resolved item closes this many days after it was resolved; a customer's "
            "reply before then opens it again (docs/panel.md, Status workflow).",
            label="Close resolved items after (days)"),
    Setting("dkim.ed25519", "false", _bool,
            "Also sign with an ed25519 key (RFC 8463) besides RSA.",
            label="Also sign with ed25519"),
]}


def default(key: str, domain: str) -> str:
    return SETTINGS[key].default.replace("{domain}", domain)


def typed(key: str, stored: str) -> Any:
    """The value code works with for a setting's stored form: an int, a bool, a list of
    ints or addresses, else the string."""
    return SETTINGS[key].parse(stored)


def validate(key: str, value: str) -> str:
    """The stored form of ``value`` for ``key``; raises SettingError with the reason."""
    if key not in SETTINGS:
        raise SettingError(f"unknown setting {key!r}; known settings: {', '.join(SETTINGS)}")
    try:
        return SETTINGS[key].check(value)
    except SettingError as exc:
        raise SettingError(f"{key} {exc}", reason=exc.reason) from None


def worded(key: str, exc: SettingError) -> str:
    """A refused value in the panel's words: the field's label, then the reason ("Brand
    colour must be a colour like #2563eb"); the command line's words name the key."""
    return f"{SETTINGS[key].label} {exc.reason}"


def doc_text() -> str:
    """The text of docs/settings.md, generated from SETTINGS so the doc never lags."""
    lines = ["# Settings", "",
             "Run-time settings live in the database; change them with",
             "`appliance settings set -c CFG KEY VALUE` (or in the panel). A bad key or value "
             "is refused with the reason. Bootstrap keys (paths, listen addresses) are in the "
             "ini file: see [../config/appliance.ini.example](../config/appliance.ini.example)."
             " The ini's `web.public_url` (the base of every link in mail), "
             "`web.trusted_proxy` and `web.trusted_proxy_headers` (which reverse proxy's "
             "forwarded headers are believed) are explained in [security.md](security.md)."
             " Generated from appliance/settings.py.", "",
             "| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{s.key}` | `{s.default or '(empty)'}` | {s.help} |" for s in SETTINGS.values()]
    lines += ["", "## Bootstrap keys (the ini file)", "",
              "Read when a service starts (restart it after a change); `KEY` is "
              "`section.key`, e.g. `[dns] table` is `dns.table`. In tests and air-gapped "
              "demos `dns.table` answers every lookup from a JSON file; otherwise "
              "`dns.nameservers` (empty: the system's resolvers), `dns.port` and "
              "`dns.timeout` (one query; a whole message's lookups share a 5 s budget) "
              "choose the resolvers.", "",
              "| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | `{default or '(empty)'}` | {help_} |"
              for key, (default, help_) in BOOTSTRAP.items()]
    return "\n".join(lines) + "\n"
