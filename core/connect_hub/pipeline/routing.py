"""Route: which integrations receive a new record version, as Deliveries in the same transaction.

Every integration whose manifest and preset export the data type gets it, except its source;
a shipment goes only to where its order came from (see :func:`shipment_targets`).
"""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical, Shipment
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


async def shipment_targets(account: Account, shipment: Shipment, source: str, connection: Any) -> list[str]:
    """The integration the shipment's order came from, if it exports shipments and is not the
    shipment's source; for an order the hub does not know, every exporter but the source.

    A warehouse's shipment of a shop order goes to that shop, and a shipment entered in a shop
    for a marketplace's order goes to that marketplace, never to every shop that takes shipments.
    """
    everyone = targets(account, str(shipment.data_type), source)
    order = await Record.filter(
        account=account.name, data_type="orders", key=f"order:{shipment.order_reference}"
    ).using_db(connection).first()
    if order is None:
        return everyone
    origin = (order.data or {}).get("source") or order.source
    return [origin] if origin in everyone else []


async def plan_deliveries(
    account: Account, record: Record, obj: Canonical, source: str, event_id: int | None, connection: Any,
    pending: Pending | None = None,
) -> list[int]:
    """Create one Delivery per target for ``record``'s current version; return the pending ids.

    A target blocked by an export rule gets a Delivery in state ``skipped`` naming the rule, so the
    decision stays visible; each export decision is recorded with its delivery, and its effects
    are queued on ``pending`` to run after the commit.
    """
    ids: list[int] = []
    if isinstance(obj, Shipment):
        chosen = await shipment_targets(account, obj, source, connection)
    else:
        chosen = targets(account, record.data_type, source)
    for target in chosen:
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
            ids.append(delivery.id)
    return ids
