"""Rules: conditions on a canonical object that change it, block it, or run actions.

A rule's condition is data, never code: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": ...}``
or a comparison ``{"field": "billing.email", "op": "ends_with", "value": "@test.example"}``.
Operators and actions come from registries that plugins add to through the
``hub_register_rule_*`` hooks; the core's own are registered the same way (``builtin_rules``).

    paths        field paths: their kind in a canonical model, reading and writing them
    conditions   the core operators; compiling conditions
    actions      set, unset, map, block_import, block_export
    effects      send_email, call_url: side effects run once after the commit
    validation   checking and compiling rules at load, with the rule's name and place
    engine       RuleEngine.apply -> Decision
    dry_run      what the rules would do to an object, writing nothing
"""

from __future__ import annotations

from connect_hub.contracts import RuleContext
from connect_hub.rules.actions import register_core_actions
from connect_hub.rules.conditions import register_core_operators
from connect_hub.rules.effects import EffectEnv, register_effect_actions
from connect_hub.rules.engine import Decision, RuleEngine, build_engine
from connect_hub.rules.registry import (
    Action,
    ActionOutcome,
    ActionRegistry,
    ActionTarget,
    Effect,
    Operator,
    OperatorRegistry,
)

__all__ = [
    "Action",
    "ActionOutcome",
    "ActionRegistry",
    "ActionTarget",
    "Decision",
    "Effect",
    "EffectEnv",
    "Operator",
    "OperatorRegistry",
    "RuleContext",
    "RuleEngine",
    "build_engine",
    "register_core_actions",
    "register_core_operators",
    "register_effect_actions",
]
