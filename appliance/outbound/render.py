"""Rendering mail from templates: a sandboxed Jinja2 environment with a budget (templates
are edited by admins; :mod:`appliance.helpdesk.sandbox`), the admin's appearance around
every body, text and HTML from one source.

A template body is plain text with Jinja2 placeholders; the HTML part is that text, escaped
and split into paragraphs, inside the layout with the brand colour, header and signature,
so both parts say the same words.  ``{{ value | date }}`` writes a moment in the admin's
timezone and language (:func:`appliance.dates.when`); the subject of mail about an item
carries its ``[#N]`` tag exactly once (:func:`appliance.helpdesk.subjects.tagged`).
Whatever goes wrong inside a template (it raises on this data, or it goes over its budget)
comes out as one :class:`RenderError` that names the part, the line and the reason, so the
caller can record it against that one email and go on with the next.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Template, TemplateSyntaxError, pass_context, select_autoescape
from markupsafe import Markup, escape

from appliance import dates
from appliance.helpdesk.sandbox import BudgetedEnvironment, budget, budgeted_filter
from appliance.helpdesk.subjects import tagged
from appliance.helpdesk.templatewords import NamedUndefined
from appliance.settings import default as setting_default

TEMPLATE_DIR = Path(__file__).with_name("mailtemplates")


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs, every character escaped."""
    blocks = [b for b in str(text).replace("\r\n", "\n").split("\n\n") if b.strip()]
    br = Markup("<br>")
    return Markup("".join(
        f'<p style="margin:0 0 12px 0">{br.join(escape(line) for line in b.split(chr(10)))}</p>'
        for b in blocks))


# The context key under which a render carries the appearance's (timezone, language).
DATE_STYLE = "_date_style"


@pass_context
def date(context, value) -> str:
    """A moment (ISO text or datetime) as people read it, in the timezone and language of
    the appearance the email is rendered with (UTC and English without one)."""
    tz, language = context.get(DATE_STYLE) or ("UTC", "en")
    return dates.when(value, tz, language)


def _environment(autoescape: bool) -> BudgetedEnvironment:
    env = BudgetedEnvironment(autoescape=select_autoescape(default=autoescape,
                                                           default_for_string=autoescape),
                              undefined=NamedUndefined, keep_trailing_newline=False)
    env.filters["paragraphs"] = budgeted_filter("paragraphs", paragraphs)
    env.filters["date"] = budgeted_filter("date", date)
    return env


TEXT_ENV = _environment(False)
HTML_ENV = _environment(True)


APPEARANCE_KEYS = ("appearance.company_name", "appearance.display_name", "appearance.header",
                   "appearance.signature", "appearance.brand_color", "appearance.timezone",
                   "appearance.language")


@dataclass
class Appearance:
    company_name: str
    display_name: str
    header: str
    signature: str
    brand_color: str
    timezone: str = "UTC"
    language: str = "en"

    @classmethod
    def load(cls, lookup) -> "Appearance":
        """``lookup(key)`` returns a setting's current value."""
        company = lookup("appearance.company_name")
        return cls(company_name=company, display_name=lookup("appearance.display_name"),
                   header=lookup("appearance.header"),
                   signature=lookup("appearance.signature").replace("{company}", company),
                   brand_color=lookup("appearance.brand_color"),
                   timezone=lookup("appearance.timezone"),
                   language=lookup("appearance.language"))

    @classmethod
    def defaults(cls) -> "Appearance":
        return cls.load(lambda key: setting_default(key, "example.com"))

    def when(self, value) -> str:
        """A moment in this appearance's timezone and language."""
        return dates.when(value, self.timezone, self.language)

    def from_name(self, agent: str | None) -> str:
        if agent:
            return self.display_name.format(agent=agent, company=self.company_name)
        return self.company_name


@lru_cache(maxsize=64)
def default_source(name: str, part: str) -> str:
    return (TEMPLATE_DIR / f"{name}.{part}").read_text(encoding="utf-8").rstrip("\n")


@lru_cache(maxsize=256)
def compiled(source: str, html: bool = False) -> Template:
    """Compiling is most of the cost of rendering; sources repeat, so keep them."""
    return (HTML_ENV if html else TEXT_ENV).from_string(source)


class RenderError(ValueError):
    """A template that cannot be rendered with this data; the message names the part, the
    line and the reason (``body, line 3: division by zero``)."""


def line_of(exc: BaseException) -> int | None:
    """The template line an exception was raised on, when it came from template code."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def failure(part: str, exc: BaseException) -> RenderError:
    line = line_of(exc)
    reason = exc.message if isinstance(exc, TemplateSyntaxError) else str(exc)
    if isinstance(exc, RecursionError):
        reason = "the template calls itself too deeply"
    elif not reason or isinstance(exc, (ArithmeticError, LookupError, MemoryError)):
        reason = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return RenderError(f"{part}{f', line {line}' if line else ''}: {reason}")


def render_part(part: str, source: str, context: dict, html: bool = False) -> str:
    """One template source rendered, or :class:`RenderError` naming ``part``."""
    try:
        return compiled(source, html).render(**context)
    except Exception as exc:   # anything an admin's template does wrong with this data
        raise failure(part, exc) from exc


def render_text(source: str, context: dict) -> str:
    return render_part("body", source, context)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


# The last line of every email about an item: what a reply to it does (the rules are in
# helpdesk/threading.py and docs/message-center.md).
FOOTERS = {
    "customer": "Reference [#{id}]: reply to this email to add to the conversation.",
    "public": "Reference [#{id}]: your reply to this email is sent to the customer as a "
              "public answer.",
    "staff": "Reference [#{id}]: this email is for staff only. Your reply is added as an "
             "internal note; the customer never sees it. To answer the customer, use the "
             "panel.",
}


def render_email(subject_source: str, body_source: str, context: dict,
                 appearance: Appearance, footer: str = "customer") -> Rendered:
    """Subject and body from template sources, wrapped in the appearance layout, under one
    budget; :class:`RenderError` when any of it fails.  ``footer``: ``customer`` (mail to
    a customer), ``public`` (customer-facing mail to an agent: a reply is a public answer)
    or ``staff`` (staff-only mail: a reply is an internal note)."""
    context = {**context, DATE_STYLE: (appearance.timezone, appearance.language)}
    with budget(context):
        subject = " ".join(render_part("subject", subject_source, context).split())
        body = render_part("body", body_source, context).strip()
        item = context.get("item")
        if item:
            subject = tagged(item["id"], subject)
        outer = {"appearance": appearance, "item": item, "subject": subject,
                 "footer": FOOTERS[footer].format(id=item["id"]) if item else ""}
        text = render_part("layout", default_source("layout", "txt"),
                           {"content": body, **outer})
        html = render_part("layout", default_source("layout", "html"),
                           {"content": paragraphs(body), **outer}, html=True)
    return Rendered(subject, text.strip() + "\n", html)
