"""Checking and compiling rules when the configuration loads; each problem names the rule and place.

A rule is compiled once per data type it applies to (all of them when ``data_types`` is left
out: then it applies to the types whose fields it names). Field paths are checked against the
canonical model, operators against the field's kind, values against the operator, actions
against their own ``prepare``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connect_hub.canonical import MODELS
from connect_hub.config import RuleConfig
from connect_hub.errors import ConfigError
from connect_hub.manifest import DataType
from connect_hub.rules import conditions
from connect_hub.rules.paths import resolve
from connect_hub.rules.registry import Action, ActionRegistry, ActionTarget, OperatorRegistry

COMPARISON_KEYS = {"field", "op", "value", "value_field"}


@dataclass(frozen=True)
class CompiledAction:
    name: str
    action: Action
    argument: Any


@dataclass(frozen=True)
class CompiledRule:
    name: str
    scope: str
    test: conditions.Test | None
    actions: tuple[CompiledAction, ...]


class Problem(Exception):
    """A problem at a place inside one rule (``when.all[0].op``)."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


def compile_condition(cond: Any, where: str, model: Any, operators: OperatorRegistry) -> conditions.Test:
    """``test(data, now)`` for a condition; Problem when it is wrong."""
    if not isinstance(cond, dict) or not cond:
        raise Problem(where, "a condition must be a mapping: all, any, not, or {field, op, value}")
    for group, combine in (("all", conditions.all_of), ("any", conditions.any_of)):
        if group in cond:
            if len(cond) != 1 or not isinstance(cond[group], list) or not cond[group]:
                raise Problem(where, f"'{group}' takes a non-empty list of conditions, alone")
            return combine([compile_condition(c, f"{where}.{group}[{i}]", model, operators) for i, c in enumerate(cond[group])])
    if "not" in cond:
        if len(cond) != 1:
            raise Problem(where, "'not' takes one condition, alone")
        return conditions.none_of(compile_condition(cond["not"], f"{where}.not", model, operators))
    unknown = set(cond) - COMPARISON_KEYS
    if unknown:
        raise Problem(f"{where}.{min(unknown)}", "unknown key in a comparison (it takes field, op, value or value_field)")
    if "field" not in cond or "op" not in cond:
        raise Problem(where, "a comparison needs 'field' and 'op'")
    try:
        spec = resolve(model, str(cond["field"]))
    except ValueError as exc:
        raise Problem(f"{where}.field", str(exc)) from None
    operator = operators.get(str(cond["op"]))
    if operator is None:
        raise Problem(f"{where}.op", f"unknown operator {cond['op']!r} (known: {', '.join(operators.names())})")
    if operator.kinds is not None and spec.kind not in operator.kinds and spec.kind != "any":
        fits = ", ".join(sorted(operator.kinds - {"any"}))
        raise Problem(f"{where}.op", f"{operator.name} does not fit {spec.path}, a {spec.kind} field ({operator.name} takes {fits})")
    if "value_field" in cond:
        if "value" in cond:
            raise Problem(where, "give 'value' or 'value_field', not both")
        try:
            other = resolve(model, str(cond["value_field"]))
        except ValueError as exc:
            raise Problem(f"{where}.value_field", str(exc)) from None
        if other.kind != spec.kind and "any" not in (other.kind, spec.kind):
            raise Problem(f"{where}.value_field", f"{other.path} is a {other.kind} field; {spec.path} is a {spec.kind} field")
        return conditions.compile_comparison(operator, spec, other)
    try:
        argument = conditions.prepare_argument(operator, spec, cond.get("value"))
    except ValueError as exc:
        raise Problem(f"{where}.value", str(exc)) from None
    return conditions.compile_comparison(operator, spec, argument)


def compile_actions(rule: RuleConfig, target: ActionTarget, actions: ActionRegistry) -> tuple[CompiledAction, ...]:
    compiled = []
    for index, item in enumerate(rule.then):
        where = f"then[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise Problem(where, "each action is a mapping with one key, the action's name")
        name, argument = next(iter(item.items()))
        action = actions.get(name)
        if action is None:
            raise Problem(where, f"unknown action {name!r} (known: {', '.join(actions.names())})")
        if action.prepare is not None:
            try:
                argument = action.prepare(argument, target)
            except ValueError as exc:
                raise Problem(f"{where}.{name}", str(exc)) from None
        compiled.append(CompiledAction(name, action, argument))
    return tuple(compiled)


def compile_rules(
    rules: list[RuleConfig],
    operators: OperatorRegistry,
    actions: ActionRegistry,
    *,
    file: str = "",
    integrations: frozenset[str] | None = None,
    smtp: bool = False,
) -> dict[tuple[str, str], list[CompiledRule]]:
    """The rules by (stage, data type), in the order written; ConfigError on the first problem."""
    plans: dict[tuple[str, str], list[CompiledRule]] = {}
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        place, where_file = rule.place or f"rules[{index}]", rule.source_file or file

        def fail(where: str, message: str, rule: RuleConfig = rule, place: str = place, where_file: str = where_file) -> ConfigError:
            return ConfigError(f"rule {rule.name!r}: {message}", file=where_file, path=f"{place}.{where}" if where else place)

        if rule.name in seen:
            raise fail("name", "another rule has this name; names must be unique (decisions refer to them)")
        seen.add(rule.name)
        if integrations is not None and rule.scope != "account" and rule.scope not in integrations:
            raise fail("scope", f"no integration named {rule.scope!r} (use 'account' or one of: {', '.join(sorted(integrations))})")
        types = rule.data_types or list(MODELS)
        first: Problem | None = None
        for data_type in types:
            try:
                compiled = _compile_one(rule, DataType(data_type), operators, actions, integrations, smtp)
            except Problem as problem:
                if rule.data_types:
                    raise fail(problem.where, problem.message) from None
                first = first or problem
                continue
            plans.setdefault((rule.stage, str(data_type)), []).append(compiled)
        if not rule.data_types and first is not None and not any(r.name == rule.name for plan in plans.values() for r in plan):
            raise fail(first.where, first.message)
    return plans


def _compile_one(
    rule: RuleConfig, data_type: DataType, operators: OperatorRegistry, actions: ActionRegistry,
    integrations: frozenset[str] | None, smtp: bool,
) -> CompiledRule:
    model = MODELS[data_type]
    test = compile_condition(rule.when, "when", model, operators) if rule.when is not None else None
    resolver: Callable[[str], Any] = lambda path: resolve(model, str(path))
    target = ActionTarget(
        rule=rule.name, stage=rule.stage, data_type=str(data_type), resolve=resolver,
        integrations=integrations, smtp=smtp,
    )
    return CompiledRule(rule.name, rule.scope, test, compile_actions(rule, target, actions))
