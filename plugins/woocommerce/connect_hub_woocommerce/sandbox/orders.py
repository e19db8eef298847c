"""Orders: lines priced from the catalogue, statuses with the shop's side effects, checkout.

Rules from a real WooCommerce 9.9.5 shop: orders share the posts id sequence with products;
stock is reduced when an order reaches processing, on-hold or completed and given back when it
is cancelled or set back to pending; every status change adds a system note; a paid order makes
its customer a paying one; ``date_modified`` moves only when a field other than meta data
changes; ``POST /orders`` queues ``order.created`` and ``order.updated``.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.customers import Customers
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.values import (
    Json,
    as_list,
    decimal,
    integer,
    money,
    slugify,
    wc_date,
)
from connect_hub_woocommerce.sandbox.webhooks import Webhooks

ORDER_STATUSES = (
    "auto-draft", "pending", "processing", "on-hold", "completed", "cancelled", "refunded",
    "failed", "checkout-draft",
)  # fmt: skip
STATUS_LABELS = {
    "pending": "Pending payment", "processing": "Processing", "on-hold": "On hold",
    "completed": "Completed", "cancelled": "Cancelled", "refunded": "Refunded",
    "failed": "Failed", "checkout-draft": "Draft", "trash": "Trash", "auto-draft": "Draft",
}  # fmt: skip
REDUCING_STATUSES = ("processing", "on-hold", "completed")
RESTORING_STATUSES = ("cancelled", "pending")
PAID_STATUSES = ("processing", "completed")


class Orders:
    """The shop's orders: ``records`` by id, each with its lines, notes and shipments."""

    def __init__(
        self,
        ctx: ShopContext,
        webhooks: Webhooks,
        products: Products,
        customers: Customers,
        custom_statuses: Iterable[str] = (),
    ):
        self.ctx = ctx
        self.webhooks = webhooks
        self.products = products
        self.customers = customers
        self.records: dict[int, Json] = {}
        self.statuses = ORDER_STATUSES + tuple(
            s for s in custom_statuses if s not in ORDER_STATUSES
        )

    def reset(self) -> None:
        with self.ctx.lock:
            self.records.clear()

    def json(self, record: Json) -> Json:
        return shapes.order(self.ctx.url, self.ctx.version, record)

    # --- reading --------------------------------------------------------------------------

    def list(
        self,
        *,
        status: str | None = None,
        modified_after: datetime | None = None,
        customer: int | None = None,
        include: Iterable[int] | None = None,
    ) -> list[Json]:
        """Orders newest first; ``status`` is a comma-separated list or ``any`` (not trash)."""
        with self.ctx.lock:
            statuses = None if status in (None, "any") else set(status.split(","))
            wanted = set(include) if include is not None else None
            found = [
                order
                for order in self.records.values()
                if (order["status"] in statuses if statuses else order["status"] != "trash")
                and (modified_after is None or order["date_modified"] > modified_after)
                and (customer is None or order["customer_id"] == customer)
                and (wanted is None or order["id"] in wanted)
            ]
            found.sort(key=lambda o: (o["date_created"], o["id"]), reverse=True)
            return [self.json(o) for o in found]

    def get(self, order_id: int) -> Json:
        with self.ctx.lock:
            return self.json(self.record(order_id, status=404))

    def record(self, order_id: int, *, status: int) -> Json:
        """The stored order; a ``status`` error (404 to read, 400 to write) when unknown."""
        order = self.records.get(order_id)
        if order is None:
            raise ShopError(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    # --- writing --------------------------------------------------------------------------

    def create(self, data: Json, *, created_via: str = "rest-api") -> Json:
        """A new order (default pending); lines by ``product_id``/``variation_id``.

        Queues ``order.created`` and ``order.updated``, like the real shop.
        """
        with self.ctx.lock:
            status = data.get("status", "pending")
            self._check_status(status)
            lines = [self._line(item) for item in as_list(data.get("line_items"), "line_items")]
            now = self.ctx.now()
            order: Json = {
                "id": self.ctx.next_id("post"), "status": "pending", "currency": "USD",
                "customer_id": int(data.get("customer_id") or 0),
                "order_key": "wc_order_" + secrets.token_urlsafe(10)[:13],
                "billing": shapes.address(data.get("billing"), email=True),
                "shipping": shapes.address(data.get("shipping"), email=False),
                "payment_method": str(data.get("payment_method") or ""),
                "payment_method_title": str(data.get("payment_method_title") or ""),
                "transaction_id": str(data.get("transaction_id") or ""),
                "customer_note": str(data.get("customer_note") or ""),
                "created_via": created_via, "meta_data": [], "line_items": lines,
                "shipping_lines": [self._shipping_line(s) for s in data.get("shipping_lines") or ()],
                "notes": [], "trackings": [], "shipments": [], "stock_reduced": False,
                "date_created": now, "date_modified": now, "date_paid": None,
                "date_completed": None,
            }  # fmt: skip
            self.ctx.merge_meta(order["meta_data"], data.get("meta_data"))
            self.records[order["id"]] = order
            if data.get("set_paid"):
                order["date_paid"] = now
            self._set_status(order, status)
            self.webhooks.emit("order", "created", order["id"])
            self.webhooks.emit("order", "updated", order["id"])
            return self.json(order)

    def update(self, order_id: int, data: Json) -> Json:
        """Change an order; setting the status it already has changes nothing (idempotent)."""
        with self.ctx.lock:
            order = self.record(order_id, status=400)
            if "status" in data:
                self._check_status(data["status"])
            before = copy.deepcopy({k: v for k, v in order.items() if k != "meta_data"})
            for name in ("billing", "shipping"):
                if name in data:
                    order[name] = {
                        **order[name],
                        **shapes.address(data[name], email=name == "billing"),
                    }
            for name in (
                "customer_note",
                "payment_method",
                "payment_method_title",
                "transaction_id",
            ):
                if name in data:
                    order[name] = str(data[name] or "")
            if "meta_data" in data:
                self.ctx.merge_meta(order["meta_data"], data["meta_data"])
            if data.get("set_paid") and order["date_paid"] is None:
                order["date_paid"] = self.ctx.now()
            if "status" in data:
                self._set_status(order, data["status"])
            if {k: v for k, v in order.items() if k != "meta_data"} != before:
                order["date_modified"] = self.ctx.now()
            self.webhooks.emit("order", "updated", order_id)
            return self.json(order)

    def place(self, data: Json) -> Json:
        """An order as a shopper's checkout makes it: lines by SKU, status processing; a known
        e-mail is the customer's account (billing from it)."""
        with self.ctx.lock:
            lines = []
            for line in as_list(data.get("lines"), "lines"):
                product = self.products.for_line(line)
                lines.append({"product_id": product["id"], "quantity": line.get("quantity", 1)})
            if not lines:
                raise ShopError(400, "sandbox_no_lines", "an order needs at least one line")
            email = str(data.get("email") or "")
            customer = self.customers.by_email(email)
            billing = {"email": email, **(data.get("billing") or {})}
            if customer is not None:
                billing = {**customer["billing"], **billing}
            payload = {
                "status": data.get("status", "processing"),
                "customer_id": customer["id"] if customer else 0,
                "billing": billing,
                "shipping": data.get("shipping") or (customer["shipping"] if customer else {}),
                "line_items": lines,
                "customer_note": data.get("customer_note", ""),
                "payment_method": "bacs",
                "payment_method_title": "Direct bank transfer",
                "shipping_lines": data.get("shipping_lines") or [],
                "meta_data": data.get("meta_data") or [],
            }
            return self.create(payload, created_via="checkout")

    def add_note(self, order: Json, text: str, customer_note: bool, *, system: bool) -> Json:
        """Append a note to a stored order (``system``: one the shop wrote itself)."""
        note = {
            "id": self.ctx.next_id("note"), "note": text, "customer_note": customer_note,
            "date_created": self.ctx.now(), "author": "WooCommerce", "system": system,
        }  # fmt: skip
        order["notes"].append(note)
        return note

    # --- rules ----------------------------------------------------------------------------

    def _check_status(self, status: Any) -> None:
        allowed = self.statuses
        if status not in allowed and status != "trash":
            listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            raise invalid_param("status", f"status is not one of {listed}.", "rest_not_in_enum")

    def _set_status(self, order: Json, status: str) -> None:
        """Move an order to ``status`` with the shop's side effects (stock, paid, notes)."""
        old = order["status"]
        now = self.ctx.now()
        if status != old:
            order["status"] = status
            self.add_note(
                order,
                f"Order status changed from {_label(old)} to {_label(status)}.",
                customer_note=False,
                system=True,
            )
        if status in PAID_STATUSES and order["date_paid"] is None:
            order["date_paid"] = now
        if status == "completed" and order["date_completed"] is None:
            order["date_completed"] = now
        if status in REDUCING_STATUSES and not order["stock_reduced"]:
            self._move_stock(order, -1)
        elif status in RESTORING_STATUSES and order["stock_reduced"]:
            self._move_stock(order, +1)
        if status != old and status in PAID_STATUSES:
            self.customers.mark_paying(order["customer_id"])

    def _move_stock(self, order: Json, direction: int) -> None:
        changed = []
        for line in order["line_items"]:
            product = self.products.records.get(line["variation_id"] or line["product_id"])
            if product is None or not product["manage_stock"]:
                continue
            old = product["stock_quantity"] or 0
            new = old + direction * line["quantity"]
            self.products.set_stock(product["id"], new)
            product["total_sales"] = max(0, product["total_sales"] - direction * line["quantity"])
            line["meta_data"] = [m for m in line["meta_data"] if m["key"] != "_reduced_stock"]
            if direction < 0:
                line["meta_data"].append(
                    {
                        "id": self.ctx.next_id("meta"),
                        "key": "_reduced_stock",
                        "value": str(line["quantity"]),
                    }
                )
            changed.append(f"{self.products.name_of(product)} ({product['sku']}) {old}&rarr;{new}")
        order["stock_reduced"] = direction < 0
        if changed:
            verb = "reduced" if direction < 0 else "increased"
            self.add_note(order, f"Stock levels {verb}: " + ", ".join(changed), False, system=True)

    def _line(self, item: Any) -> Json:
        if not isinstance(item, dict):
            raise invalid_param("line_items", "line_items[0] is not of type object.")
        product_id = integer(item.get("product_id")) or 0
        variation_id = integer(item.get("variation_id")) or 0
        product = self.products.records.get(variation_id or product_id)
        if product is None:
            raise ShopError(400, "woocommerce_rest_invalid_product_id", "Invalid product ID.")
        quantity = integer(item.get("quantity", 1))
        if quantity is None or quantity < 1:
            raise invalid_param("quantity", "quantity is not of type integer.")
        price = self.products.price_of(product) or Decimal(0)
        total = price * quantity
        parent = (
            self.products.records.get(product["parent_id"])
            if product["type"] == "variation"
            else None
        )
        meta = [
            {"id": self.ctx.next_id("meta"), "key": slugify(a["name"]), "value": a["option"],
             "display_key": a["name"], "display_value": a["option"]}
            for a in product["attributes"] if parent is not None
        ]  # fmt: skip
        return {
            "id": self.ctx.next_id("item"), "name": self.products.name_of(product),
            "product_id": parent["id"] if parent else product["id"],
            "variation_id": product["id"] if parent else 0, "quantity": quantity,
            "subtotal": money(total), "total": money(total), "meta_data": meta,
            "sku": product["sku"], "price": int(price) if price == int(price) else float(price),
            "parent_name": parent["name"] if parent else None,
        }  # fmt: skip

    def _shipping_line(self, data: Any) -> Json:
        data = data if isinstance(data, dict) else {}
        return {
            "id": self.ctx.next_id("item"),
            "method_title": str(data.get("method_title") or ""),
            "method_id": str(data.get("method_id") or ""),
            "total": money(decimal(data.get("total"), "shipping_lines.total")),
        }

    def summary(self) -> list[Json]:
        """What ``GET /_sandbox/state`` shows of each order: status, lines, notes, shipments."""
        with self.ctx.lock:
            return [
                {"id": o["id"], "status": o["status"], "email": o["billing"]["email"],
                 "total": money(shapes.order_total(o)[0]),
                 "lines": [{"sku": li["sku"], "quantity": li["quantity"]} for li in o["line_items"]],
                 "notes": [{"note": n["note"], "customer_note": n["customer_note"]}
                           for n in o["notes"] if not n["system"]],
                 "trackings": copy.deepcopy(o["trackings"]),
                 "shipments": copy.deepcopy(o["shipments"]),
                 "date_modified": wc_date(o["date_modified"])}
                for o in self.records.values()
            ]  # fmt: skip


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("-", " ").capitalize())
