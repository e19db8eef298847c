"""Rules: conditions on a canonical object that change it, block it, or run actions.

A rule's condition is data, never code: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": ...}``
or a comparison ``{"field": "billing.email", "op": "ends_with", "value": "@test.example"}``.
A field path may cross lists with ``[]`` (``lines[].sku``): the comparison holds when it holds for
any item. Operators and actions come from registries that plugins add to through the
``hub_register_rule_*`` hooks; the core's own are registered the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from connect_hub.canonical import Canonical
from connect_hub.config import RuleConfig
from connect_hub.contracts import RuleContext
from connect_hub.errors import ConfigError

__all__ = ["ActionOutcome", "ActionRegistry", "Decision", "OperatorRegistry", "RuleContext", "RuleEngine"]

_MISSING = object()


@dataclass
class ActionOutcome:
    """What an action did: ``block`` stops the import or export; ``note`` is recorded."""

    block: bool = False
    note: str = ""


class _Registry:
    kind = "entry"

    def __init__(self) -> None:
        self._items: dict[str, Callable[..., Any]] = {}

    def add(self, name: str, function: Callable[..., Any]) -> None:
        if name in self._items:
            raise ValueError(f"rule {self.kind} {name!r} is registered twice")
        self._items[name] = function

    def get(self, name: str) -> Callable[..., Any] | None:
        return self._items.get(name)

    def names(self) -> list[str]:
        return sorted(self._items)


class OperatorRegistry(_Registry):
    """Comparison operators: ``function(value, argument) -> bool``."""

    kind = "operator"


class ActionRegistry(_Registry):
    """Actions: ``function(data: dict, argument, context) -> ActionOutcome`` (may change ``data``)."""

    kind = "action"


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(value: Any, argument: Any, test: Callable[[Any, Any], bool]) -> bool:
    a, b = _number(value), _number(argument)
    if a is not None and b is not None:
        return test(a, b)
    return value is not None and argument is not None and test(str(value), str(argument))


def register_core_operators(ops: OperatorRegistry) -> None:
    ops.add("equals", lambda v, a: v == a or (_number(v) is not None and _number(v) == _number(a)))
    ops.add("not_equals", lambda v, a: not (v == a or (_number(v) is not None and _number(v) == _number(a))))
    ops.add("greater", lambda v, a: _compare(v, a, lambda x, y: x > y))
    ops.add("less", lambda v, a: _compare(v, a, lambda x, y: x < y))
    ops.add("in", lambda v, a: v in a)
    ops.add("not_in", lambda v, a: v not in a)
    ops.add("contains", lambda v, a: a in v if isinstance(v, (str, list, dict)) else False)
    ops.add("starts_with", lambda v, a: isinstance(v, str) and v.startswith(a))
    ops.add("ends_with", lambda v, a: isinstance(v, str) and v.endswith(a))
    ops.add("matches", lambda v, a: isinstance(v, str) and re.search(a, v) is not None)
    ops.add("exists", lambda v, a: (v is not _MISSING and v is not None) == bool(a if a is not None else True))
    ops.add("is_empty", lambda v, a: (v in (None, "", [], {}) or v is _MISSING) == bool(a if a is not None else True))


def _set(data: dict[str, Any], argument: dict[str, Any], context: RuleContext) -> ActionOutcome:
    *path, target = argument["field"].split(".")
    node = data
    for part in path:
        node = node.setdefault(part, {})
    node[target] = argument["value"]
    return ActionOutcome(note=f"set {argument['field']}")


def _block_import(data: dict[str, Any], argument: Any, context: RuleContext) -> ActionOutcome:
    return ActionOutcome(block=context.stage == "import", note="blocked the import")


def _block_export(data: dict[str, Any], argument: Any, context: RuleContext) -> ActionOutcome:
    applies = argument in (True, None, "all") or argument == context.integration or (
        isinstance(argument, list) and context.integration in argument
    )
    return ActionOutcome(block=context.stage == "export" and applies, note=f"blocked the export to {context.integration}")


def register_core_actions(actions: ActionRegistry) -> None:
    actions.add("set", _set)
    actions.add("block_import", _block_import)
    actions.add("block_export", _block_export)


def _values(data: Any, path: str) -> list[Any]:
    """The values at a field path; ``[]`` fans out over list items."""
    nodes = [data]
    for part in path.split("."):
        fan = part.endswith("[]")
        key = part.removesuffix("[]")
        following: list[Any] = []
        for node in nodes:
            value = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
            if fan and isinstance(value, list):
                following.extend(value)
            else:
                following.append(value)
        nodes = following
    return nodes


@dataclass
class Decision:
    """The result of running the rules of one stage on one object."""

    obj: Canonical
    matched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked_by: str | None = None

    @property
    def blocked(self) -> bool:
        return self.blocked_by is not None

    def summary(self) -> str:
        if self.blocked_by:
            return f"blocked by rule {self.blocked_by!r}"
        return "; ".join(self.notes)


class RuleEngine:
    """The account's rules, checked at load, applied in the order written."""

    def __init__(self, rules: list[RuleConfig], operators: OperatorRegistry, actions: ActionRegistry, file: str = ""):
        self.rules = rules
        self.operators = operators
        self.actions = actions
        for index, rule in enumerate(rules):
            self._check(rule, f"rules[{index}]", file)

    def _check(self, rule: RuleConfig, place: str, file: str) -> None:
        def fail(where: str, problem: str) -> ConfigError:
            return ConfigError(f"rule {rule.name!r}: {problem}", file=file, path=f"{place}.{where}")

        def check_condition(cond: Any, where: str) -> None:
            if not isinstance(cond, dict):
                raise fail(where, "a condition must be a mapping")
            if "all" in cond or "any" in cond:
                for i, sub in enumerate(cond.get("all", cond.get("any", []))):
                    check_condition(sub, f"{where}.{'all' if 'all' in cond else 'any'}[{i}]")
            elif "not" in cond:
                check_condition(cond["not"], f"{where}.not")
            else:
                if "field" not in cond or "op" not in cond:
                    raise fail(where, "a comparison needs 'field' and 'op'")
                if self.operators.get(cond["op"]) is None:
                    raise fail(f"{where}.op", f"unknown operator {cond['op']!r} (known: {', '.join(self.operators.names())})")
                if cond["op"] == "matches":
                    try:
                        re.compile(cond.get("value", ""))
                    except re.error as exc:
                        raise fail(f"{where}.value", f"the regular expression does not compile: {exc}") from None

        if rule.when is not None:
            check_condition(rule.when, "when")
        for i, action in enumerate(rule.then):
            if len(action) != 1:
                raise fail(f"then[{i}]", "each action is a mapping with one key, the action's name")
            name = next(iter(action))
            if self.actions.get(name) is None:
                raise fail(f"then[{i}]", f"unknown action {name!r} (known: {', '.join(self.actions.names())})")

    def _holds(self, cond: dict[str, Any] | None, data: dict[str, Any]) -> bool:
        if cond is None:
            return True
        if "all" in cond:
            return all(self._holds(c, data) for c in cond["all"])
        if "any" in cond:
            return any(self._holds(c, data) for c in cond["any"])
        if "not" in cond:
            return not self._holds(cond["not"], data)
        operator = self.operators.get(cond["op"])
        assert operator is not None
        return any(operator(value, cond.get("value")) for value in _values(data, cond["field"]))

    def apply(self, obj: Canonical, context: RuleContext) -> Decision:
        """Run the rules for ``context.stage`` on ``obj``; return the (possibly changed) object."""
        rules = [
            r for r in self.rules
            if r.stage == context.stage
            and (not r.data_types or context.data_type in r.data_types)
            and (r.scope == "account" or r.scope == context.integration)
        ]
        if not rules:
            return Decision(obj=obj)
        data = obj.model_dump(mode="json")
        decision = Decision(obj=obj)
        for rule in rules:
            if not self._holds(rule.when, data):
                continue
            decision.matched.append(rule.name)
            for action in rule.then:
                name, argument = next(iter(action.items()))
                outcome: ActionOutcome = self.actions.get(name)(data, argument, context)  # type: ignore[misc]
                if outcome.note:
                    decision.notes.append(f"{rule.name}: {outcome.note}")
                if outcome.block:
                    decision.blocked_by = rule.name
                    return decision
        decision.obj = type(obj).model_validate(data)
        return decision


def build_engine(rules: list[RuleConfig], pm: Any, file: str = "") -> RuleEngine:
    """Collect operators and actions from every plugin (the core's included) and check ``rules``."""
    operators, actions = OperatorRegistry(), ActionRegistry()
    pm.hook.hub_register_rule_operators(operators=operators)
    pm.hook.hub_register_rule_actions(actions=actions)
    return RuleEngine(rules, operators, actions, file=file)
