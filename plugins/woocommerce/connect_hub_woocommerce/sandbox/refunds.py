"""Order refunds (``/orders/{id}/refunds``) as WooCommerce 9.9.5 makes them.

``POST`` takes ``amount`` (else the sum of the lines' ``refund_total``), ``reason``,
``line_items`` ``[{"id", "quantity", "refund_total"}]``, ``api_refund`` (default true: ask the
payment gateway, which for the sandbox's bank transfer refuses with a 500, as the real one
does) and ``api_restock`` (default true: refunded quantities go back to stock). A refund that
leaves nothing to refund sets the order ``refunded``; every refund queues ``order.updated``.
"""

from __future__ import annotations

from decimal import Decimal

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError
from connect_hub_woocommerce.sandbox.orders import Orders
from connect_hub_woocommerce.sandbox.values import Json, as_list, decimal, integer

GATEWAYS_WITH_REFUNDS: tuple[str, ...] = ()
"""Payment methods whose gateway refunds through its API (none of the sandbox's)."""


class Refunds:
    """Refunds kept on the stored orders."""

    def __init__(self, ctx: ShopContext, orders: Orders):
        self.ctx = ctx
        self.orders = orders

    def list(self, order_id: int) -> list[Json]:
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            return [shapes.refund(self.ctx.url, order_id, r) for r in reversed(order["refunds"])]

    def get(self, order_id: int, refund_id: int) -> Json:
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            for refund in order["refunds"]:
                if refund["id"] == refund_id:
                    return shapes.refund(self.ctx.url, order_id, refund)
            raise ShopError(
                404, "woocommerce_rest_invalid_order_refund_id", "Invalid order refund ID."
            )

    def create(self, order_id: int, data: Json) -> Json:
        with self.ctx.lock:
            order = self.orders.records.get(order_id)
            if order is None:
                raise ShopError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
            lines = self._lines(order, as_list(data.get("line_items"), "line_items"))
            if data.get("amount") not in (None, ""):
                amount = decimal(data["amount"], "amount")
            else:
                amount = sum((total for _, _, total in lines), Decimal(0))
            if amount < 0:
                raise ShopError(
                    400, "woocommerce_rest_invalid_order_refund",
                    "Refund amount must be greater than zero.",
                )  # fmt: skip
            if amount > self.orders.remaining_refund(order):
                raise ShopError(
                    500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount."
                )
            if data.get("api_refund", True) is not False and (
                order["payment_method"] not in GATEWAYS_WITH_REFUNDS
            ):
                raise ShopError(
                    500, "woocommerce_rest_cannot_create_order_refund",
                    "The payment gateway for this order does not support automatic refunds.",
                )  # fmt: skip
            reason = str(data["reason"]) if data.get("reason") else None
            restock = data.get("api_restock", True) is not False
            refund = self.orders.add_refund(order, amount, reason, lines, restock=restock)
            return shapes.refund(self.ctx.url, order_id, refund)

    def _lines(self, order: Json, items: list[object]) -> list[tuple[Json, int, Decimal]]:
        """(line, quantity, refund total) for each refunded line item of the request."""
        known = {line["id"]: line for line in order["line_items"]}
        lines = []
        for item in items:
            if not isinstance(item, dict):
                continue
            line = known.get(integer(item.get("id")) or 0)
            if line is None:
                continue  # the shop ignores an item that is not the order's
            quantity = integer(item.get("quantity")) or 0
            total = decimal(item.get("refund_total"), "refund_total")
            lines.append((line, quantity, total))
        return lines
