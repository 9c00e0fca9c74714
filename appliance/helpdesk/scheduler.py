"""Time: the triggers no event announces (a due date coming near, an SLA target passing,
an item left alone) and the closing of resolved items, checked by the worker every few
seconds with the injected clock.

Each firing's key names the moment it is about (the due date, the SLA), so it fires once
per item, and again only when that moment changes (a new due date)."""
from __future__ import annotations

from datetime import datetime, timedelta

from appliance import clock
from appliance.helpdesk import workflow
from appliance.helpdesk.automations import Engine, matches
from appliance.helpdesk.models import Automation, AutomationRun, Item
from appliance.statuses import ACTIVE, Priority, words


def sla_minutes(engine: Engine, priority: str) -> int:
    known = priority if priority in words(Priority) else Priority.NORMAL
    return engine.setting(f"sla.{known}_minutes")


def close_resolved(engine: Engine, now: datetime | None = None) -> int:
    """Items resolved ``workflow.close_resolved_days`` ago close (each a status event)."""
    return workflow.close_resolved(engine.setting("workflow.close_resolved_days"),
                                   now or clock.now())


def run(engine: Engine, now: datetime | None = None) -> int:
    """Fire the time triggers that are due; returns how many fired."""
    now = now or clock.now()
    fired = 0
    automations = list(Automation.select().where(
        Automation.enabled == True,  # noqa: E712
        Automation.trigger.in_(("due_soon", "sla_breached", "time_elapsed"))))
    if not automations:
        return 0
    lead = timedelta(hours=engine.setting("automations.due_soon_hours"))
    for automation in automations:
        if automation.trigger == "due_soon":
            items = Item.select().where(Item.due_at.is_null(False), Item.due_at <= now + lead,
                                        Item.status.in_(ACTIVE))
            keyed = ((item, f"due:{clock.iso(item.due_at)}") for item in items)
        elif automation.trigger == "sla_breached":
            done = AutomationRun.select(AutomationRun.item).where(
                AutomationRun.automation == automation.code, AutomationRun.key == "sla")
            late = None
            for priority in Priority:
                cutoff = now - timedelta(minutes=sla_minutes(engine, priority))
                clause = (Item.priority == priority) & (Item.created_at <= cutoff)
                late = clause if late is None else late | clause
            items = Item.select().where(Item.first_response_at.is_null(True),
                                        Item.status.in_(ACTIVE), late, Item.id.not_in(done))
            keyed = ((item, "sla") for item in items)
        else:
            hours = float((automation.conditions or {}).get("hours", 24))
            items = Item.select().where(Item.updated_at <= now - timedelta(hours=hours),
                                        Item.status.in_(ACTIVE))
            keyed = ((item, f"elapsed:{clock.iso(item.updated_at)}") for item in items)
        for item, key in list(keyed):   # read first: no open cursor under the writes
            if matches(automation, item) and engine.fire(automation, item, key, now):
                fired += 1
    return fired
