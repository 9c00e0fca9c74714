"""The sandbox every mail template renders in: Jinja2's immutable sandbox (templates are
written in the panel and must reach neither the database nor the process) plus a budget, so
that no template, however it is written, holds a web thread or the worker for long or
fills memory.

One render (or one email: subject, body and layout together) may take ``MAX_STEPS`` steps
(a loop turn, a call, a filter, a lookup, an operator; a container that is built costs a
step per 16 elements), produce or build ``MAX_KB`` of text beyond three times the data it was
given, and run ``MAX_SECONDS``.  Past any of them it stops with :class:`TemplateBudgetError`,
which says which.  What could build a huge value in a single operation (``'x' * 10**9``,
``'%999999999s'``, ``s.center(10**9)``, ``replace``/``join``/``indent`` that multiply, the
text of a big list) is measured before it runs.  Counting costs a few percent for normal
templates (``bench/template_render.py``).
"""
from __future__ import annotations

import functools
import re
import threading
import time
from contextlib import contextmanager
from itertools import islice
from string import Formatter
from typing import Any, Iterator

from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.runtime import LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, modifies_known_mutable
from jinja2.utils import Namespace

MAX_STEPS = 100_000
MAX_KB = 1024
MAX_SECONDS = 1.0
MAX_INT_BITS = 4096        # numbers a template may compute (about 1,200 digits)
MACRO_STEPS = 10           # a macro call costs about ten lookups
BUILT_PER_STEP = 16        # elements of a built list (split, range, list) per step
CHECK_CLOCK_EVERY = 1000   # steps between two looks at the clock
CONTAINERS = (list, tuple, dict, set, frozenset, Namespace)
try:   # the names of the methods that change a container, as the immutable sandbox has them
    from jinja2.sandbox import _mutable_spec
    _MUTATING = frozenset().union(*(names for _, names in _mutable_spec))
except ImportError:  # pragma: no cover - a later Jinja2: check every name
    _MUTATING = type("Everything", (), {"__contains__": lambda self, name: True})()


class TemplateBudgetError(Exception):
    """A template went over its budget; the message says which limit and how to stay in."""


class Budget:
    """What one render may still do.  The allowance for the data (three times its text) is
    only weighed when the base allowance runs out, which normal templates never reach."""
    __slots__ = ("steps", "chars", "max_chars", "deadline", "check_at", "data")

    def __init__(self, data: Any = None) -> None:
        self.steps = self.chars = 0
        self.max_chars = MAX_KB * 1024
        self.data = data
        self.deadline = time.monotonic() + MAX_SECONDS
        self.check_at = CHECK_CLOCK_EVERY

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps >= self.check_at:
            if self.steps > MAX_STEPS:
                raise TemplateBudgetError(
                    f"the template needs more than {MAX_STEPS:,} steps (loop turns, "
                    f"lookups, calls); loop over fewer things")
            if time.monotonic() > self.deadline:
                raise TemplateBudgetError(f"the template takes longer than {MAX_SECONDS:g} "
                                          f"seconds to render")
            self.check_at = min(self.steps + CHECK_CLOCK_EVERY, MAX_STEPS + 1)

    def room(self) -> int:
        return self.max_chars - self.chars

    def _grow(self) -> bool:
        if self.data is None:
            return False
        data, self.data = self.data, None
        self.max_chars += 3 * weight(data, 64 * 1024 * 1024)
        return True

    def need(self, n: int) -> None:
        """Refuse unless ``n`` more characters fit."""
        if n > self.room() and (not self._grow() or n > self.room()):
            raise TemplateBudgetError(f"the template produces more than "
                                      f"{self.max_chars // 1024:,} KB of text")

    def text(self, n: int) -> None:
        """``n`` more characters produced or built."""
        self.need(n)
        self.chars += n

    def weigh(self, value: Any) -> None:
        """Refuse a container whose text (``str(value)``) would not fit what is left."""
        size = weight(value, self.room())
        if size > self.room() and self._grow():
            size = weight(value, self.room())
        self.need(size)


class _Current(threading.local):
    budget: Budget | None = None


_current = _Current()


def weight(value: Any, limit: int) -> int:
    """About how many characters ``str(value)`` takes, counted no further than ``limit``
    (so measuring costs at most ``limit`` steps, however the value nests or repeats)."""
    total, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(v)
            if total <= limit:
                stack.extend(v)
        elif isinstance(v, dict):
            total += 2 + 4 * len(v)
            if total <= limit:
                stack.extend(v.keys())
                stack.extend(v.values())
        elif isinstance(v, Namespace):
            stack.append(v._Namespace__attrs)
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 1
        else:
            total += 8
        if total > limit:
            break
    return total


@contextmanager
def budget(data: Any = None) -> Iterator[Budget]:
    """One budget for what renders inside (an email's subject, body and layout); nested
    uses share the outer one."""
    if _current.budget is not None:
        yield _current.budget
        return
    _current.budget = Budget(data)
    try:
        yield _current.budget
    finally:
        _current.budget = None


# --- single operations that could build a huge value: measured before they run -----------

_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _format_size(spec_numbers: list[str], b: Budget) -> None:
    for number in spec_numbers:
        if number == "*":
            raise TemplateBudgetError("a width from the arguments (*) is not available in "
                                      "templates; write the number")
        b.need(int(number))


def _percent(fmt: str, b: Budget) -> None:
    _format_size([n for match in _PERCENT.finditer(fmt) for n in match.groups() if n], b)


def _braces(fmt: str, b: Budget) -> None:
    for _, _, spec, _ in Formatter().parse(fmt):
        if spec and "{" in spec:
            raise TemplateBudgetError("a width from the arguments ({:{w}}) is not available "
                                      "in templates; write the number")
        _format_size(re.findall(r"\d+", spec or ""), b)


def _replace(s: str, old: str, new: str, count: int = -1) -> int:
    hits = s.count(old) if old else len(s) + 1
    if count is not None and 0 <= count < hits:
        hits = count
    return len(s) + hits * max(len(new) - len(old), 0)


def _joined(items: list, sep: str, b: Budget) -> None:
    b.step(len(items))
    b.weigh(items)
    b.text(max(len(items) - 1, 0) * len(sep))


def _check_method(b: Budget, method: Any, args: tuple, kwargs: dict) -> tuple:
    """Measure a str method before it runs; returns the arguments to call it with."""
    s, name = method.__self__, method.__name__
    if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
        b.text(max(args[0] - len(s), 0))
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        b.text(s.count("\t") * max(int(tab), 0))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) \
            and isinstance(args[1], str):
        b.text(_replace(s, args[0], args[1], int(args[2]) if len(args) > 2 else -1))
    elif name == "join" and args:
        items = list(args[0])
        _joined(items, s, b)
        return (items,) + args[1:]
    elif name in ("translate", "maketrans"):
        raise TemplateBudgetError(f"str.{name} is not available in templates")
    return args


def _binop(b: Budget, op: str, left: Any, right: Any) -> None:
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and n > 0:
                if isinstance(seq, str):
                    b.text(len(seq) * n)
                else:
                    b.step(len(seq) * n)
                    b.need(weight(seq, b.room()) * n)
        if isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateBudgetError(f"the template computes a number of more than "
                                      f"{MAX_INT_BITS} bits")
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and \
                abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
            raise TemplateBudgetError(f"the template computes a number of more than "
                                      f"{MAX_INT_BITS} bits")
    elif op == "%" and isinstance(left, str):
        _percent(left, b)
        if isinstance(right, CONTAINERS):
            b.weigh(right)
    elif op == "+" and isinstance(left, str) and isinstance(right, str):
        b.text(len(left) + len(right))
    elif op == "+" and isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        b.step(len(left) + len(right))


def _built(b: Budget, value: Any) -> None:
    """Charge a value an operation built: text by its length, a container by its size (a
    step per BUILT_PER_STEP elements: building is one C loop, not a step per element)."""
    if isinstance(value, str):
        b.text(len(value))
    elif isinstance(value, (list, tuple, dict, set, frozenset, range)):
        b.step(1 + len(value) // BUILT_PER_STEP)


# filters whose arguments say how much they build
def _filter_check(name: str, b: Budget, value: Any, args: tuple, kwargs: dict) -> tuple:
    text = value if isinstance(value, str) else None
    if name == "center" and text is not None:
        width = args[0] if args else kwargs.get("width", 80)
        b.text(max(int(width) - len(text), 0))
    elif name == "indent" and text is not None:
        width = args[0] if args else kwargs.get("width", 4)
        size = len(width) if isinstance(width, str) else int(width)
        b.text((text.count("\n") + 1) * max(size, 0))
    elif name == "wordwrap" and text is not None:
        width = int(args[0] if args else kwargs.get("width", 79))
        wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring") or "\n"
        b.text((len(text) // max(width, 1) + text.count("\n") + 1) * len(str(wrap)))
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        b.text(_replace(str(value), str(args[0]), str(args[1]),
                        -1 if count is None else int(count)))
    elif name == "join":
        value = list(value)
        _joined(value, str(args[0] if args else kwargs.get("d", "")), b)
    elif name == "format" and text is not None:
        _percent(text, b)
    elif name in ("batch", "slice"):
        b.step(abs(int(args[0] if args else kwargs.get("linecount", kwargs.get("slices", 1)))))
    elif name == "tojson":
        indent = args[0] if args else kwargs.get("indent")
        if indent:
            b.text(weight(value, b.room()) * int(indent))
    elif name == "sum":
        start = args[1] if len(args) > 1 else kwargs.get("start", 0)
        if not isinstance(start, (int, float)):
            raise TemplateBudgetError("the sum filter adds numbers only (start=0)")
    return value


def budgeted_filter(name: str, func: Any) -> Any:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        b = _current.budget
        if b is None or len(args) <= skip:
            return func(*args, **kwargs)
        value = args[skip]
        if isinstance(value, str):
            b.step(1 + len(value) // 100)
        elif isinstance(value, CONTAINERS):
            b.step(1 + len(value) if not isinstance(value, Namespace) else 1)
            b.weigh(value)
        else:
            b.step()
        checked = _filter_check(name, b, value, args[skip + 1:], kwargs)
        if checked is not value:
            args = args[:skip] + (checked,) + args[skip + 1:]
        result = func(*args, **kwargs)
        _built(b, result)
        return result
    return wrapper


# --- the environment ------------------------------------------------------------------

def _step_node(lineno: int) -> nodes.Call:
    """A call of ``environment.budget_step()`` (true, so it can lead a loop's ``if``);
    templates cannot write one, so the generator below knows it for its own."""
    return nodes.Call(nodes.EnvironmentAttribute("budget_step", lineno=lineno), [], [],
                      None, None, lineno=lineno)


class BudgetedCodeGenerator(CodeGenerator):
    """Jinja2's code generator with a budget step in every loop turn (filtered out ones
    included) and ``~`` measured before it joins."""

    def visit_For(self, node: nodes.For, frame) -> None:
        node.body = [nodes.ExprStmt(_step_node(node.lineno), lineno=node.lineno)] \
            + list(node.body)
        if node.test is not None:
            node.test = nodes.And(_step_node(node.lineno), node.test, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame, forward_caller: bool = False) -> None:
        if isinstance(node.node, nodes.EnvironmentAttribute) and \
                node.node.name == "budget_step":
            self.write("environment.budget_step()")   # straight, not through the sandbox
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        markup = ("context.eval_ctx.volatile" if frame.eval_ctx.volatile
                  else repr(bool(frame.eval_ctx.autoescape)))
        self.write(f"environment.budget_join({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BudgetedTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        """Under the current budget, or a budget of its own."""
        if _current.budget is not None:
            return super().render(*args, **kwargs)
        with budget(kwargs if not args else dict(*args, **kwargs)):
            return super().render(*args, **kwargs)


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: the text of a container is measured before it is made."""
    if isinstance(value, CONTAINERS):
        b = _current.budget
        if b is not None:
            b.weigh(value)
    return value


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the budget: every hook of the sandbox (calls, lookups, operators)
    plus loop turns, filters and every join of output counts against the current
    :class:`Budget`."""
    code_generator_class = BudgetedCodeGenerator
    template_class = BudgetedTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.globals.pop("lipsum", None)   # n paragraphs of filler: nothing a mail needs
        self.filters = {name: budgeted_filter(name, f) for name, f in self.filters.items()}

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        """Compiling folds constant expressions (filters with constant arguments run
        then): under a budget like a render."""
        with budget():
            return super().compile(*args, **kwargs)

    def budget_step(self) -> bool:
        b = _current.budget
        if b is not None:
            b.step()
        return True

    def budget_join(self, markup: bool, parts: tuple) -> str:
        b = _current.budget
        if b is not None:
            b.step()
            for part in parts:
                if isinstance(part, CONTAINERS):
                    b.weigh(part)
            b.text(sum(len(p) for p in parts if isinstance(p, str)))
        return (markup_join if markup else str_join)(parts)

    def concat(self, chunks) -> str:  # type: ignore[override]
        """Every join of output (the render, a macro, a ``set`` block) counts its text."""
        b = _current.budget
        if b is None:
            return "".join(chunks)
        if isinstance(chunks, list):             # a macro's or a block's buffer
            b.text(sum(map(len, chunks)))
            return "".join(chunks)
        out: list[str] = []                      # the render itself: a batch at a time
        while True:
            batch = list(islice(chunks, 64))
            b.text(sum(map(len, batch)))
            out += batch
            if len(batch) < 64:
                return "".join(out)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The immutable sandbox's check, with its slow part (four abstract-class checks)
        only for the names of methods that change a list, dict, set or deque."""
        if attr.startswith("_") or not super(ImmutableSandboxedEnvironment, self) \
                .is_safe_attribute(obj, attr, value):
            return False
        return attr not in _MUTATING or not modifies_known_mutable(obj, attr)

    # the two hottest hooks count inline: a method call per lookup shows in the benchmark
    def getattr(self, obj: Any, attribute: str) -> Any:
        b = _current.budget
        if b is not None:
            b.steps += 1
            if b.steps >= b.check_at:
                b.step(0)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        b = _current.budget
        if b is not None:
            b.steps += 1
            if b.steps >= b.check_at:
                b.step(0)
        return super().getitem(obj, argument)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        b = _current.budget
        if b is None:
            return super().call_binop(context, operator, left, right)
        b.step()
        _binop(b, operator, left, right)
        result = super().call_binop(context, operator, left, right)
        _built(b, result)
        return result

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        b = _current.budget
        if b is None:
            return super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, (Macro, LoopContext)):   # their output is counted when joined
            b.step(MACRO_STEPS)
            return super().call(__context, __obj, *args, **kwargs)
        b.step()
        for arg in args + tuple(kwargs.values()):
            if isinstance(arg, CONTAINERS):
                b.weigh(arg)
        method = getattr(__obj, "__wrapped__", __obj)   # str.format comes wrapped
        if isinstance(getattr(method, "__self__", None), str):
            b.step(len(method.__self__) // 100)    # str methods walk their text
            if method.__name__ in ("format", "format_map"):
                _braces(method.__self__, b)
            else:
                args = _check_method(b, method, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _built(b, result)
        return result
