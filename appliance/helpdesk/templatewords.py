"""Template mistakes in an admin's words.  Jinja2 says ``'dict object' has no attribute
'titel'`` or ``expected token 'end of print statement'``; the message center says
``Unknown property 'item.titel'. You can use: item.id, item.title, ...``.

The renderer's environments use :class:`NamedUndefined`, whose error keeps the name that
was looked up and what it was looked up on; :func:`explain` turns that (or a syntax
error) into a sentence naming what the admin wrote and the properties they may use.
"""
from __future__ import annotations

import re
from functools import partial
from typing import Any, Iterable

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.utils import missing


class UnknownName(UndefinedError):
    """A template used a name or property its data does not have; ``name`` is it,
    ``owner`` the value it was looked up on (``missing``: a top-level name)."""

    def __init__(self, message: str | None = None, name: Any = None,
                 owner: Any = missing) -> None:
        super().__init__(message)
        self.name, self.owner = name, owner


class NamedUndefined(StrictUndefined):
    """StrictUndefined whose error is an :class:`UnknownName`, worded for people."""
    __slots__ = ()

    def __init__(self, hint: str | None = None, obj: Any = missing, name: Any = None,
                 exc: type = UndefinedError) -> None:
        # the sandbox's refusals and a missing list element keep Jinja's words
        if exc is UndefinedError and not hint and isinstance(name, str):
            hint = _short(name, obj)
            exc = partial(UnknownName, name=name, owner=obj)
        super().__init__(hint, obj, name, exc)


def _short(name: Any, owner: Any) -> str:
    """The words when nothing else is known (a failure on real data)."""
    if owner is missing:
        return f"unknown property {name!r}"
    if isinstance(owner, dict):
        return f"unknown property {name!r}; here you can use: {', '.join(map(str, owner))}"
    return f"{name!r} is not a property of {_kind(owner)}"


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a text"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list (loop over it with {% for m in messages %})"
    return "this value"


def _written(name: str, line: str) -> str | None:
    """What the admin wrote before ``.name`` (``item`` of ``item.titel``), from the line."""
    found = re.search(rf"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(?:\.\s*{re.escape(name)}\b|"
                      rf"\[\s*['\"]{re.escape(name)}['\"]\s*\])", line)
    return found.group(1) if found else None


def unknown(exc: UnknownName, line: str, context: dict, properties: Iterable[str]) -> str:
    """``Unknown property 'item.titel'. You can use: item.id, item.title, ...``."""
    every = list(properties)
    name, owner = str(exc.name), exc.owner
    if owner is missing:
        return f"Unknown property '{name}'. You can use: {', '.join(every)}"
    prefix = _written(name, line) or next(
        (key for key, value in context.items() if value is owner), None)
    written = f"{prefix}.{name}" if prefix else name
    if not isinstance(owner, dict):
        return (f"Unknown property '{written}': {prefix or 'that'} is {_kind(owner)}, it has "
                f"no properties. You can use: {', '.join(every)}")
    if prefix in context:
        usable = [p for p in every if p.startswith(f"{prefix}.")] or \
            [f"{prefix}.{key}" for key in owner]
    else:   # a loop variable, e.g. m of {% for m in messages %}
        usable = [f"{prefix}.{key}" if prefix else str(key) for key in owner]
    return f"Unknown property '{written}'. You can use: {', '.join(usable)}"


_SYNTAX = [
    (r"unexpected end of template, expected 'end of print statement'",
     lambda m: "a {{ is not closed with }}"),
    (r"innermost block that needs to be closed is '(\w+)'",
     lambda m: f"{{% {m[1]} %}} is never closed: add {{% end{m[1]} %}}"),
    (r"Encountered unknown tag '(end\w+)'",
     lambda m: f"{{% {m[1]} %}} has no {{% {m[1][3:]} %}} before it to close"),
    (r"Encountered unknown tag '(\w+)'",
     lambda m: f"there is no tag {{% {m[1]} %}}; you can use if, elif, else, for and set"),
    (r"expected token 'end of print statement', got '([^']*)'",
     lambda m: f"unexpected '{m[1]}' inside {{{{ }}}}: write one property, e.g. "
               f"{{{{ item.title }}}}"),
    (r"unexpected '\}'", lambda m: "a } too many, or a {{ or {% not closed"),
    (r"unexpected char '([^']*)'", lambda m: f"the character {m[1]} cannot be used there"),
    (r"No filter named '([^']*)'", lambda m: f"there is no filter |{m[1]}"),
]


def syntax(exc: TemplateSyntaxError, properties: Iterable[str]) -> str:
    """A template that does not parse, in plain words, with the properties it may use."""
    reason = exc.message or "the template cannot be read"
    for pattern, words in _SYNTAX:
        found = re.search(pattern, reason)
        if found:
            reason = words(found)
            break
    return f"{reason}. The properties you can use: {', '.join(properties)}"
