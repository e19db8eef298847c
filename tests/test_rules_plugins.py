"""A plugin adds an operator and an action through the hook specs, checked like the core's."""

from __future__ import annotations

from typing import Any

import pytest
from connect_hub import hookimpl
from connect_hub.errors import ConfigError
from connect_hub.rules import ActionOutcome, ActionTarget, Effect
from rules_support import engine, order, run

RAN: list[str] = []


class WeekendPlugin:
    """Adds ``on_weekend`` (dates only) and ``tag_note`` (checks its argument at load)."""

    @hookimpl
    def hub_register_rule_operators(self, operators):
        operators.add("on_weekend", lambda value, argument: value is not None and (value.weekday() >= 5) == (argument is not False), kinds=["date"], argument="flag")

    @hookimpl
    def hub_register_rule_actions(self, actions):
        def prepare(argument: Any, target: ActionTarget) -> str:
            if not isinstance(argument, str) or not argument:
                raise ValueError("tag_note takes a non-empty text")
            target.resolve("note")  # the data type must have a note
            return argument.upper()

        def tag_note(data: dict, argument: str, context) -> ActionOutcome:
            data["note"] = f"{data['note']} [{argument}]".strip()
            return ActionOutcome(note=f"tagged {argument}")

        async def ping(env, data) -> str:
            RAN.append(data["reference"])
            return "pinged"

        def notify(data: dict, argument: Any, context) -> ActionOutcome:
            return ActionOutcome(effect=Effect(context.extra["rule"], "notify", "notify the team", ping))

        actions.add("tag_note", tag_note, prepare=prepare)
        actions.add("notify", notify)


PLUGINS = [("weekend", WeekendPlugin())]


def test_a_plugin_operator_and_action_run_like_the_cores() -> None:
    rules = engine("""
- {name: weekend orders, stage: import, data_types: [orders], when: {field: created_at, op: on_weekend}, then: [{tag_note: weekend}]}
""", plugins=PLUGINS)
    saturday = order(created_at="2026-11-28T10:00:00Z")
    decision = run(rules, saturday)
    assert decision.matched == ["weekend orders"] and decision.obj.note == "[WEEKEND]"
    assert decision.notes == ["weekend orders: tagged WEEKEND"]
    assert run(rules, order(created_at="2026-11-26T10:00:00Z")).matched == []


def test_a_plugin_operator_is_checked_against_the_fields_type() -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\].when.op: rule 'w': on_weekend does not fit email, a text field"):
        engine("- {name: w, stage: import, data_types: [orders], when: {field: email, op: on_weekend}, then: [{block_import: true}]}", plugins=PLUGINS)


def test_a_plugin_action_checks_its_argument_at_load() -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\].then\[0\].tag_note: rule 't': tag_note takes a non-empty text"):
        engine("- {name: t, stage: import, data_types: [orders], then: [{tag_note: ''}]}", plugins=PLUGINS)
    with pytest.raises(ConfigError, match="unknown field 'note'"):
        engine("- {name: t, stage: import, data_types: [stocks], then: [{tag_note: x}]}", plugins=PLUGINS)


def test_a_plugin_action_with_an_effect_only_asks_for_it() -> None:
    rules = engine("- {name: n, stage: import, data_types: [orders], then: [{notify: true}]}", plugins=PLUGINS)
    decision = run(rules)
    assert [e.description for e in decision.effects] == ["notify the team"] and RAN == []


def test_a_plugin_cannot_take_a_core_name() -> None:
    class Clash:
        @hookimpl
        def hub_register_rule_operators(self, operators):
            operators.add("equals", lambda value, argument: True)

    with pytest.raises(ValueError, match="rule operator 'equals' is registered twice"):
        engine("[]", plugins=[("clash", Clash())])
