"""The rule engine: the account's compiled rules, applied in the order written, and its Decision."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connect_hub.canonical import Canonical
from connect_hub.config import RuleConfig
from connect_hub.contracts import RuleContext
from connect_hub.errors import MappingError
from connect_hub.rules.conditions import Facts
from connect_hub.rules.registry import ActionOutcome, ActionRegistry, Effect, OperatorRegistry
from connect_hub.rules.validation import CompiledRule, compile_rules


@dataclass
class Decision:
    """What the rules of one stage did to one object."""

    obj: Canonical
    matched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    """``{rule, field, before, after}`` for each change a core action made."""
    blocked_by: str | None = None
    effects: list[Effect] = field(default_factory=list)
    data: dict[str, Any] | None = None
    """The object's JSON after the actions (None when no rule matched)."""

    @property
    def blocked(self) -> bool:
        return self.blocked_by is not None

    def summary(self) -> str:
        if self.blocked_by:
            return f"blocked by rule {self.blocked_by!r}"
        return "; ".join(self.notes)

    def as_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched, "changes": self.changes, "notes": self.notes, "blocked_by": self.blocked_by,
            "effects": [{"rule": e.rule, "action": e.action, "description": e.description} for e in self.effects],
        }


CORE_ACTIONS = frozenset({"set", "unset", "map", "block_import", "block_export", "send_email", "call_url"})


class RuleEngine:
    """The account's rules, checked and compiled at load, applied in the order written."""

    def __init__(
        self,
        rules: list[RuleConfig],
        operators: OperatorRegistry,
        actions: ActionRegistry,
        file: str = "",
        *,
        integrations: frozenset[str] | None = None,
        smtp: bool = False,
    ):
        self.rules = rules
        self.operators = operators
        self.actions = actions
        self._plans: dict[tuple[str, str], list[CompiledRule]] = compile_rules(
            rules, operators, actions, file=file, integrations=integrations, smtp=smtp
        )

    def has_rules(self, stage: str, data_type: str) -> bool:
        return bool(self._plans.get((stage, str(data_type))))

    def apply(self, obj: Canonical, context: RuleContext, now: datetime | None = None) -> Decision:
        """Run the rules for ``context.stage`` on ``obj``; return the (possibly changed) object.

        Deterministic: the same object, context and ``now`` give the same decision. Raises
        MappingError when the actions leave the object invalid.
        """
        plan = self._plans.get((context.stage, str(context.data_type)))
        decision = Decision(obj=obj)
        if not plan:
            return decision
        now = now or datetime.now(UTC)
        data: dict[str, Any] | None = None
        facts: Facts | None = None
        for rule in plan:
            if rule.scope != "account" and rule.scope != context.integration:
                continue
            if data is None or facts is None:
                data = obj.model_dump(mode="json")
                facts = Facts(data)
            if rule.test is not None and not rule.test(facts, now):
                continue
            decision.matched.append(rule.name)
            if self._run_actions(rule, data, context, decision, facts):
                break
        if decision.matched and data is not None:
            decision.data = data
            try:
                decision.obj = type(obj).model_validate(data)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(p) for p in error["loc"])
                raise MappingError(
                    f"rules {', '.join(decision.matched)} left the {context.data_type} invalid: {where}: {error['msg']}"
                ) from None
        return decision

    def _run_actions(
        self, rule: CompiledRule, data: dict[str, Any], context: RuleContext, decision: Decision, facts: Facts
    ) -> bool:
        """Run one matched rule's actions; True when one blocked (later rules do not run)."""
        scoped = replace(context, extra={**context.extra, "rule": rule.name})
        for action in rule.actions:
            outcome: ActionOutcome = action.action.run(data, action.argument, scoped)
            # the core's actions report every change; anything else may have changed anything
            facts.changed([c["field"] for c in outcome.changes] if action.name in CORE_ACTIONS else None)
            if outcome.note:
                decision.notes.append(f"{rule.name}: {outcome.note}")
            decision.changes += [{"rule": rule.name, **change} for change in outcome.changes]
            if outcome.effect is not None:
                decision.effects.append(outcome.effect)
            if outcome.block:
                decision.blocked_by = rule.name
                return True
        return False


def build_engine(
    rules: list[RuleConfig], pm: Any, file: str = "", *, integrations: frozenset[str] | None = None, smtp: bool = False
) -> RuleEngine:
    """Collect operators and actions from every plugin (the core's included) and check ``rules``."""
    operators, actions = OperatorRegistry(), ActionRegistry()
    pm.hook.hub_register_rule_operators(operators=operators)
    pm.hook.hub_register_rule_actions(actions=actions)
    return RuleEngine(rules, operators, actions, file, integrations=integrations, smtp=smtp)
