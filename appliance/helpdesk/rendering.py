"""Rendering mail from templates: a sandboxed Jinja2 environment (templates are edited by
admins), the admin's appearance around every body, text and HTML from one source.

A template body is plain text with Jinja2 placeholders; the HTML part is that text, escaped
and split into paragraphs, inside the layout with the brand colour, header and signature.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import StrictUndefined, Template, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from appliance.settings import default as setting_default

TEMPLATE_DIR = Path(__file__).with_name("mailtemplates")


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs, every character escaped."""
    blocks = [b for b in str(text).replace("\r\n", "\n").split("\n\n") if b.strip()]
    br = Markup("<br>")
    return Markup("".join(
        f'<p style="margin:0 0 12px 0">{br.join(escape(line) for line in b.split(chr(10)))}</p>'
        for b in blocks))


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=select_autoescape(default=autoescape,
                                                            default_for_string=autoescape),
                               undefined=StrictUndefined, keep_trailing_newline=False)
    env.filters["paragraphs"] = paragraphs
    return env


TEXT_ENV = _environment(False)
HTML_ENV = _environment(True)


@dataclass
class Appearance:
    company_name: str
    display_name: str
    header: str
    signature: str
    brand_color: str

    @classmethod
    def load(cls, lookup) -> "Appearance":
        """``lookup(key)`` returns a setting's current value."""
        company = lookup("appearance.company_name")
        return cls(company_name=company, display_name=lookup("appearance.display_name"),
                   header=lookup("appearance.header"),
                   signature=lookup("appearance.signature").replace("{company}", company),
                   brand_color=lookup("appearance.brand_color"))

    @classmethod
    def defaults(cls) -> "Appearance":
        return cls.load(lambda key: setting_default(key, "example.com"))

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


def render_text(source: str, context: dict) -> str:
    return compiled(source).render(**context)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render_email(subject_source: str, body_source: str, context: dict,
                 appearance: Appearance) -> Rendered:
    """Subject and body from template sources, wrapped in the appearance layout."""
    subject = " ".join(render_text(subject_source, context).split())
    body = render_text(body_source, context).strip()
    outer = {"appearance": appearance, "item": context.get("item"), "subject": subject}
    text = compiled(default_source("layout", "txt")).render(content=body, **outer)
    html = compiled(default_source("layout", "html"), html=True).render(
        content=paragraphs(body), **outer)
    return Rendered(subject, text.strip() + "\n", html)
