"""The message center's templates: their defaults (files in ``mailtemplates/``), the
admin's edits (``TemplateOverride`` rows), the properties a template may insert, sample
data for previews, and validation that refuses a broken template with its line and reason.

Templates only ever see plain values (:mod:`appliance.helpdesk.context`), never database
objects, and render in Jinja2's sandbox under a budget (:mod:`appliance.helpdesk.sandbox`):
one that goes over it with the sample data is refused when it is saved, with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import SecurityError

from appliance import clock
from appliance.helpdesk import templatewords
from appliance.helpdesk.context import for_item
from appliance.helpdesk.models import Item, Message, TemplateOverride, db
from appliance.helpdesk.templatewords import UnknownName
from appliance.outbound.render import Appearance, Rendered, RenderError, default_source
from appliance.outbound.render import line_of, render_email, render_part
from appliance.helpdesk.sandbox import budget
from appliance.helpdesk.turn import remembered

MAX_SOURCE = 20_000   # characters of a subject or a body: mail templates are a page or two


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str          # relay | automated_message | automated_email | system_email
    title: str
    description: str
    stops: str = ""    # for system emails: what stops working when it is off


SPECS: dict[str, Spec] = {s.name: s for s in [
    Spec("relay", "relay", "Relay email",
         "Sent to a follower who has not seen new messages of an item within the relay delay: "
         "the item's overview and every message they may see, newest first."),
    Spec("auto_reply", "automated_message", "Auto-reply on a new ticket",
         "Posted as a public message on a new ticket, so the requester knows it arrived."),
    Spec("task_due_soon", "automated_email", "Task due soon",
         "Tells assignees that a task is due soon."),
    Spec("new_item", "automated_email", "New item",
         "Tells admins that a new item arrived."),
    Spec("assigned", "automated_email", "Assigned to you",
         "Tells an agent that an item was assigned to them, with its latest public "
         "message."),
    Spec("sla_breached", "automated_email", "SLA breached",
         "Tells assignees and admins that an item had no answer within its target time."),
    Spec("account_created", "system_email", "Account created",
         "Sent to a new agent or admin with a link to choose a password.",
         stops="New users get no link to set their password and cannot log in until an "
               "admin sets one for them."),
    Spec("password_reset", "system_email", "Password reset",
         "Sent when a user asks to reset a forgotten password.",
         stops="Users who forget their password can no longer reset it themselves."),
]}

# What a template may insert, as the panel's "insert a property" list shows them.
PROPERTIES: list[tuple[str, str]] = [
    ("item.id", "the item's number (the [#N] of subjects)"),
    ("item.title", "the item's title"), ("item.type", "ticket or task"),
    ("item.status", "open, pending, resolved, closed"),
    ("item.priority", "low, normal, high or urgent"), ("item.due_at", "the due date"),
    ("item.url", "link to the item in the panel (for agents and admins)"),
    ("requester.name", "the requester's name"), ("requester.email", "the requester's address"),
    ("assignee.name", "the assignee's name"), ("assignee.email", "the assignee's address"),
    ("recipient.name", "the name of the person the email goes to"),
    ("recipient.email", "the address the email goes to"),
    ("message.author", "who wrote the message"), ("message.body", "the message's text"),
    ("message.text", "the message's own words, its quoted history folded away"),
    ("message.summary", "the first words of message.text, on one line"),
    ("message.created_at | date", "when it was written, e.g. Wed, 2 Dec 2026, 09:59 (in "
                                  "the Appearance tab's timezone and language)"),
    ("messages", "every message the recipient may see, newest first, automatic ones left "
                 "out of the history (for loops; message.new: what this email brings)"),
    ("organisation.name", "your organisation's name"),
    ("link.url", "the set-password link (system emails)"),
    ("link.valid_hours", "how long that link works"),
]


def sample_context() -> dict:
    """Data for previews and for validating a template before it is saved."""
    now = clock.iso(clock.now())
    message = {"id": 1, "author": "Ben Carter", "body": "The printer on floor 2 is jammed.",
               "text": "The printer on floor 2 is jammed.",
               "summary": "The printer on floor 2 is jammed.", "created_at": now,
               "internal": False, "new": True}
    person = {"name": "Ben Carter", "email": "ben.carter@client.example"}
    return {
        "item": {"id": 42, "title": "Printer jammed", "type": "ticket", "status": "open",
                 "priority": "normal", "due_at": now,
                 "url": "http://helpdesk.example/items/42"},
        "requester": person, "assignee": {"name": "Maria Lopez", "email": "maria@acme.example"},
        "recipient": {**person, "is_user": False},
        "message": message, "messages": [message],
        "organisation": {"name": "Acme Support"},
        "link": {"url": "http://helpdesk.example/set-password/sample", "valid_hours": 48},
    }


class TemplateError(ValueError):
    """A template that cannot be saved; the message names the line and the reason."""


@dataclass
class Template:
    spec: Spec
    subject: str
    body: str
    enabled: bool
    customised: bool

    @property
    def name(self) -> str:
        return self.spec.name

    def to_json(self, body: bool = False) -> dict:
        doc = {"name": self.name, "kind": self.spec.kind, "subject": self.subject,
               "enabled": self.enabled, "title": self.spec.title,
               "description": self.spec.description, "customised": self.customised}
        if self.spec.stops:
            doc["disabling_stops"] = self.spec.stops
        if body:
            doc["body"] = self.body
        return doc


def spec(name: str) -> Spec:
    if name not in SPECS:
        raise TemplateError(f"no template {name!r}; templates are {', '.join(SPECS)}")
    return SPECS[name]


def get(name: str) -> Template:
    s = spec(name)
    row = remembered(("template", name), lambda: TemplateOverride.get_or_none(
        TemplateOverride.name == name))
    subject = row.subject if row and row.subject is not None else default_source(name,
                                                                                 "subject")
    body = row.body if row and row.body is not None else default_source(name, "body")
    customised = bool(row and (row.subject is not None or row.body is not None))
    return Template(s, subject, body, row.enabled if row else True, customised)


def all_templates() -> list[Template]:
    return [get(name) for name in SPECS]


def used_by(name: str, automations) -> list:
    """The automations whose actions use template ``name``, by code, each once."""
    return sorted((a for a in automations
                   if any(action.get("template") == name for action in a.actions)),
                  key=lambda a: a.code)


def usage(name: str, automations) -> tuple[list, list]:
    """(the enabled automations that use template ``name``, the disabled ones that would)."""
    users = used_by(name, automations)
    return [a for a in users if a.enabled], [a for a in users if not a.enabled]


def validate(subject: str, body: str) -> None:
    """Refuse a template that does not parse, does not render with sample data, or goes
    over its budget (steps, text, time) doing so; the reason names the part and line, and
    an unknown property by what the admin wrote, with the ones they may use."""
    for part, source in (("subject", subject), ("body", body)):
        if len(source) > MAX_SOURCE:
            raise TemplateError(f"{part}: at most {MAX_SOURCE:,} characters (this one has "
                                f"{len(source):,})")
    context = sample_context()
    with budget(context):     # subject and body share one budget, as in a real email
        for part, source in (("subject", subject), ("body", body)):
            try:
                render_part(part, source, context)
            except RenderError as exc:
                raise TemplateError(worded(exc, part, source, context)) from None
    if not subject.strip():
        raise TemplateError("subject: a subject is required")


def worded(exc: RenderError, part: str, source: str, context: dict) -> str:
    """A render failure of ``part`` in the admin's words (templatewords)."""
    cause, names = exc.__cause__, [name for name, _ in PROPERTIES]
    line = line_of(cause) if cause is not None else None
    where = f"{part}{f', line {line}' if line else ''}"
    if isinstance(cause, UnknownName):
        text = source.splitlines()[line - 1] if line and line <= len(source.splitlines()) \
            else source
        return f"{where}: {templatewords.unknown(cause, text, context, names)}"
    if isinstance(cause, TemplateSyntaxError):
        return f"{where}: {templatewords.syntax(cause, names)}"
    if isinstance(cause, SecurityError):
        return (f"{str(exc).rstrip('.')}; the properties you can insert are listed with "
                f"the template")
    return str(exc)


def save(name: str, subject: str, body: str) -> Template:
    spec(name)
    subject = subject.strip("\r\n")
    body = body.replace("\r\n", "\n").rstrip("\n")
    validate(subject, body)
    with db.atomic():
        row, _ = TemplateOverride.get_or_create(name=name)
        row.subject, row.body, row.updated_at = subject, body, clock.now()
        row.save()
    return get(name)


def reset(name: str) -> Template:
    """Back to the default text, byte for byte (the enabled switch stays as it is)."""
    spec(name)
    TemplateOverride.update(subject=None, body=None, updated_at=clock.now()).where(
        TemplateOverride.name == name).execute()
    return get(name)


def set_enabled(name: str, enabled: bool) -> Template:
    s = spec(name)
    if s.kind not in ("system_email", "relay"):
        raise TemplateError(f"{name} is used by automations: enable or disable the "
                            f"automation instead")
    with db.atomic():
        row, _ = TemplateOverride.get_or_create(name=name)
        row.enabled, row.updated_at = enabled, clock.now()
        row.save()
    return get(name)


def render(name: str, context: dict, appearance: Appearance) -> Rendered:
    template = get(name)
    return render_email(template.subject, template.body, context, appearance)


def preview_context(base_url: str, organisation: str) -> tuple[dict, bool]:
    """What previews show: the newest item with its requester and public messages (the
    last one as ``message``), as the requester would get them; with no item yet the
    sample data.  The flag is True for the sample, which the panel labels as such."""
    row = Item.select().order_by(Item.id.desc()).first()
    if row is None:
        context = sample_context()
        context["organisation"] = {"name": organisation}
        return context, True
    public = list(Message.select().where((Message.item == row) & ~Message.internal)
                  .order_by(Message.created_at.desc(), Message.id.desc()))
    context = for_item(row, row.requester, base_url, organisation,
                       public[0] if public else None, public)
    context["link"] = sample_context()["link"]   # system emails' link is made when sent
    return context, False


def preview(name: str, appearance: Appearance, subject: str | None = None,
            body: str | None = None, context: dict | None = None) -> Rendered:
    """A template (or an unsaved edit of it) rendered with ``context`` (default: the
    sample data), under the organisation name of ``appearance``."""
    template = get(name)
    context = dict(context or sample_context())
    context["organisation"] = {"name": appearance.company_name}
    return render_email(subject if subject is not None else template.subject,
                        body if body is not None else template.body, context, appearance)
