"""Exporting a hub order to the warehouse: create it, change it, leave it, skip it or cancel it.

The warehouse keys orders by the hub's reference. An export first reads what the warehouse holds
for that reference, so that it says what it did and is safe to repeat any number of times:

- a cancelled or fully refunded order is cancelled there (unless it has shipped);
- an order whose status the warehouse does not take (``send_statuses``) and that it never had
  is skipped;
- nothing there: the order is created;
- the same content there: nothing is written (``unchanged``);
- other content there and the warehouse still takes changes (status ``received``): updated;
- other content there once picking has started, or after shipping: the export fails with a
  sentence saying where to change it, since the warehouse floor already has it in hand.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from connect_hub.canonical import Order, OrderStatus
from connect_hub.contracts import ExportAction, ExportResult
from connect_hub.errors import PermanentError

from connect_hub_efulfillment.client import (
    OrderNotEditableError,
    OrderShippedError,
    WarehouseClient,
)
from connect_hub_efulfillment.mapping import order_payload

WITHDRAWN = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
"""Statuses that take an order back from the warehouse (cancelled there unless it shipped)."""

COMPARED = {"email": "the e-mail address", "shipping_address": "the shipping address", "lines": "the lines"}
"""What the warehouse keeps of an order, and how a difference is named to the merchant."""


async def export_order(
    client: WarehouseClient, order: Order, send_statuses: Collection[str], *, sent_before: bool = False,
    first_try: bool = False,
) -> ExportResult:
    """Bring the warehouse in line with ``order``; safe to repeat any number of times.

    A cancelled or fully refunded order is withdrawn at the warehouse whatever ``send_statuses``
    says (a warehouse must not ship it). Other orders are created or changed while their status
    is one the warehouse takes; one that was sent before (``sent_before``: the hub knows its id
    there) is compared whatever its status, so that a change the warehouse can no longer take
    (it shipped the order that the shop now completes with other lines) fails with a sentence.

    The first try (``first_try``) of an order never sent (no id there) creates it without
    reading first: the warehouse creates by reference and answers with the order it already
    had, so nothing is written twice; a later try reads first, since an earlier one may have
    created the order before its answer was lost.
    """
    if order.status in WITHDRAWN:
        return await _withdraw(client, order)
    sendable = order.status.value in send_statuses
    if not sendable and not sent_before:
        return ExportResult(skipped=f"order status {order.status.value} is not sent to the warehouse")
    payload = order_payload(order)
    if first_try and sendable and not sent_before:
        existing, created = await client.place_order(payload)
        if created and not differences(existing, payload):
            return ExportResult(external_id=str(existing["id"]), action=ExportAction.CREATED)
        return await _bring_in_line(client, order, payload, existing, sendable)
    existing = await client.get_order(order.reference)
    if existing is None:
        if not sendable:
            return ExportResult(skipped=f"order status {order.status.value} is not sent to the warehouse")
        existing = await client.create_order(payload)
        if not differences(existing, payload):
            return ExportResult(external_id=str(existing["id"]), action=ExportAction.CREATED)
    return await _bring_in_line(client, order, payload, existing, sendable)


async def _bring_in_line(
    client: WarehouseClient, order: Order, payload: dict[str, Any], existing: dict[str, Any], sendable: bool
) -> ExportResult:
    """The warehouse holds ``existing`` for the order: leave it, update it, or refuse with a sentence."""
    changed = differences(existing, payload)
    if not changed:
        return ExportResult(external_id=str(existing["id"]), action=ExportAction.UNCHANGED)
    if existing.get("status") != "received":
        raise PermanentError(refused_change(order.reference, existing, changed))
    if not sendable:
        return ExportResult(skipped=(
            f"order status {order.status.value} is not sent to the warehouse, which keeps "
            f"{existing['id']} as it was"
        ))  # fmt: skip
    try:
        updated = await client.update_order(payload)
    except OrderNotEditableError:
        current = await client.get_order(order.reference) or existing
        raise PermanentError(refused_change(order.reference, current, changed)) from None
    return ExportResult(external_id=str(updated["id"]), action=ExportAction.UPDATED)


def differences(held: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    """What differs between the warehouse's order and the one the hub would send, named."""
    changed = []
    for key, name in COMPARED.items():
        theirs, ours = held.get(key), payload.get(key)
        if key == "lines":
            theirs = [(line.get("sku"), line.get("quantity")) for line in theirs or []]
            ours = [(line["sku"], line["quantity"]) for line in ours]
        elif key == "shipping_address":
            theirs = {k: v for k, v in (theirs or {}).items() if v}
            ours = {k: v for k, v in ours.items() if v}
        if (theirs or None) != (ours or None):
            changed.append(name)
    return changed


def refused_change(reference: str, held: dict[str, Any], changed: list[str]) -> str:
    """The sentence for a change the warehouse can no longer take."""
    what = " and ".join(changed)
    status = held.get("status")
    if status == "shipped":
        return (
            f"order {reference} changed ({what}) after the warehouse shipped it as {held['id']}: "
            "the change cannot reach the parcel; arrange it with the warehouse or the customer"
        )
    if status == "cancelled":
        return (
            f"order {reference} changed ({what}) but the warehouse has cancelled it ({held['id']}): "
            "place it again or ask the warehouse to reopen it"
        )
    return (
        f"the warehouse is already picking order {reference} ({held['id']}), so the change "
        f"({what}) cannot reach it: change it in the warehouse's portal or ask the warehouse"
    )


async def _withdraw(client: WarehouseClient, order: Order) -> ExportResult:
    """Cancel a cancelled or fully refunded order at the warehouse unless it has shipped."""
    what = "cancelled" if order.status == OrderStatus.CANCELLED else "refunded"
    existing = await client.get_order(order.reference)
    if existing is None:
        return ExportResult(skipped=f"order {order.reference} was {what} before it reached the warehouse")
    if existing["status"] == "shipped":
        if order.status == OrderStatus.REFUNDED:  # a return or a goodwill refund: the parcel left
            return ExportResult(skipped=(
                f"order {order.reference} was refunded after the warehouse shipped it as "
                f"{existing['id']}: nothing to change there"
            ))  # fmt: skip
        raise PermanentError(
            f"order {order.reference} was cancelled in the hub but the warehouse has already "
            f"shipped it as {existing['id']}: arrange a return with the warehouse"
        )
    if existing["status"] == "cancelled":
        return ExportResult(external_id=str(existing["id"]), action=ExportAction.UNCHANGED)
    try:
        existing = await client.cancel_order(order.reference)
    except OrderShippedError:
        raise PermanentError(
            f"order {order.reference} was {what} in the hub but the warehouse shipped it "
            f"as {existing['id']} while the cancellation was on its way: arrange a return "
            "with the warehouse"
        ) from None
    if existing.get("status") != "cancelled":
        raise PermanentError(
            f"order {order.reference}: the warehouse answered the cancellation of {existing['id']} "
            f"with status {existing.get('status')!r}, not cancelled: check the order there"
        )
    return ExportResult(external_id=str(existing["id"]), action=ExportAction.UPDATED)
