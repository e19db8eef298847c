"""Exporting a hub order to the warehouse: send it, skip it, or cancel it there."""

from __future__ import annotations

from collections.abc import Collection

from connect_hub.canonical import Order, OrderStatus
from connect_hub.contracts import ExportResult
from connect_hub.errors import PermanentError

from connect_hub_efulfillment.client import OrderShippedError, WarehouseClient
from connect_hub_efulfillment.mapping import order_payload


async def export_order(
    client: WarehouseClient, order: Order, send_statuses: Collection[str]
) -> ExportResult:
    """Bring the warehouse in line with ``order``; safe to repeat any number of times.

    A cancelled order is cancelled at the warehouse whatever ``send_statuses`` says (a warehouse
    must not ship it); other orders are created when their status is one the warehouse takes.
    """
    if order.status == OrderStatus.CANCELLED:
        return await _cancel(client, order)
    if order.status.value not in send_statuses:
        return ExportResult(
            skipped=f"order status {order.status.value} is not sent to the warehouse"
        )
    created = await client.create_order(order_payload(order))
    return ExportResult(external_id=str(created["id"]))


async def _cancel(client: WarehouseClient, order: Order) -> ExportResult:
    existing = await client.get_order(order.reference)
    if existing is None:
        return ExportResult(
            skipped=f"order {order.reference} was cancelled before it reached the warehouse"
        )
    if existing["status"] == "shipped":
        raise PermanentError(
            f"order {order.reference} was cancelled in the hub but the warehouse has already "
            f"shipped it as {existing['id']}: arrange a return with the warehouse"
        )
    if existing["status"] != "cancelled":
        try:
            existing = await client.cancel_order(order.reference)
        except OrderShippedError:
            raise PermanentError(
                f"order {order.reference} was cancelled in the hub but the warehouse shipped it "
                f"as {existing['id']} while the cancellation was on its way: arrange a return "
                "with the warehouse"
            ) from None
    if existing.get("status") != "cancelled":
        raise PermanentError(
            f"order {order.reference}: the warehouse answered the cancellation of {existing['id']} "
            f"with status {existing.get('status')!r}, not cancelled: check the order there"
        )
    return ExportResult(external_id=str(existing["id"]))
