"""Route: which integrations receive a new record version, as Deliveries in the same transaction."""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical
from connect_hub.pipeline.decisions import Pending, record_decision
from connect_hub.rules import Decision, RuleContext
from connect_hub.store.models import Delivery, DeliveryState, Record


def targets(account: Account, data_type: str, source: str) -> list[str]:
    """Integrations whose manifest and preset export this data type, except the source (no echo)."""
    return [
        name
        for name, integration in account.integrations.items()
        if name != source and integration.exports(data_type)  # type: ignore[arg-type]
    ]


async def plan_deliveries(
    account: Account, record: Record, obj: Canonical, source: str, event_id: int | None, connection: Any,
    pending: Pending | None = None,
) -> list[int]:
    """Create one Delivery per target for ``record``'s current version; return the pending ids.

    A target blocked by an export rule gets a Delivery in state ``skipped`` naming the rule, so the
    decision stays visible; each export decision is recorded with its delivery, and its effects
    are queued on ``pending`` to run after the commit.
    """
    pending: list[int] = []
    for target in targets(account, record.data_type, source):
        decision: Decision = account.rules.apply(
            obj, RuleContext(account=account.name, stage="export", integration=target, data_type=obj.data_type)
        )
        state = DeliveryState.SKIPPED if decision.blocked else DeliveryState.PENDING
        delivery = await Delivery.create(
            account=account.name,
            integration=target,
            data_type=record.data_type,
            record_id=record.id,
            version=record.version,
            hash=record.hash,
            event_id=event_id,
            state=state,
            reason=decision.summary() or None,
            blocked_by=decision.blocked_by,
            using_db=connection,
        )
        await record_decision(
            account, decision, stage="export", integration=target, data_type=record.data_type, event_id=event_id,
            delivery_id=delivery.id, record_id=record.id, connection=connection, pending=pending,
        )
        if state == DeliveryState.PENDING:
            pending.append(delivery.id)
    return pending
