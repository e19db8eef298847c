"""The core's own rule operators and actions, registered through the same hooks as plugins'."""

from __future__ import annotations

from connect_hub import hookimpl
from connect_hub.rules import (
    ActionRegistry,
    OperatorRegistry,
    register_core_actions,
    register_core_operators,
    register_effect_actions,
)


@hookimpl
def hub_register_rule_operators(operators: OperatorRegistry) -> None:
    register_core_operators(operators)


@hookimpl
def hub_register_rule_actions(actions: ActionRegistry) -> None:
    register_core_actions(actions)
    register_effect_actions(actions)
