"""What failed, in words a person reads: templates that failed on real data (the last
failed run of each automation and the last relay email that failed, each with its time,
item and reason), and mail the worker could not file (:func:`filing_reason`, the "Why" of
the incoming log, and :func:`mail_facts`, what the stored message's headers say).

A failure is recorded where it happened (``AutomationRun.error``, ``RelayEntry.error``, by
:mod:`appliance.helpdesk.automations` and :mod:`appliance.helpdesk.relay`;
``IncomingMail.error`` by :func:`appliance.helpdesk.intake.record_failure`), so this only
reads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from appliance.helpdesk.mailparse import parse_message
from appliance.helpdesk.models import AutomationRun
from appliance.helpdesk.relaymodels import RelayEntry
from appliance.statuses import RelayState


@dataclass(frozen=True)
class Failure:
    at: datetime
    item_id: int | None
    reason: str
    count: int      # failures so far (this automation's runs, or relay emails)


def by_automation() -> dict[str, Failure]:
    """The last failure of every automation that ever failed, by code."""
    failed = AutomationRun.error.is_null(False)
    counts = dict(AutomationRun.select(AutomationRun.automation, fn.COUNT(AutomationRun.id))
                  .where(failed).group_by(AutomationRun.automation).tuples())
    last = AutomationRun.select(fn.MAX(AutomationRun.id)).where(failed).group_by(
        AutomationRun.automation)
    return {run.automation: Failure(run.at, run.item_id, run.error, counts[run.automation])
            for run in AutomationRun.select().where(AutomationRun.id.in_(last))}


def of_automation(code: str) -> Failure | None:
    return by_automation().get(code)


def of_relay() -> Failure | None:
    """The last relay email that could not be written, and how many could not."""
    failed = RelayEntry.select().where(RelayEntry.state == RelayState.FAILED)
    last = failed.order_by(RelayEntry.done_at.desc(), RelayEntry.id.desc()).first()
    if last is None:
        return None
    emails = (RelayEntry.select(RelayEntry.item, RelayEntry.person, RelayEntry.done_at)
              .where(RelayEntry.state == RelayState.FAILED).distinct().count())
    return Failure(last.done_at, last.item_id, last.error or "", emails)


def filing_reason(error: str) -> str:
    """One line for an error the worker met filing a message: the exception's own words
    (a traceback's last line without its class), e.g. "The message could not be filed:
    database is locked".  The traceback itself stays in ``IncomingMail.error``."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    if not lines:
        return "The message could not be filed (no error was recorded)."
    last = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    kind, sep, words = last.partition(": ")
    speaks = words.strip()[:1].isalpha()   # not a bare value, as KeyError: 'x' has
    if sep and kind.replace(".", "").replace("_", "").isalnum() and speaks:
        last = words.strip()   # "sqlite3.OperationalError: database is locked"
    elif not sep and last.replace(".", "").replace("_", "").isalnum():
        last = f"{last.rpartition('.')[2]} (no message)"
    return f"The message could not be filed: {last[:300]}"


def mail_facts(raw: bytes | None) -> dict:
    """Subject, sender and Message-ID from the headers of a message that could not be
    filed (the log keeps them though the filing was rolled back); empty when unreadable."""
    if not raw:
        return {}
    try:
        parsed = parse_message(raw, headers_only=True)
    except Exception:   # the headers are what failed: the log keeps what it has
        return {}
    sender = parsed.sender
    return {"subject": parsed.subject[:1000], "message_id": parsed.message_id,
            "from_email": sender.email if sender else None,
            "from_name": sender.name if sender else None}
