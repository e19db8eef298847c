"""Route: which integrations receive a new record version, as Deliveries in the same transaction.

The data type's policy names the targets (by default every integration whose manifest and
preset export the type, except its source; a shipment goes only to where its order came from),
and the export rules may block one.
"""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical
from connect_hub.datatypes import policy_for
from connect_hub.pipeline.decisions import Pending, record_decision
from connect_hub.rules import Decision, RuleContext
from connect_hub.store import rows
from connect_hub.store.models import Delivery, DeliveryState, Record


async def plan_deliveries(
    account: Account, record: Record, obj: Canonical, source: str, event_id: int | None, connection: Any,
    pending: Pending | None = None, *, only: list[str] | None = None,
) -> list[int]:
    """Create one Delivery per target for ``record``'s current version; return the pending ids.

    ``only`` names the targets instead of the data type's policy (a version sent again to the
    integrations whose copy drifted).

    A target blocked by an export rule gets a Delivery in state ``skipped`` naming the rule, so the
    decision stays visible; each export decision is recorded with its delivery, and its effects
    are queued on ``pending`` to run after the commit.
    """
    ids: list[int] = []
    chosen = only if only is not None else await policy_for(record.data_type).targets(account, obj, source, connection)
    for target in chosen:
        decision: Decision = account.rules.apply(
            obj, RuleContext(account=account.name, stage="export", integration=target, data_type=obj.data_type)
        )
        state = DeliveryState.SKIPPED if decision.blocked else DeliveryState.PENDING
        delivery_id = await rows.insert(
            Delivery,
            connection,
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
            action="skipped" if decision.blocked else None,
        )
        await record_decision(
            account, decision, stage="export", integration=target, data_type=record.data_type, event_id=event_id,
            delivery_id=delivery_id, record_id=record.id, connection=connection, pending=pending,
        )
        if state == DeliveryState.PENDING:
            ids.append(delivery_id)
    return ids
