"""Order notes (``/orders/{id}/notes``) and the Shipment Tracking extension's trackings."""

from __future__ import annotations

import hashlib

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import invalid_param, missing_param
from connect_hub_woocommerce.sandbox.orders import Orders
from connect_hub_woocommerce.sandbox.values import Json


class Notes:
    """Notes and trackings kept on the stored orders."""

    def __init__(self, ctx: ShopContext, orders: Orders):
        self.ctx = ctx
        self.orders = orders

    def list(self, order_id: int) -> list[Json]:
        """An order's notes, newest first (system notes included, as the real shop shows)."""
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            return [shapes.note(self.ctx.url, order_id, n) for n in reversed(order["notes"])]

    def add(self, order_id: int, data: Json) -> Json:
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            if not data.get("note"):
                raise missing_param("note")
            customer_note = data.get("customer_note", False)
            if not isinstance(customer_note, bool):
                raise invalid_param("customer_note", "customer_note is not of type boolean.")
            note = self.orders.add_note(order, str(data["note"]), customer_note, system=False)
            return shapes.note(self.ctx.url, order_id, note)

    def list_trackings(self, order_id: int) -> list[Json]:
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            return [shapes.tracking(self.ctx.url, order_id, t) for t in order["trackings"]]

    def add_tracking(self, order_id: int, data: Json) -> Json:
        """Shipment Tracking: a known ``tracking_provider`` or a custom provider and link."""
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            number = str(data.get("tracking_number") or "")
            if not number:
                raise missing_param("tracking_number")
            provider = str(data.get("tracking_provider") or "")
            custom = str(data.get("custom_tracking_provider") or "")
            if not provider and not custom:
                raise missing_param("tracking_provider")
            shipped = data.get("date_shipped") or self.ctx.now().strftime("%Y-%m-%d")
            tracking = {
                "tracking_id": hashlib.md5(f"{order_id}-{number}-{len(order['trackings'])}".encode()).hexdigest(),
                "tracking_provider": provider, "custom_tracking_provider": custom,
                "custom_tracking_link": str(data.get("custom_tracking_link") or ""),
                "tracking_number": number, "date_shipped": str(shipped),
            }  # fmt: skip
            order["trackings"].append(tracking)
            return shapes.tracking(self.ctx.url, order_id, tracking)
