"""Templates that failed on real data, as the panel shows them: the last failed run of each
automation and the last relay email that failed, each with its time, item and reason.

A failure is recorded where it happened (``AutomationRun.error``, ``RelayEntry.error``, by
:mod:`appliance.helpdesk.automations` and :mod:`appliance.helpdesk.relay`), so this only
reads."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

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
