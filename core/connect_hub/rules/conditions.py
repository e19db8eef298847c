"""Conditions: the core's operators, and compiling ``all`` / ``any`` / ``not`` / comparisons.

A comparison is ``{field, op, value}``, or ``{field, op, value_field}`` to compare with another
field of the same object. On a date field, ``value`` may be relative: ``now``, ``30 days ago``,
``in 2 hours``; ``older_than`` / ``newer_than`` take an age such as ``30d``. Over a list
(``lines[].sku``) a comparison holds when it holds for at least one item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from connect_hub.rules.paths import FieldSpec, coerce, read
from connect_hub.rules.registry import Operator, OperatorRegistry


class Facts:
    """The object's JSON while the rules run, with the values of each path read (and coerced)
    once; :meth:`changed` forgets them after an action ran."""

    __slots__ = ("_seen", "data")

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self._seen: dict[tuple[Any, str], list[Any]] = {}

    def values(self, parts: tuple[tuple[str, bool], ...], kind: str) -> list[Any]:
        key = (parts, kind)
        found = self._seen.get(key)
        if found is None:
            raw = read(self.data, parts)
            found = self._seen[key] = raw if kind in _AS_IS else [coerce(kind, v) for v in raw]
        return found

    def changed(self, fields: list[str] | None = None) -> None:
        """Forget what was read under these fields (their top-level key), or everything."""
        if fields is None:
            self._seen.clear()
            return
        tops = {f.split(".", 1)[0].removesuffix("[]") for f in fields}
        for key in [k for k in self._seen if k[0][0][0] in tops]:
            del self._seen[key]


Test = Callable[[Facts, datetime], bool]
"""A compiled condition: ``test(facts, now)``."""
_AS_IS = frozenset({"text", "bool", "any", "list", "object"})

SCALARS = frozenset({"text", "number", "date", "bool", "any"})
ORDERED = frozenset({"number", "date", "any"})
TEXT = frozenset({"text", "any"})
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_AGE = re.compile(r"^\s*(\d+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$")
_RELATIVE = re.compile(r"^\s*(?:(?P<ago>.+?)\s+ago|in\s+(?P<ahead>.+))\s*$")


def age(text: Any) -> timedelta:
    """``30d``, ``12 hours``, ``2w`` as a timedelta; ValueError otherwise."""
    match = _AGE.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not an age (write it like 30d, 12h, 2w or '30 days')")
    unit = match.group(2)[0] if not match.group(2).startswith("min") else "m"
    return timedelta(seconds=int(match.group(1)) * _UNITS[unit])


def relative_date(text: Any) -> timedelta | None:
    """The offset from now that ``now`` / ``30 days ago`` / ``in 2 hours`` means; None if it is
    not relative."""
    if not isinstance(text, str):
        return None
    if text.strip() == "now":
        return timedelta(0)
    match = _RELATIVE.match(text)
    if not match:
        return None
    return -age(match.group("ago")) if match.group("ago") else age(match.group("ahead"))


def _equal(value: Any, argument: Any) -> bool:
    return value == argument


def _empty(value: Any, argument: Any) -> bool:
    return (value is None or value == "" or value == [] or value == {}) == argument


def register_core_operators(ops: OperatorRegistry) -> None:
    """The operators every hub has."""
    ops.add("equals", _equal, kinds=SCALARS, argument="value")
    ops.add("not_equals", lambda v, a: v != a, kinds=SCALARS, argument="value")
    ops.add("greater", lambda v, a: v is not None and a is not None and v > a, kinds=ORDERED, argument="value")
    ops.add("less", lambda v, a: v is not None and a is not None and v < a, kinds=ORDERED, argument="value")
    ops.add("between", lambda v, a: v is not None and a[0] <= v <= a[1], kinds=ORDERED, argument="pair")
    ops.add("in", lambda v, a: v in a, kinds=SCALARS, argument="values")
    ops.add("not_in", lambda v, a: v not in a, kinds=SCALARS, argument="values")
    ops.add("contains", lambda v, a: isinstance(v, str | list) and a in v, kinds=TEXT | {"list"}, argument="raw")
    ops.add("starts_with", lambda v, a: isinstance(v, str) and v.startswith(a), kinds=TEXT, argument="values")
    ops.add("ends_with", lambda v, a: isinstance(v, str) and v.endswith(a), kinds=TEXT, argument="values")
    ops.add("matches", lambda v, a: isinstance(v, str) and a.search(v) is not None, kinds=TEXT, argument="regex")
    ops.add("exists", lambda v, a: (v is not None) == a, argument="flag")
    ops.add("is_empty", _empty, argument="flag")
    ops.add("older_than", lambda v, a: v is not None and v < a, kinds=frozenset({"date"}), argument="age")
    ops.add("newer_than", lambda v, a: v is not None and v >= a, kinds=frozenset({"date"}), argument="age")


Resolver = Callable[[datetime], Any]


def _one(kind: str, raw: Any) -> Resolver:
    """A value of the field's kind, or a relative date; ValueError when it does not fit."""
    if kind == "date":
        offset = relative_date(raw)
        if offset is not None:
            return lambda now: now + offset
    value = coerce(kind, raw)
    if value is None and raw is not None:
        raise ValueError(f"{raw!r} is not a {kind}")
    if kind == "text" and raw is not None and not isinstance(raw, str):
        value = str(raw)
    return lambda now: value


def prepare_argument(operator: Operator, spec: FieldSpec, raw: Any) -> Resolver:
    """Check and compile a comparison's ``value`` for ``operator`` on ``spec``."""
    kind = spec.kind
    if operator.argument == "value":
        if spec.choices and raw is not None and str(raw) not in spec.choices:
            raise ValueError(f"{raw!r} is not a value of {spec.path} (one of: {', '.join(spec.choices)})")
        return _one(kind, raw)
    if operator.argument == "values":
        items = raw if isinstance(raw, list) else [raw]
        if operator.name in ("in", "not_in") and not isinstance(raw, list):
            raise ValueError(f"{operator.name} needs a list of values")
        resolvers = [_one(kind, item) for item in items]
        if operator.name in ("starts_with", "ends_with"):
            if not all(isinstance(i, str) for i in items):
                raise ValueError(f"{operator.name} needs a text or a list of texts")
            frozen = tuple(items)
            return lambda now: frozen
        return lambda now: [r(now) for r in resolvers]
    if operator.argument == "pair":
        if not (isinstance(raw, list) and len(raw) == 2):
            raise ValueError("between needs two values: [low, high]")
        low, high = _one(kind, raw[0]), _one(kind, raw[1])
        return lambda now: (low(now), high(now))
    if operator.argument == "flag":
        if raw not in (None, True, False):
            raise ValueError(f"{operator.name} takes true, false or nothing")
        flag = raw is not False
        return lambda now: flag
    if operator.argument == "regex":
        if not isinstance(raw, str):
            raise ValueError("matches needs a regular expression as text")
        try:
            pattern = re.compile(raw)
        except re.error as exc:
            raise ValueError(f"the regular expression {raw!r} does not compile: {exc}") from None
        return lambda now: pattern
    if operator.argument == "age":
        delta = age(raw)
        return lambda now: now - delta
    return lambda now: raw


def compile_comparison(operator: Operator, spec: FieldSpec, argument: Resolver | FieldSpec) -> Test:
    """``test(data, now)`` for one comparison; ``argument`` is a value resolver or another field."""
    parts, kind, test = spec.parts, spec.kind, operator.test
    if isinstance(argument, FieldSpec):
        other_parts, other_kind = argument.parts, argument.kind

        def against_field(facts: Facts, now: datetime) -> bool:
            others = facts.values(other_parts, other_kind)
            return any(test(v, o) for v in facts.values(parts, kind) for o in others)

        return against_field
    resolve = argument
    if len(parts) == 1 and not parts[0][1] and kind in _AS_IS:
        key = parts[0][0]
        return lambda facts, now: test(facts.data.get(key), resolve(now))

    if test is _equal:
        return lambda facts, now: resolve(now) in facts.values(parts, kind)

    def on_values(facts: Facts, now: datetime) -> bool:
        value = resolve(now)
        for v in facts.values(parts, kind):
            if test(v, value):
                return True
        return False

    return on_values


def all_of(tests: list[Test]) -> Test:
    return lambda data, now: all(t(data, now) for t in tests)


def any_of(tests: list[Test]) -> Test:
    return lambda data, now: any(t(data, now) for t in tests)


def none_of(test: Test) -> Test:
    return lambda data, now: not test(data, now)
