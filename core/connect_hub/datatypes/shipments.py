"""Shipments: parcels for an order, routed to where the order came from.

Identity: ``shipment:<order reference>:<tracking code>``; in the source, the system's shipment
id. A shipment names its order by the source's order id too (``Incoming.related["order"]``):
when the hub knows that order under another reference (one the hub placed in the source), the
shipment is for that order. A shipment goes only to the integration its order came from (a
warehouse's shipment of a shop order goes to that shop, never to every shop that takes
shipments); for an order the hub does not know, to every exporter but the source.
"""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical, Shipment
from connect_hub.contracts import Incoming, Integration
from connect_hub.datatypes.base import DataTypePolicy, exporters
from connect_hub.manifest import DataType
from connect_hub.store.models import Link, Record


class ShipmentPolicy(DataTypePolicy):
    data_type = DataType.SHIPMENTS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Shipment)
        code = f" {obj.tracking_code}" if obj.tracking_code else ""
        return f"shipment{code} of order {obj.order_reference}"

    async def prepare(self, account: Account, integration: Integration, item: Incoming) -> Incoming | str:
        assert isinstance(item.obj, Shipment)
        if order_id := item.related.get("order"):
            item.obj = await for_linked_order(account, integration.name, item.obj, order_id)
        return item

    async def targets(self, account: Account, obj: Canonical, source: str, connection: Any) -> list[str]:
        assert isinstance(obj, Shipment)
        everyone = exporters(account, self.data_type, source)
        order = await Record.filter(
            account=account.name, data_type=str(DataType.ORDERS), key=f"order:{obj.order_reference}"
        ).using_db(connection).first()
        if order is None:
            return everyone
        origin = (order.data or {}).get("source") or order.source
        return [origin] if origin in everyone else []

    def related_keys(self, obj: Canonical) -> dict[str, tuple[DataType, str]]:
        assert isinstance(obj, Shipment)
        return {"order": (DataType.ORDERS, f"order:{obj.order_reference}")}


async def for_linked_order(account: Account, source: str, shipment: Shipment, order_id: str) -> Shipment:
    """The shipment pointed at the order the source's order ``order_id`` is linked to, when the
    hub knows that order under another reference (one it placed in the source, say)."""
    link = await Link.filter(
        account=account.name, integration=source, data_type=str(DataType.ORDERS), external_id=order_id
    ).first()
    if link is None:
        return shipment
    order = await Record.get_or_none(id=link.record_id)
    reference = (order.data or {}).get("reference") if order is not None else None
    if not reference or reference == shipment.order_reference:
        return shipment
    return shipment.model_copy(update={"order_reference": reference})
