"""Rule decisions in the store, and running their effects once after the commit.

A decision is recorded when at least one rule matched, with the event, delivery and record it
touched. Its effects (e-mails, URL calls) run only when the decision caused new work: a new
record version (import), a new delivery (export) or a blocked import; a re-sent unchanged
webhook records its decision but sends nothing twice. Effects run after the transaction commits,
at most once (a crash between the commit and the run loses them rather than repeating them), and
their outcome is written back on the decision; a failing effect never blocks the sync.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from connect_hub.account import Account
from connect_hub.rules import Decision
from connect_hub.secrets import redact
from connect_hub.store.models import RuleDecision

log = logging.getLogger(__name__)
EFFECT_TIMEOUT = 30.0
PENDING, DONE, FAILED, NOT_RUN = "pending", "done", "failed", "not run"

Pending = list[tuple[int, Decision]]
"""Decisions whose effects are to run once the transaction commits: (decision id, decision)."""


async def record_decision(
    account: Account,
    decision: Decision,
    *,
    stage: str,
    integration: str,
    data_type: str,
    event_id: int | None = None,
    delivery_id: int | None = None,
    record_id: int | None = None,
    connection: Any = None,
    pending: Pending | None = None,
) -> RuleDecision | None:
    """Store ``decision`` if any rule matched; queue its effects on ``pending`` (None: not run)."""
    if not decision.matched:
        return None
    state = PENDING if pending is not None else NOT_RUN
    effects = [
        {"rule": e.rule, "action": e.action, "description": e.description, "state": state, "detail": None}
        for e in decision.effects
    ]
    row = await RuleDecision.create(
        account=account.name, stage=stage, integration=integration, data_type=str(data_type),
        event_id=event_id, delivery_id=delivery_id, record_id=record_id, matched=decision.matched,
        changes=decision.changes, notes=decision.notes, blocked_by=decision.blocked_by, effects=effects,
        using_db=connection,
    )
    if pending is not None and decision.effects:
        pending.append((row.id, decision))
    return row


async def run_effects(account: Account, pending: Pending) -> None:
    """Run the queued effects (after the commit) and record what each did."""
    for decision_id, decision in pending:
        data = decision.data if decision.data is not None else decision.obj.model_dump(mode="json")
        results = []
        for effect in decision.effects:
            entry = {"rule": effect.rule, "action": effect.action, "description": effect.description}
            try:
                detail = await asyncio.wait_for(effect.run(account.effect_env(decision_id), data), EFFECT_TIMEOUT)
                results.append({**entry, "state": DONE, "detail": detail})
            except Exception as exc:  # noqa: BLE001 - an effect's failure is recorded, never raised
                message = redact(f"{type(exc).__name__}: {exc}", *account.secrets())
                log.warning("rule %r: %s failed: %s", effect.rule, effect.action, message)
                results.append({**entry, "state": FAILED, "detail": message})
        await RuleDecision.filter(id=decision_id).update(effects=results)
    pending.clear()


def decision_json(d: RuleDecision) -> dict[str, Any]:
    return {
        "id": d.id, "stage": d.stage, "integration": d.integration, "data_type": d.data_type,
        "event_id": d.event_id, "delivery_id": d.delivery_id, "record_id": d.record_id,
        "matched": d.matched, "changes": d.changes, "notes": d.notes, "blocked_by": d.blocked_by,
        "effects": d.effects, "created_at": d.created_at.isoformat() if d.created_at else None,
    }
