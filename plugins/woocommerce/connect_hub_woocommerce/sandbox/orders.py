"""Orders: created and edited through the REST API, statuses with the shop's side effects.

Rules from a real WooCommerce 9.9.5 shop: orders share the posts id sequence with products;
stock is reduced when an order reaches processing, on-hold or completed and given back when it
is cancelled or set back to pending; every status change adds a system note; a paid order makes
its customer a paying one; ``date_modified`` moves only when a field other than meta data
changes; ``POST /orders`` queues ``order.created`` and ``order.updated``, a change
``order.updated``.

``PUT /orders/{id}`` edits as the real shop does: ``line_items`` addressed by ``id`` change
(quantity, totals, product), ``quantity`` 0 or ``product_id`` null removes one, an item without
``id`` is added; stock follows each edited line while the order's stock is reduced; addresses
change field by field; setting the status ``refunded`` refunds what is left (no restock).
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.customers import Customers
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.order_items import LineItems
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.values import Json, as_list, decimal, integer, money, wc_date
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
KEY_CHARACTERS = string.ascii_letters + string.digits
"""An order key is ``wc_order_`` and 13 of these (``wp_generate_password(13, false)``)."""
TEXT_FIELDS = ("customer_note", "payment_method", "payment_method_title", "transaction_id")
FULLY_REFUNDED_NOTE = (
    "Order status set to refunded. To return funds to the customer you will need to issue a "
    "refund through your payment gateway."
)


class Orders:
    """The shop's orders: ``records`` by id, each with its lines, notes, refunds, shipments."""

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
        self.lines = LineItems(ctx, products)
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
        """A new order (default pending); lines by ``product_id``/``variation_id``/``sku``.

        Queues ``order.created`` and ``order.updated``, like the real shop.
        """
        with self.ctx.lock:
            status = data.get("status", "pending")
            self._check_status(status)
            customer_id = self._customer_id(data.get("customer_id"))
            lines = [self.lines.new(item) for item in as_list(data.get("line_items"), "line_items")]
            now = self.ctx.now()
            order: Json = {
                "id": self.ctx.next_id("post"), "status": "pending", "currency": "USD",
                "customer_id": customer_id,
                "order_key": "wc_order_" + "".join(secrets.choice(KEY_CHARACTERS) for _ in range(13)),
                "billing": shapes.address(data.get("billing"), email=True),
                "shipping": shapes.address(data.get("shipping"), email=False),
                **{name: str(data.get(name) or "") for name in TEXT_FIELDS},
                "created_via": created_via, "meta_data": [], "line_items": lines,
                "shipping_lines": [self._shipping_line(s) for s in data.get("shipping_lines") or ()],
                "notes": [], "refunds": [], "trackings": [], "shipments": [],
                "stock_reduced": False, "date_created": now, "date_modified": now,
                "date_paid": None, "date_completed": None,
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
        """``PUT /orders/{id}`` (see the module docstring); setting the status an order already
        has changes nothing (idempotent). Everything is checked before anything is written."""
        with self.ctx.lock:
            order = self.record(order_id, status=400)
            if "status" in data:
                self._check_status(data["status"])
            customer_id = self._customer_id(data["customer_id"]) if "customer_id" in data else None
            items = as_list(data.get("line_items"), "line_items")
            self._check_items(order, items)
            before = copy.deepcopy({k: v for k, v in order.items() if k != "meta_data"})
            for name in ("billing", "shipping"):
                if isinstance(data.get(name), dict):
                    order[name].update(
                        shapes.address(data[name], email=name == "billing", fill=False)
                    )
            for name in TEXT_FIELDS:
                if name in data:
                    order[name] = str(data[name] or "")
            if customer_id is not None:
                order["customer_id"] = customer_id
            for item in items:
                self._edit_line(order, item)
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
        """An order as the shop's checkout makes it: lines by SKU, status processing.

        With ``customer_id`` the shopper is logged in: billing and shipping start from the
        account's (the checkout form is filled in from it, ``billing``/``shipping`` in ``data``
        are what the shopper changed there), and the checkout saves them back to the account
        (``customer.updated``), first and last name too when the account has none. Without it
        the order is a guest's (``customer_id`` 0), even when an account has that e-mail.
        """
        with self.ctx.lock:
            lines = [
                {
                    "product_id": self.products.for_line(line)["id"],
                    "quantity": line.get("quantity", 1),
                }
                for line in as_list(data.get("lines"), "lines")
            ]
            if not lines:
                raise ShopError(400, "sandbox_no_lines", "an order needs at least one line")
            customer = None
            if data.get("customer_id"):
                customer = self.customers.records.get(integer(data["customer_id"]) or 0)
                if customer is None:
                    raise ShopError(
                        400, "sandbox_unknown_customer", f"no customer {data['customer_id']!r}"
                    )
            billing = {**(customer["billing"] if customer else {}), **(data.get("billing") or {})}
            if data.get("email") or not billing.get("email"):
                billing["email"] = str(data.get("email") or (customer or {}).get("email") or "")
            shipping = {
                **(customer["shipping"] if customer else {}),
                **(data.get("shipping") or {}),
            }
            payload = {
                "status": data.get("status", "processing"),
                "customer_id": customer["id"] if customer else 0,
                "billing": billing,
                "shipping": shipping,
                "line_items": lines,
                "customer_note": data.get("customer_note", ""),
                "payment_method": "bacs",
                "payment_method_title": "Direct bank transfer",
                "shipping_lines": data.get("shipping_lines") or [],
                "meta_data": data.get("meta_data") or [],
            }
            order = self.create(payload, created_via="checkout")
            if customer is not None:
                self.customers.save_checkout(customer["id"], billing, shipping)
            return order

    def add_note(self, order: Json, text: str, customer_note: bool, *, system: bool) -> Json:
        """Append a note to a stored order (``system``: one the shop wrote itself)."""
        note = {
            "id": self.ctx.next_id("note"), "note": text, "customer_note": customer_note,
            "date_created": self.ctx.now(), "author": "WooCommerce", "system": system,
        }  # fmt: skip
        order["notes"].append(note)
        return note

    def add_refund(
        self,
        order: Json,
        amount: Decimal,
        reason: str | None,
        lines: list[tuple[Json, int, Decimal]],
        *,
        restock: bool,
    ) -> Json:
        """Store a refund of ``amount`` (at most what is left to refund; ``lines``: (line,
        quantity, total) refunded, back in stock when ``restock``); a refund that leaves nothing
        to refund sets the order ``refunded``. Queues ``order.updated``."""
        remaining = self.remaining_refund(order)
        refund = {
            "id": self.ctx.next_id("post"), "date_created": self.ctx.now(),
            "amount": money(amount), "reason": reason, "refunded_payment": False,
            "line_items": [
                {"id": self.ctx.next_id("item"), "meta_id": self.ctx.next_id("meta"),
                 "refunded_item_id": line["id"], "name": line["name"],
                 "product_id": line["product_id"], "variation_id": line["variation_id"],
                 "quantity": quantity, "total": money(total), "sku": line["sku"]}
                for line, quantity, total in lines
            ],
        }  # fmt: skip
        order["refunds"].append(refund)
        for line, quantity, _ in lines if restock else ():
            note = self.lines.restock_refunded(line, quantity)
            if note:
                self.add_note(order, note, False, system=True)
        if remaining - amount <= 0 and order["status"] != "refunded":
            self._set_status(order, "refunded")
        order["date_modified"] = self.ctx.now()
        self.webhooks.emit("order", "updated", order["id"])
        return refund

    def remaining_refund(self, order: Json) -> Decimal:
        """What can still be refunded: the total less every refund."""
        refunded = sum((Decimal(r["amount"]) for r in order["refunds"]), Decimal(0))
        return shapes.order_total(order)[0] - refunded

    # --- rules ----------------------------------------------------------------------------

    def _check_status(self, status: Any) -> None:
        allowed = self.statuses
        if status not in allowed and status != "trash":
            listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            raise invalid_param("status", f"status is not one of {listed}.", "rest_not_in_enum")

    def _customer_id(self, raw: Any) -> int:
        customer_id = integer(raw) if raw not in (None, "") else 0
        if customer_id is None or (customer_id and customer_id not in self.customers.records):
            raise ShopError(400, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
        return customer_id

    def _check_items(self, order: Json, items: list[Any]) -> None:
        known = {line["id"]: line for line in order["line_items"]}
        for item in items:
            if not isinstance(item, dict):
                continue
            item_id = integer(item.get("id")) or 0
            if item_id and item_id not in known or (self.lines.removes(item) and not item_id):
                raise ShopError(
                    400, "woocommerce_rest_invalid_item_id",
                    "Order item ID provided is not associated with order.",
                )  # fmt: skip
            if self.lines.removes(item):
                continue
            self.lines.validate(item, new=not item_id)

    def _edit_line(self, order: Json, item: Any) -> None:
        """One REST line item: remove, change or add a line, moving stock as the shop does."""
        if not isinstance(item, dict):
            return
        item_id = integer(item.get("id")) or 0
        line = next((li for li in order["line_items"] if li["id"] == item_id), None)
        if self.lines.removes(item) and line is not None:
            self.lines.adjust(line, 0)
            order["line_items"].remove(line)
            return
        if line is None:
            line = self.lines.new(item)
            order["line_items"].append(line)
        else:
            self.lines.change(line, item)
        if order["status"] in REDUCING_STATUSES:
            change = self.lines.adjust(line)
            if change:
                order["stock_reduced"] = True
                self.add_note(order, f"Adjusted stock: {change}", False, system=True)

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
            self._move_stock(order, reduce=True)
        elif status in RESTORING_STATUSES and order["stock_reduced"]:
            self._move_stock(order, reduce=False)
        if status != old and status in PAID_STATUSES:
            self.customers.mark_paying(order["customer_id"])
        if status != old and status == "refunded":
            self._refund_the_rest(order)

    def _refund_the_rest(self, order: Json) -> None:
        """``wc_order_fully_refunded``: a refund of what is left, without restocking."""
        remaining = self.remaining_refund(order)
        if remaining > 0:
            self.add_refund(order, remaining, "Order fully refunded.", [], restock=False)
            self.add_note(order, FULLY_REFUNDED_NOTE, False, system=True)

    def _move_stock(self, order: Json, *, reduce: bool) -> None:
        move = self.lines.reduce if reduce else self.lines.restore
        changed = [change for line in order["line_items"] if (change := move(line))]
        order["stock_reduced"] = reduce
        if changed:
            verb = "reduced" if reduce else "increased"
            self.add_note(order, f"Stock levels {verb}: " + ", ".join(changed), False, system=True)

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
                {"id": o["id"], "status": o["status"], "customer_id": o["customer_id"],
                 "email": o["billing"]["email"], "total": money(shapes.order_total(o)[0]),
                 "lines": [{"sku": li["sku"], "quantity": li["quantity"]} for li in o["line_items"]],
                 "shipping": dict(o["shipping"]),
                 "refunded": money(shapes.order_total(o)[0] - self.remaining_refund(o)),
                 "notes": [{"note": n["note"], "customer_note": n["customer_note"]}
                           for n in o["notes"] if not n["system"]],
                 "trackings": copy.deepcopy(o["trackings"]),
                 "shipments": copy.deepcopy(o["shipments"]),
                 "date_modified": wc_date(o["date_modified"])}
                for o in self.records.values()
            ]  # fmt: skip


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("-", " ").capitalize())
