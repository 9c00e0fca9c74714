"""Automations: rules stored as data (trigger, conditions, actions), described in words,
evaluated by the worker for events and by the scheduler for time.

Each firing is recorded in ``AutomationRun`` under a key (the event, or the time trigger's
moment) inside the same transaction as its actions, so a restart or a second worker never
fires it twice.  Automations never fire for automated mail, nor on their own output.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from peewee import JOIN, IntegrityError, chunked

from appliance import clock
from appliance.helpdesk import context as ctx
from appliance.helpdesk import following, protection, relay, statements, templates
from appliance.helpdesk.models import (Automation, AutomationRun, Event, Follower, Item,
                                       Message, Person, User, db, with_item)
from appliance.outbound.render import RenderError, render_text
from appliance.statuses import ItemStatus, Priority, words

log = logging.getLogger("appliance.automations")

TRIGGERS = {
    "item_created": "an item is created",
    "message_posted": "a message is posted",
    "status_changed": "an item's status changes",
    "item_assigned": "an item is assigned to an agent",
    "customer_replied": "a customer replies by mail (not an agent, not automated mail)",
    "due_soon": "a task's due date is near",
    "sla_breached": "an item passes its SLA target for a first answer",
    "time_elapsed": "an item has not changed for a while",
}
RECIPIENTS = ("requester", "followers", "assignees", "admins")
# automated mail never reaches the people someone else put in Cc (helpdesk/following.py)
FOLLOWERS_WORDS = "the requester and following agents"
FIELDS = ("status", "priority")
EVENTS_PER_TRANSACTION = 25

DEFAULTS = [
    dict(code="A02", name="Auto-reply on new ticket", trigger="item_created",
         conditions={"type": ["ticket"], "channel": ["email"], "requester_known": True},
         actions=[{"do": "post_message", "template": "auto_reply", "internal": False}],
         enabled=True),
    dict(code="A05", name="Task due soon", trigger="due_soon",
         conditions={"type": ["task"]},
         actions=[{"do": "send_email", "template": "task_due_soon", "to": "assignees"}],
         enabled=True),
    dict(code="A08", name="Assigned to you", trigger="item_assigned", conditions={},
         actions=[{"do": "send_email", "template": "assigned", "to": "assignees"}],
         enabled=True),
    dict(code="A12", name="New ticket: tell the admins", trigger="item_created",
         conditions={"type": ["ticket"]},
         actions=[{"do": "send_email", "template": "new_item", "to": "admins"}],
         enabled=False),
    dict(code="A13", name="New task: tell the admins", trigger="item_created",
         conditions={"type": ["task"]},
         actions=[{"do": "send_email", "template": "new_item", "to": "admins"}],
         enabled=False),
    dict(code="A21", name="SLA breached", trigger="sla_breached", conditions={},
         actions=[{"do": "send_email", "template": "sla_breached", "to": "assignees"},
                  {"do": "send_email", "template": "sla_breached", "to": "admins"}],
         enabled=False),
]


def install_defaults() -> int:
    """Create the default automations that do not exist yet (init and migration)."""
    created = 0
    for spec in DEFAULTS:
        _, new = Automation.get_or_create(code=spec["code"], defaults={
            **{k: v for k, v in spec.items() if k != "code"}, "builtin": True})
        created += new
    return created


# -- words -------------------------------------------------------------------------------

def _conditions_words(conditions: dict) -> str:
    parts = []
    if conditions.get("type"):
        parts.append(" or ".join(conditions["type"]))
    words = []
    if conditions.get("channel"):
        words.append("from " + " or ".join(conditions["channel"]))
    if conditions.get("status"):
        words.append("with status " + " or ".join(conditions["status"]))
    if conditions.get("priority"):
        words.append("with priority " + " or ".join(conditions["priority"]))
    if conditions.get("requester_known"):
        words.append("with a known requester")
    if conditions.get("hours"):
        words.append(f"after {conditions['hours']} hours without change")
    return " ".join(parts + words)


def _action_words(action: dict) -> str:
    title = templates.SPECS[action["template"]].title if action.get("template") else ""
    if action["do"] == "post_message":
        kind = "an internal note" if action.get("internal") else "a public message"
        return (f"posts {kind} \"{title}\" in the conversation"
                + ("" if action.get("internal") else " (the requester and following agents "
                                                     "get it through the relay)"))
    if action["do"] == "send_email":
        to = action["to"][len("address:"):] if action["to"].startswith("address:") \
            else FOLLOWERS_WORDS if action["to"] == "followers" else f"the {action['to']}"
        return f"emails \"{title}\" to {to}"
    if action["do"] == "set_field":
        return f"sets {action['field']} to {action['value']}"
    return action["do"]


def describe(automation: Automation) -> str:
    """When it fires, to whom it goes and what it says, in one sentence."""
    what = _conditions_words(automation.conditions or {})
    when = TRIGGERS.get(automation.trigger, automation.trigger)
    if what:
        when = when.replace("an item", f"a {what}", 1).replace("a task", f"a {what}", 1) \
            if "item" in when or "task" in when else f"{when} ({what})"
    actions = "; ".join(_action_words(a) for a in automation.actions or [])
    return f"When {when}: {actions}."


def to_json(automation: Automation) -> dict:
    return {"code": automation.code, "name": automation.name, "enabled": automation.enabled,
            "trigger": automation.trigger, "description": describe(automation),
            "conditions": automation.conditions, "actions": automation.actions,
            "templates": sorted({a["template"] for a in automation.actions
                                 if a.get("template")})}


def _template_of(automation: Automation) -> str:
    """The words naming the template that failed (the automation's, the one it names)."""
    names = [a["template"] for a in automation.actions or [] if a.get("template")]
    return f"template {names[0]}" if len(set(names)) == 1 else \
        f"one of the templates {', '.join(dict.fromkeys(names))}"


class AutomationError(ValueError):
    """An automation that cannot be saved or switched; the message says why."""


CHANNELS = ("email", "panel", "cli")
MAX_HOURS = 24 * 365


def find(code: str) -> Automation:
    automation = Automation.get_or_none(Automation.code == code.upper())
    if automation is None:
        codes = ", ".join(a.code for a in Automation.select().order_by(Automation.code))
        raise AutomationError(f"no automation {code.upper()}; automations are {codes}")
    return automation


def set_enabled(code: str, enabled: bool) -> Automation:
    """Turn an automation on or off (the command line and the panel)."""
    automation = find(code)
    Automation.update(enabled=enabled).where(Automation.code == automation.code).execute()
    automation.enabled = enabled
    return automation


def check(trigger: str, conditions: dict, actions: list[dict]) -> list[str]:
    """Everything wrong with this logic, in words (empty: it can be saved)."""
    from appliance import addresses
    from appliance.helpdesk.models import ItemType
    errors = []
    if trigger not in TRIGGERS:
        errors.append(f"Trigger: choose one of {', '.join(TRIGGERS)}.")
    allowed = {"type": [t.name for t in ItemType.select().order_by(ItemType.name)],
               "channel": list(CHANNELS), "status": words(ItemStatus),
               "priority": words(Priority)}
    for key, values in conditions.items():
        if key in allowed:
            if not isinstance(values, list):
                errors.append(f"Condition {key}: a list of {', '.join(allowed[key])}.")
                continue
            wrong = [str(v) for v in values if v not in allowed[key]]
            if wrong:
                errors.append(f"Condition {key}: {', '.join(wrong)} "
                              f"{'is' if len(wrong) == 1 else 'are'} not one of "
                              f"{', '.join(allowed[key])}.")
        elif key == "requester_known":
            if not isinstance(values, bool):
                errors.append("Condition requester_known: yes or no.")
        elif key == "hours":
            if trigger != "time_elapsed":
                errors.append("Hours without change: only for the trigger \"an item has "
                              "not changed for a while\"; leave it empty for this trigger.")
            elif not isinstance(values, (int, float)) or not 0 < values <= MAX_HOURS:
                errors.append(f"Hours without change: a number from 1 to {MAX_HOURS}.")
        else:
            errors.append(f"Unknown condition {key!r}.")
    if trigger == "time_elapsed" and "hours" not in conditions:
        errors.append("Hours without change: required for the trigger \"an item has not "
                      "changed for a while\" (e.g. 72).")
    if not actions:
        errors.append("Actions: add at least one action (what the automation does).")
    kinds = {"post_message": "automated_message", "send_email": "automated_email"}
    for number, action in enumerate(actions, 1):
        where = f"Action {number}"
        do = action.get("do")
        if do in kinds:
            name = action.get("template")
            spec = templates.SPECS.get(name or "")
            if spec is None or spec.kind != kinds[do]:
                choices = [s.name for s in templates.SPECS.values() if s.kind == kinds[do]]
                errors.append(f"{where}: choose the template, one of {', '.join(choices)}.")
        if do == "post_message":
            if not isinstance(action.get("internal", False), bool):
                errors.append(f"{where}: public or internal?")
        elif do == "send_email":
            to = action.get("to") or ""
            if to.startswith("address:"):
                if not addresses.normalize(to[len("address:"):]):
                    errors.append(f"{where}: {to[len('address:'):]!r} is not an email "
                                  f"address.")
            elif to not in RECIPIENTS:
                errors.append(f"{where}: send it to the {', '.join(RECIPIENTS)} or to an "
                              f"address.")
        elif do == "set_field":
            field = action.get("field")
            choices = {"status": words(ItemStatus), "priority": words(Priority)}.get(field)
            if choices is None:
                errors.append(f"{where}: the field to set is {' or '.join(FIELDS)}.")
            elif action.get("value") not in choices:
                errors.append(f"{where}: {field} can be set to {', '.join(choices)}.")
        elif do not in kinds:
            errors.append(f"{where}: choose what it does (post a message, send an email, "
                          f"set a field).")
    return errors


def save(code: str, name: str, trigger: str, conditions: dict, actions: list[dict]
         ) -> Automation:
    """Change an automation's name and logic; refused as a whole when anything is wrong."""
    automation = find(code)
    name = (name or "").strip()
    errors = [] if name else ["Name: required."]
    if len(name) > 100:
        errors.append("Name: at most 100 characters.")
    errors += check(trigger, conditions, actions)
    if errors:
        raise AutomationError(" ".join(errors))
    automation.name, automation.trigger = name, trigger
    automation.conditions, automation.actions = conditions, actions
    automation.save()
    return automation


# -- matching ---------------------------------------------------------------------------

def matches(automation: Automation, item: Item) -> bool:
    cond = automation.conditions or {}
    if item.automated:
        return False   # never for automated mail
    checks = (("type", item.type.name), ("channel", item.channel), ("status", item.status),
              ("priority", item.priority))
    for key, value in checks:
        if cond.get(key) and value not in cond[key]:
            return False
    if cond.get("requester_known") and item.requester_id is None:
        return False
    return True


# -- firing -----------------------------------------------------------------------------

class Engine:
    """Runs automations with a mailer (for emails) and the relay delay (for messages)."""

    def __init__(self, mailer) -> None:
        self.mailer = mailer

    def setting(self, key: str) -> Any:
        """A setting, typed (the mailer reads it at most once a second)."""
        return self.mailer.setting(key)

    def fire(self, automation: Automation, item: Item, key: str, now: datetime,
             message: Message | None = None, event: Event | None = None) -> str | None:
        """Run ``automation`` once for (item, key); None when it had already fired."""
        try:
            with db.atomic():
                run = statements.insert(AutomationRun, automation=automation.code,
                                        item=item, key=key, at=now)
                try:
                    with db.atomic():   # savepoint: a failed run leaves nothing half done
                        outcomes = [self._act(automation, action, item, now, message,
                                              event) for action in automation.actions]
                    run.outcome = "; ".join(outcomes)
                except RenderError as exc:
                    # this item's data breaks the template: this run fails, recorded with
                    # the reason for the panel; the next event and item go on as usual
                    run.error = f"{_template_of(automation)}: {exc}"
                    run.outcome = f"failed: {run.error}"
                statements.update(run, AutomationRun.outcome, AutomationRun.error)
        except IntegrityError:
            return None
        (log.warning if run.error else log.info)(
            "automation %s fired item=%s key=%s: %s", automation.code, item.id, key,
            run.outcome)
        return run.outcome

    def _refusal(self, person: Person, item: Item, now: datetime) -> str | None:
        return protection.refusal_by(self.mailer, person.email, item.id, now)

    def _suppressed(self, person: Person, subject: str, item: Item, now: datetime, kind: str,
                    reason: str, message: Message | None = None) -> None:
        """The outgoing log shows the email protection kept back, with the reason."""
        context = ctx.for_item(item, person, self.mailer.cfg.public_url,
                               self.mailer.appearance().company_name, message)
        self.mailer.suppress(to=person, subject_source=subject, context=context, kind=kind,
                             item=item, reason=f"not sent: {reason}")

    def _act(self, automation: Automation, action: dict, item: Item, now: datetime,
             message: Message | None, event: Event | None = None) -> str:
        do = action["do"]
        if do == "post_message":
            return self._post(automation, action, item, now)
        if do == "send_email":
            return self._email(automation, action, item, now, message, event)
        if do == "set_field" and action.get("field") in FIELDS:
            old = getattr(item, action["field"])
            setattr(item, action["field"], action["value"])
            item.save()
            if action["field"] == "status" and old != action["value"]:
                Event.create(kind="status_changed", item=item, automation=automation.code,
                             detail={"from": old, "to": action["value"]}, at=now)
            return f"{action['field']} set to {action['value']}"
        return f"unknown action {do!r} skipped"

    def _post(self, automation: Automation, action: dict, item: Item, now: datetime) -> str:
        internal = bool(action.get("internal"))
        if not internal and item.requester is not None:
            why = self._refusal(item.requester, item, now)
            if why:
                self._suppressed(item.requester, templates.get("relay").subject, item, now,
                                 "relay_automated", f"{automation.code}: {why}")
                return f"no message posted: {why}"
        context = ctx.for_item(item, item.requester, self.mailer.cfg.public_url,
                               self.mailer.appearance().company_name)
        template = templates.get(action["template"])
        body = render_text(template.body, context).strip()
        posted = statements.insert(Message, item=item, author=None, body=body,
                                   internal=internal, automation=automation.code,
                                   created_at=now)
        statements.insert(Event, kind="message_posted", item=item, message=posted,
                          automation=automation.code, at=now)
        relay.enqueue(posted, self.setting("relay.delay_seconds"))
        return f"message {posted.id} posted"

    def _recipients(self, to: str, item: Item) -> list[Person]:
        if to == "requester":
            return [item.requester] if item.requester else []
        if to == "followers":   # never the people someone else put in Cc
            return [p for p in Person.select().join(Follower).where(Follower.item == item)
                    if following.gets_automated(item, p)]
        if to == "assignees":
            return [item.assignee] if item.assignee else []
        if to == "admins":
            return list(Person.select().join(User).where(User.role == "admin",
                                                          User.active == True))  # noqa
        if to.startswith("address:"):
            from appliance.addresses import Person as Address
            from appliance.helpdesk import people
            return [people.get(Address(to[len("address:"):]))]
        return []

    def _email(self, automation: Automation, action: dict, item: Item, now: datetime,
               message: Message | None, event: Event | None = None) -> str:
        template = templates.get(action["template"])
        results = []
        # whoever made the change knows: an agent taking an item is not told of it
        actor = (event.detail or {}).get("by") if event is not None else None
        for person in self._recipients(action["to"], item):
            if actor is not None and person.id == actor:
                results.append(f"not sent to {person.email}: they made the change")
                continue
            why = self._refusal(person, item, now)
            if why:
                self._suppressed(person, template.subject, item, now, "automated",
                                 f"{automation.code}: {why}", message)
                results.append(f"not sent to {person.email}: {why}")
                continue
            context = ctx.for_item(item, person, self.mailer.cfg.public_url,
                                   self.mailer.appearance().company_name, message)
            self.mailer.send(to=person, subject_source=template.subject,
                             body_source=template.body, context=context, kind="automated",
                             item=item, auto_submitted="auto-generated")
            results.append(f"emailed {person.email}")
        return ", ".join(results) or f"nobody to email ({action['to']})"

    # -- the worker's entry points ------------------------------------------------------

    def process_events(self, now: datetime | None = None, limit: int = 200) -> int:
        """Look at new events once each; returns how many automations fired."""
        now = now or clock.now()
        fired = 0
        by_trigger: dict[str, list[Automation]] = {}
        for automation in Automation.select().where(Automation.enabled == True):  # noqa
            by_trigger.setdefault(automation.trigger, []).append(automation)
        # a list, not a cursor: an open SELECT would pin a stale SQLite read snapshot under
        # the writes below ("database is locked" at once, without the busy wait)
        events = list(with_item(Event.select(Event, Message)
                                .join(Message, JOIN.LEFT_OUTER).switch(Event))
                      .where(Event.processed == False)  # noqa: E712
                      .order_by(Event.id).limit(limit))
        # EVENTS_PER_TRANSACTION events a commit (each run in its own savepoint): a burst's
        # events cost a few commits, not two each, and the write lock changes hands
        # between the batches, so intake goes on beside them
        for batch in chunked(events, EVENTS_PER_TRANSACTION):
            with db.atomic():
                for event in batch:
                    if event.automation is None and not event.detail.get("automated"):
                        for automation in by_trigger.get(event.kind, []):
                            if matches(automation, event.item) and self.fire(
                                    automation, event.item, f"event:{event.id}", now,
                                    event.message, event):
                                fired += 1
                Event.update(processed=True).where(
                    Event.id.in_([e.id for e in batch])).execute()
        return fired
