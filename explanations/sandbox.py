"""The sandbox a policy's texts render in: Jinja2's, bounded in time and size.

A rule's text is a sentence or two over a flow's facts, written by whoever edits the policy. Jinja2's
sandbox keeps it from reaching Python; here it is also kept from exhausting the machine: only
``if`` and ``for`` statements (no macro, no assignment, no recursive loop), a budget of loop
iterations and calls per rendering, a bound on every width, length or number of digits given to a
filter or a method, on every string, list and integer computed on the way, and on the text rendered.
Beyond a bound, rendering stops with a ``SecurityError`` that says which bound.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
from typing import Any, Callable, Iterable, Iterator

from jinja2 import Template, nodes
from jinja2.runtime import Context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

MAX_TEXT = 10_000    # characters of a rendered text, and of a string or list computed on the way
MAX_STEPS = 10_000   # loop iterations and calls in one rendering
MAX_WIDTH = 1_000    # a width, length, count or number of digits given to a filter or a method
MAX_BITS = 4_096     # bits of an integer computed on the way (about 1,200 digits)

# Filters whose numeric arguments are sizes: what they build grows with them.
_SIZED_FILTERS = frozenset({"batch", "center", "filesizeformat", "indent", "num", "pct", "round", "slice", "truncate",
                            "wordwrap", "wrap"})
# Methods of strings whose numeric arguments are widths.
_SIZED_METHODS = frozenset({"center", "expandtabs", "ljust", "rjust", "zfill"})
# Statements a text may hold; every other (macro, set, call, filter, with, include...) is refused.
_STATEMENTS = (nodes.Output, nodes.If, nodes.For)
_TAGS = {"Assign": "set", "AssignBlock": "set", "CallBlock": "call", "FilterBlock": "filter", "FromImport": "from"}
# A width or precision of 4 digits or more in a %-format or a {}-format, or one given as an argument
# (``%*d``, ``%.*f``, ``{:{}}``): the string is built before its size could be checked.
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(?:\d{4,}|\*|\d*\.(?:\d{4,}|\*))|\{[^{}]*:[^{}]*(?:\d{4,}|\{)")


class _Budget:
    """The loop iterations and calls one rendering may still make."""

    def __init__(self) -> None:
        self.left = MAX_STEPS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SecurityError(f"more than {MAX_STEPS:,} loop iterations and calls in one text")


_budget: contextvars.ContextVar[_Budget] = contextvars.ContextVar("text_budget")


def _bounded(value: Any) -> Any:
    """``value``, if it is within the bounds of a computed value."""
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_TEXT:
        raise SecurityError(f"a value of {len(value):,} characters or items; a text computes at most {MAX_TEXT:,}")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise SecurityError(f"an integer of more than {MAX_BITS:,} bits")
    return value


_DICT_ATTRIBUTES = frozenset(dir(dict))


class ExplanationEnvironment(SandboxedEnvironment):
    """Jinja2's sandbox for Arbitre's own templates, whose values are mostly plain dicts (views, labels).

    ``flow.name`` on a dict is its item ``name``, found at once: Jinja2 would first look for a dict
    attribute of that name and fail (an exception caught on each access, dozens a flow) before taking
    the item. A name that is a dict attribute (``items``), a key missing, or any other value: as Jinja2
    does it. Either way the same value."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _check_sizes(what: str, args: Iterable[Any]) -> None:
    """Refuse a numeric argument beyond ``MAX_WIDTH`` (a width, length, count or number of digits)."""
    for arg in args:
        if isinstance(arg, (int, float)) and not isinstance(arg, bool) and not abs(arg) <= MAX_WIDTH:
            raise SecurityError(f"{what} given {arg:g}; a width, length or count is at most {MAX_WIDTH:,}")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise SecurityError(f"a format with a width or precision above {MAX_WIDTH - 1:,}, or given as an argument")


def _check_spread(what: str, value: Any, piece: Any) -> None:
    """Refuse a join or replacement that would repeat ``piece`` along ``value`` past ``MAX_TEXT``."""
    if isinstance(value, (str, list, tuple)) and isinstance(piece, str) and len(value) * len(piece) > MAX_TEXT:
        raise SecurityError(f"{what} would build more than {MAX_TEXT:,} characters")


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses sizes beyond the bounds and checks what it returns."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0  # the environment or context

    @functools.wraps(func)
    def filtered(*args: Any, **kwargs: Any) -> Any:
        value, extra = (args[skip], args[skip + 1:]) if len(args) > skip else (None, ())
        if name in _SIZED_FILTERS:
            _check_sizes(f"the filter {name!r}", [*extra, *kwargs.values()])
        if name == "format":
            _check_format(value)
        if name == "join" and (extra or "d" in kwargs):
            _check_spread("the filter 'join'", value, extra[0] if extra else kwargs["d"])
        if name == "replace" and len(extra) > 1:
            _check_spread("the filter 'replace'", value, extra[1])
        return _bounded(func(*args, **kwargs))

    return filtered


def _counted(items: Any) -> Iterator[Any]:
    """A loop's items, each spending one step of the rendering's budget."""
    budget = _budget.get()
    for item in items:
        budget.spend()
        yield item


class PolicyTextEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox (lists and dicts of the policy cannot be changed from a text) with the bounds
    of this module; ``text_template`` compiles a text, ``render_text`` renders it."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.clear()  # no range, dict, lipsum...: texts need none

    def guard_filters(self) -> None:
        """Bound every filter registered so far (call once all are)."""
        for name, func in list(self.filters.items()):
            self.filters[name] = _guarded(name, func)
        self.filters["_counted"] = _counted

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%`` within the bounds, refused before a too large result is built."""
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_BITS:
            raise SecurityError(f"a power of more than {MAX_BITS:,} bits")
        if operator == "*":
            if ints and left.bit_length() + right.bit_length() > MAX_BITS:
                raise SecurityError(f"a product of more than {MAX_BITS:,} bits")
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_TEXT:
                    raise SecurityError(f"a repetition of {len(seq) * times:,} characters or items; a text "
                                        f"computes at most {MAX_TEXT:,}")
        if operator == "%":
            _check_format(left)
        return _bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja2
        """A call (a method of a value, ``loop``) within the budget and the bounds of sizes."""
        _budget.get().spend()
        # Jinja2 hands str.format over wrapped in its own safe formatter: the string is the wrapped method's
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, (str, list, tuple, dict)):
            name = getattr(__obj, "__name__", "")
            if name in _SIZED_METHODS:
                _check_sizes(f"{name!r}", [*args, *kwargs.values()])
            if name in ("format", "format_map"):
                _check_format(owner)
            if name == "join" and args:
                _check_spread("'join'", args[0], owner)
            if name == "replace" and len(args) > 1:
                _check_spread("'replace'", owner, args[1])
        return _bounded(super().call(__context, __obj, *args, **kwargs))

    def text_template(self, source: str | nodes.Template) -> Template:
        """A policy text (or its tree, already parsed) as a template, with only ``if`` and ``for`` and
        every loop counted."""
        tree = self.parse(source) if isinstance(source, str) else source
        for statement in tree.find_all(nodes.Stmt):
            if not isinstance(statement, _STATEMENTS) or (isinstance(statement, nodes.For) and statement.recursive):
                kind = type(statement).__name__
                tag = "recursive for" if isinstance(statement, nodes.For) else _TAGS.get(kind, kind.lower())
                raise SecurityError(f"line {statement.lineno}: '{tag}' is not allowed in a policy text, "
                                    "only 'if' and 'for'")
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
        return self.from_string(tree)


def render_text(template: Template, context: dict[str, Any]) -> str:
    """A policy text rendered within the budget, refused when longer than ``MAX_TEXT``."""
    token = _budget.set(_Budget())
    try:
        text = template.render(context)
    finally:
        _budget.reset(token)
    if len(text) > MAX_TEXT:
        raise SecurityError(f"a text of {len(text):,} characters; a policy text renders at most {MAX_TEXT:,}")
    return text
