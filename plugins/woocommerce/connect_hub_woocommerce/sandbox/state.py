"""The sandbox shop's memory and business rules: products, orders, customers, webhooks, faults.

Rules follow a real WooCommerce 9.9.5 shop (``/work/shared/woocommerce/FACTS.md``): one id
sequence for products, variations and orders (WordPress posts), SKUs unique across products and
variations, stock reduced when an order reaches processing/on-hold/completed and given back when
it is cancelled, ``date_modified`` bumped only by real changes (not by meta-only ones), and every
change queued as a webhook event for the job queue in :mod:`.webhooks`.

The state is shared between the server thread and the test that reads it, so every public
method takes the lock; what it returns are copies (JSON-ready dicts).
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from connect_hub.local_server import FaultQueue

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.webhooks import (
    PLUGIN_VERSION,
    Action,
    PendingQueue,
    encode,
    record_result,
    valid_topic,
)

Json = dict[str, Any]

READ = "read"
WRITE = "write"
READ_WRITE = "read_write"
PERMISSIONS = (READ, WRITE, READ_WRITE)

PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future", "trash")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
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
WEBHOOK_STATUSES = ("active", "paused", "disabled")
NONCE_WINDOW = timedelta(minutes=15)
FIRST_POST_ID = 10
FIRST_USER_ID = 2
CHECKOUT_META_KEY = "_connect_hub_checkout_id"
SANDBOX_PAIRING_CODE = "sandbox-pairing-code"
"""The code the sandbox's companion plugin accepts at pairing."""


class ShopError(Exception):
    """A request the shop refuses: becomes ``{"code", "message", "data": {"status", ...}}``."""

    def __init__(self, status: int, code: str, message: str, **data: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> Json:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }


def invalid_param(name: str, message: str, code: str = "rest_invalid_type") -> ShopError:
    """WordPress's 400 for a request argument that fails its schema."""
    return ShopError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": code, "message": message, "data": {"param": name}}},
    )


def missing_param(name: str) -> ShopError:
    return ShopError(
        400, "rest_missing_callback_param", f"Missing parameter(s): {name}", params=[name]
    )


@dataclass(frozen=True)
class ApiKey:
    """A REST API key pair with its permission: ``read``, ``write`` or ``read_write``."""

    consumer_key: str
    consumer_secret: str
    permissions: str = READ_WRITE

    def __post_init__(self) -> None:
        if self.permissions not in PERMISSIONS:
            raise ValueError(f"permissions must be one of {PERMISSIONS}, not {self.permissions!r}")


@dataclass
class Fault:
    """A misbehaviour for the next ``count`` REST requests whose path starts with ``path_prefix``.

    ``status`` answers that status (with ``Retry-After`` when ``retry_after`` is set) instead of
    handling the request, with a WooCommerce-style JSON error, or with ``body`` as raw text when
    given (garbage: HTML, truncated JSON). ``body`` alone answers 200 with it. ``delay`` waits
    before answering (then handles the request normally when there is no status or body).
    ``count`` -1 repeats until the faults are cleared.
    """

    status: int | None = None
    count: int = 1
    retry_after: float | str | None = None
    delay: float = 0.0
    body: str | None = None
    path_prefix: str = "/wp-json/"
    method: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not (
            isinstance(self.status, int)
            and not isinstance(self.status, bool)
            and 200 <= self.status < 600
        ):
            raise ShopError(422, "invalid_fault", "status must be an HTTP status (200-599)")
        if not isinstance(self.count, int) or self.count == 0 or self.count < -1:
            raise ShopError(422, "invalid_fault", "count must be a positive integer or -1")
        if not isinstance(self.delay, int | float) or self.delay < 0:
            raise ShopError(422, "invalid_fault", "delay must be a number of seconds >= 0")
        if self.body is not None and not isinstance(self.body, str):
            raise ShopError(422, "invalid_fault", "body must be text")

    def matches(self, method: str, path: str) -> bool:
        wanted = self.method.upper() if self.method else method
        return path.startswith(self.path_prefix) and wanted == method


def utcnow() -> datetime:
    """Now in UTC, to the second (as WordPress stores dates)."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def wc_date(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value is not None else None


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def php_intval(value: Any) -> int:
    """PHP's ``intval``: what a batch item's ``stock_quantity`` becomes ("abc" -> 0, "7x" -> 7)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class ShopState:
    """Everything the sandbox shop knows; ``reset`` empties it (keys and options stay)."""

    keys: dict[str, ApiKey] = field(default_factory=dict)
    url: str = "http://127.0.0.1"
    version: str = "9.9.5"
    custom_statuses: tuple[str, ...] = ()
    shipment_tracking: bool = False
    companion_plugin: bool = False
    pairing_code: str = SANDBOX_PAIRING_CODE
    clock: Callable[[], datetime] = utcnow
    products: dict[int, Json] = field(default_factory=dict)
    orders: dict[int, Json] = field(default_factory=dict)
    customers: dict[int, Json] = field(default_factory=dict)
    webhooks: dict[int, Json] = field(default_factory=dict)
    checkouts: dict[str, Json] = field(default_factory=dict)
    companion: Json | None = None
    """The companion plugin's pairing: ``{"hub_url", "secret"}`` (an option: reset keeps it)."""
    faults: FaultQueue[Fault] = field(default_factory=FaultQueue)
    deliveries: list[Json] = field(default_factory=list)
    pending: PendingQueue = field(default_factory=PendingQueue)
    nonces: dict[str, dict[str, datetime]] = field(default_factory=dict)
    _ids: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for table in (self.products, self.orders, self.customers, self.webhooks, self.nonces):
                table.clear()
            self.checkouts.clear()
            self.faults.clear()
            self.deliveries.clear()
            self.pending.clear()
            self._ids = {"post": FIRST_POST_ID, "user": FIRST_USER_ID, "webhook": 1, "note": 1,
                         "item": 1, "meta": 1}  # fmt: skip

    def _next(self, sequence: str) -> int:
        value = self._ids[sequence]
        self._ids[sequence] = value + 1
        return value

    @property
    def order_statuses(self) -> tuple[str, ...]:
        return ORDER_STATUSES + tuple(s for s in self.custom_statuses if s not in ORDER_STATUSES)

    # --- auth -----------------------------------------------------------------------------

    def api_key(self, consumer_key: str) -> ApiKey | None:
        return self.keys.get(consumer_key)

    def use_nonce(self, consumer_key: str, nonce: str, now: datetime) -> bool:
        """Record ``nonce`` for the key; False when it was used within the last 15 minutes."""
        with self._lock:
            used = self.nonces.setdefault(consumer_key, {})
            for old in [n for n, at in used.items() if at < now - NONCE_WINDOW]:
                del used[old]
            if nonce in used:
                return False
            used[nonce] = now
            return True

    # --- events ---------------------------------------------------------------------------

    def _emit(self, resource: str, event: str, resource_id: int) -> None:
        """Queue ``resource.event`` for every active webhook on that topic (merged per object)."""
        topic = f"{resource}.{event}"
        for webhook in self.webhooks.values():
            if webhook["status"] == "active" and webhook["topic"] == topic:
                self.pending.add(webhook["id"], topic, resource_id)

    def take_pending(self) -> list[Action]:
        """Every queued action, oldest first; the queue is empty afterwards."""
        with self._lock:
            return self.pending.take_all()

    def resource_json(self, resource: str, resource_id: int) -> Json:
        """The body of a delivery, as ``GET /{resource}s/{id}`` shows it now (``{"id"}`` if gone)."""
        with self._lock:
            if resource == "product" and resource_id in self.products:
                return shapes.product(self, self.products[resource_id])
            if resource == "order" and resource_id in self.orders:
                return shapes.order(self, self.orders[resource_id])
            if resource == "customer" and resource_id in self.customers:
                return shapes.customer(self, self.customers[resource_id])
            return {"id": resource_id}

    # --- products -------------------------------------------------------------------------

    def list_products(
        self,
        *,
        sku: str | None = None,
        type_: str | None = None,
        status: str | None = None,
        modified_after: datetime | None = None,
        include: Iterable[int] | None = None,
    ) -> list[Json]:
        """Products newest first; with ``sku`` variations are searched too (as the real shop)."""
        with self._lock:
            wanted = set(include) if include is not None else None
            found = []
            for product in self.products.values():
                if product["type"] == "variation" and sku is None:
                    continue
                if sku is not None and product["sku"] not in sku.split(","):
                    continue
                if type_ is not None and product["type"] != type_:
                    continue
                if status not in (None, "any") and product["status"] != status:
                    continue
                if status in (None, "any") and product["status"] == "trash":
                    continue
                if modified_after is not None and product["date_modified"] <= modified_after:
                    continue
                if wanted is not None and product["id"] not in wanted:
                    continue
                found.append(product)
            found.sort(key=lambda p: (p["date_created"], p["id"]), reverse=True)
            return [shapes.product(self, p) for p in found]

    def get_product(self, product_id: int) -> Json:
        with self._lock:
            return shapes.product(self, self._product(product_id, status=404))

    def _product(self, product_id: int, *, status: int) -> Json:
        product = self.products.get(product_id)
        if product is None:
            raise ShopError(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return product

    def create_product(self, data: Json, *, strict: bool = True) -> Json:
        with self._lock:
            product = self._new_product(data, parent=None, strict=strict)
            self._emit("product", "created", product["id"])
            return shapes.product(self, product)

    def update_product(self, product_id: int, data: Json, *, strict: bool = True) -> Json:
        """``PUT /products/{id}``: 400 for an unknown id, 404 for a variation's id."""
        with self._lock:
            product = self._product(product_id, status=400)
            if product["type"] == "variation":
                raise ShopError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            self._apply_product(product, data, strict=strict)
            self._emit("product", "updated", product_id)
            return shapes.product(self, product)

    def delete_product(self, product_id: int, *, force: bool) -> Json:
        """Trash a product (``force`` deletes it and its variations for good)."""
        with self._lock:
            product = self._product(product_id, status=404)
            if product["type"] == "variation":
                raise ShopError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            shown = shapes.product(self, product)
            if force:
                for variation_id in product["variations"]:
                    self.products.pop(variation_id, None)
                del self.products[product_id]
            else:
                product["status"] = "trash"
                product["date_modified"] = self.clock()
                shown = shapes.product(self, product)
            self._emit("product", "deleted", product_id)
            return shown

    def list_variations(self, parent_id: int) -> list[Json]:
        with self._lock:
            parent = self._product(parent_id, status=404)
            return [
                shapes.variation(self, self.products[vid]) for vid in reversed(parent["variations"])
            ]

    def get_variation(self, parent_id: int, variation_id: int) -> Json:
        with self._lock:
            return shapes.variation(self, self._variation(parent_id, variation_id))

    def _variation(self, parent_id: int, variation_id: int) -> Json:
        variation = self.products.get(variation_id)
        if (
            variation is None
            or variation["type"] != "variation"
            or variation["parent_id"] != parent_id
        ):
            raise ShopError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return variation

    def create_variation(self, parent_id: int, data: Json, *, strict: bool = True) -> Json:
        with self._lock:
            parent = self._product(parent_id, status=404)
            variation = self._new_product(data, parent=parent, strict=strict)
            self._emit("product", "created", variation["id"])
            return shapes.variation(self, variation)

    def update_variation(
        self, parent_id: int, variation_id: int, data: Json, *, strict: bool = True
    ) -> Json:
        with self._lock:
            variation = self._variation(parent_id, variation_id)
            self._apply_product(variation, data, strict=strict)
            self._emit("product", "updated", variation_id)
            return shapes.variation(self, variation)

    def _new_product(self, data: Json, *, parent: Json | None, strict: bool) -> Json:
        now = self.clock()
        product: Json = {
            "id": 0, "name": "", "slug": "", "type": "simple", "status": "publish",
            "description": "", "short_description": "", "sku": "", "global_unique_id": "",
            "regular_price": "", "sale_price": "", "manage_stock": False, "stock_quantity": None,
            "stock_status": "instock", "parent_id": 0, "variations": [], "attributes": [],
            "meta_data": [], "total_sales": 0, "weight": "", "menu_order": 0,
            "date_created": now, "date_modified": now,
        }  # fmt: skip
        if parent is not None:
            product.update(type="variation", parent_id=parent["id"], name=None)
            data = {k: v for k, v in data.items() if k not in ("type", "parent_id")}
        self._check_product(product, data, strict=strict, own_id=None)
        product["id"] = self._next("post")
        self._write_product(product, data, strict=strict)
        if not product["slug"] and product["name"]:
            product["slug"] = self._unique_slug(slugify(product["name"]))
        self.products[product["id"]] = product
        if parent is not None:
            parent["variations"].append(product["id"])
            parent["date_modified"] = now
        return product

    def _unique_slug(self, slug: str) -> str:
        taken = {p["slug"] for p in self.products.values()}
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    def _apply_product(self, product: Json, data: Json, *, strict: bool) -> None:
        self._check_product(product, data, strict=strict, own_id=product["id"])
        before = {k: copy.deepcopy(v) for k, v in product.items() if k != "meta_data"}
        self._write_product(product, data, strict=strict)
        after = {k: v for k, v in product.items() if k != "meta_data"}
        if after != before:
            product["date_modified"] = self.clock()

    def _check_product(
        self, product: Json, data: Json, *, strict: bool, own_id: int | None
    ) -> None:
        """Refuse what the real shop refuses, before anything is written."""
        if strict:
            for name in ("name", "sku", "regular_price", "sale_price", "description",
                         "short_description", "global_unique_id", "weight"):  # fmt: skip
                if name in data and not isinstance(data[name], str):
                    raise invalid_param(name, f"{name} is not of type string.")
            for name in ("manage_stock",):
                if name in data and not isinstance(data[name], bool):
                    raise invalid_param(name, f"{name} is not of type boolean.")
            stock = data.get("stock_quantity")
            if stock is not None and _integer(stock) is None:
                raise invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        for name, allowed in (("type", PRODUCT_TYPES), ("status", PRODUCT_STATUSES),
                              ("stock_status", STOCK_STATUSES)):  # fmt: skip
            if name in data and data[name] not in allowed:
                listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
                raise invalid_param(name, f"{name} is not one of {listed}.", "rest_not_in_enum")
        sku = str(data.get("sku") or "")
        if sku:
            for other in self.products.values():
                if other["sku"] == sku and other["id"] != own_id:
                    raise ShopError(
                        400, "product_invalid_sku", "Invalid or duplicated SKU.",
                        resource_id=other["id"], unique_sku=f"{sku}-1",
                    )  # fmt: skip
        gtin = str(data.get("global_unique_id") or "")
        if gtin:
            for other in self.products.values():
                if other["global_unique_id"] == gtin and other["id"] != own_id:
                    raise ShopError(
                        400, "product_invalid_global_unique_id",
                        "Invalid or duplicated GTIN, UPC, EAN or ISBN.", resource_id=other["id"],
                    )  # fmt: skip

    def _write_product(self, product: Json, data: Json, *, strict: bool) -> None:
        for name in ("name", "sku", "global_unique_id", "description", "short_description",
                     "weight", "slug"):  # fmt: skip
            if name in data and not (name == "name" and product["type"] == "variation"):
                product[name] = str(data[name] or "")
        for name in ("regular_price", "sale_price"):
            if name in data:
                product[name] = _price(data[name])
        for name in ("type", "status", "menu_order"):
            if name in data:
                product[name] = data[name]
        if "manage_stock" in data:
            product["manage_stock"] = bool(data["manage_stock"])
        if "stock_quantity" in data:
            raw = data["stock_quantity"]
            product["stock_quantity"] = (
                None if raw is None else (_integer(raw) if strict else php_intval(raw))
            )
        if "stock_status" in data:
            product["stock_status"] = data["stock_status"]
        if "attributes" in data:
            product["attributes"] = _attributes(data["attributes"], product["type"] == "variation")
        if "meta_data" in data:
            self._merge_meta(product["meta_data"], data["meta_data"])
        if product["manage_stock"] and product["stock_quantity"] is not None:
            product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"

    def _merge_meta(self, current: list[Json], changes: Any) -> None:
        for change in changes if isinstance(changes, list) else ():
            if not isinstance(change, dict) or "key" not in change:
                continue
            for meta in current:
                if meta["key"] == change["key"] or meta["id"] == change.get("id"):
                    meta["value"] = change.get("value")
                    break
            else:
                current.append(
                    {
                        "id": self._next("meta"),
                        "key": str(change["key"]),
                        "value": change.get("value"),
                    }
                )

    def set_stock(self, product_id: int, quantity: int) -> None:
        """Change a product's stock as the shop itself does (no validation, event queued)."""
        product = self.products[product_id]
        product["manage_stock"] = True
        product["stock_quantity"] = quantity
        product["stock_status"] = "instock" if quantity > 0 else "outofstock"
        product["date_modified"] = self.clock()
        self._emit("product", "updated", product_id)

    def set_stock_by_sku(self, levels: Json) -> None:
        """Set absolute stock by SKU as a shop manager would (``product.updated`` queued)."""
        with self._lock:
            changes = []
            for sku, quantity in levels.items():
                product = self.product_by_sku(sku)
                if product is None or product["type"] == "variable":
                    raise ShopError(
                        400, "sandbox_unknown_sku", f"no product or variation with SKU {sku!r}"
                    )
                if _integer(quantity) is None:
                    raise ShopError(
                        400, "sandbox_invalid_stock", f"stock of {sku} must be an integer"
                    )
                changes.append((product["id"], _integer(quantity) or 0))
            for product_id, quantity in changes:
                self.set_stock(product_id, quantity)

    def product_by_sku(self, sku: str) -> Json | None:
        return next((p for p in self.products.values() if p["sku"] == sku and sku), None)

    def price_of(self, product: Json) -> Decimal | None:
        """The active price: sale else regular; a variable product's lowest variation price."""
        if product["type"] == "variable":
            prices = [self.price_of(self.products[v]) for v in product["variations"]]
            known = [p for p in prices if p is not None]
            return min(known) if known else None
        raw = product["sale_price"] or product["regular_price"]
        return Decimal(raw) if raw else None

    # --- orders ---------------------------------------------------------------------------

    def list_orders(
        self,
        *,
        status: str | None = None,
        modified_after: datetime | None = None,
        customer: int | None = None,
        include: Iterable[int] | None = None,
    ) -> list[Json]:
        """Orders newest first; ``status`` is a comma-separated list or ``any`` (not trash)."""
        with self._lock:
            statuses = None if status in (None, "any") else set(status.split(","))
            wanted = set(include) if include is not None else None
            found = [
                order
                for order in self.orders.values()
                if (order["status"] in statuses if statuses else order["status"] != "trash")
                and (modified_after is None or order["date_modified"] > modified_after)
                and (customer is None or order["customer_id"] == customer)
                and (wanted is None or order["id"] in wanted)
            ]
            found.sort(key=lambda o: (o["date_created"], o["id"]), reverse=True)
            return [shapes.order(self, o) for o in found]

    def get_order(self, order_id: int) -> Json:
        with self._lock:
            return shapes.order(self, self._order(order_id, status=404))

    def _order(self, order_id: int, *, status: int) -> Json:
        order = self.orders.get(order_id)
        if order is None:
            raise ShopError(status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    def create_order(self, data: Json, *, created_via: str = "rest-api") -> Json:
        """A new order (default pending); lines by ``product_id``/``variation_id``.

        Queues ``order.created`` and ``order.updated``, like the real shop.
        """
        with self._lock:
            status = data.get("status", "pending")
            self._check_status(status)
            lines = [self._line(item) for item in _list(data.get("line_items"), "line_items")]
            now = self.clock()
            order: Json = {
                "id": self._next("post"), "status": "pending", "currency": "USD",
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
            self._merge_meta(order["meta_data"], data.get("meta_data"))
            self.orders[order["id"]] = order
            if data.get("set_paid"):
                order["date_paid"] = now
            self._set_status(order, status)
            self._emit("order", "created", order["id"])
            self._emit("order", "updated", order["id"])
            return shapes.order(self, order)

    def update_order(self, order_id: int, data: Json) -> Json:
        """Change an order; setting the status it already has changes nothing (idempotent)."""
        with self._lock:
            order = self._order(order_id, status=400)
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
                self._merge_meta(order["meta_data"], data["meta_data"])
            if data.get("set_paid") and order["date_paid"] is None:
                order["date_paid"] = self.clock()
            if "status" in data:
                self._set_status(order, data["status"])
            if {k: v for k, v in order.items() if k != "meta_data"} != before:
                order["date_modified"] = self.clock()
            self._emit("order", "updated", order_id)
            return shapes.order(self, order)

    def _check_status(self, status: Any) -> None:
        allowed = self.order_statuses
        if status not in allowed and status != "trash":
            listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
            raise invalid_param("status", f"status is not one of {listed}.", "rest_not_in_enum")

    def _set_status(self, order: Json, status: str) -> None:
        """Move an order to ``status`` with the shop's side effects (stock, paid, notes)."""
        old = order["status"]
        now = self.clock()
        if status != old:
            order["status"] = status
            self._add_note(
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
        if status != old and status in PAID_STATUSES and order["customer_id"] in self.customers:
            customer = self.customers[order["customer_id"]]
            customer["is_paying_customer"] = True
            self._emit("customer", "updated", customer["id"])

    def _move_stock(self, order: Json, direction: int) -> None:
        changed = []
        for line in order["line_items"]:
            product = self.products.get(line["variation_id"] or line["product_id"])
            if product is None or not product["manage_stock"]:
                continue
            old = product["stock_quantity"] or 0
            new = old + direction * line["quantity"]
            self.set_stock(product["id"], new)
            product["total_sales"] = max(0, product["total_sales"] - direction * line["quantity"])
            line["meta_data"] = [m for m in line["meta_data"] if m["key"] != "_reduced_stock"]
            if direction < 0:
                line["meta_data"].append(
                    {
                        "id": self._next("meta"),
                        "key": "_reduced_stock",
                        "value": str(line["quantity"]),
                    }
                )
            changed.append(
                f"{shapes.product_name(self, product)} ({product['sku']}) {old}&rarr;{new}"
            )
        order["stock_reduced"] = direction < 0
        if changed:
            verb = "reduced" if direction < 0 else "increased"
            self._add_note(order, f"Stock levels {verb}: " + ", ".join(changed), False, system=True)

    def _line(self, item: Any) -> Json:
        if not isinstance(item, dict):
            raise invalid_param("line_items", "line_items[0] is not of type object.")
        product_id = _integer(item.get("product_id")) or 0
        variation_id = _integer(item.get("variation_id")) or 0
        product = self.products.get(variation_id or product_id)
        if product is None:
            raise ShopError(400, "woocommerce_rest_invalid_product_id", "Invalid product ID.")
        quantity = _integer(item.get("quantity", 1))
        if quantity is None or quantity < 1:
            raise invalid_param("quantity", "quantity is not of type integer.")
        price = self.price_of(product) or Decimal(0)
        total = price * quantity
        parent = self.products.get(product["parent_id"]) if product["type"] == "variation" else None
        meta = [
            {"id": self._next("meta"), "key": slugify(a["name"]), "value": a["option"],
             "display_key": a["name"], "display_value": a["option"]}
            for a in product["attributes"] if parent is not None
        ]  # fmt: skip
        return {
            "id": self._next("item"), "name": shapes.product_name(self, product),
            "product_id": parent["id"] if parent else product["id"],
            "variation_id": product["id"] if parent else 0, "quantity": quantity,
            "subtotal": money(total), "total": money(total), "meta_data": meta,
            "sku": product["sku"], "price": int(price) if price == int(price) else float(price),
            "parent_name": parent["name"] if parent else None,
        }  # fmt: skip

    def _shipping_line(self, data: Any) -> Json:
        data = data if isinstance(data, dict) else {}
        return {
            "id": self._next("item"),
            "method_title": str(data.get("method_title") or ""),
            "method_id": str(data.get("method_id") or ""),
            "total": money(_decimal(data.get("total"), "shipping_lines.total")),
        }

    def order_total(self, order: Json) -> tuple[Decimal, Decimal]:
        """(total, shipping total) of an order."""
        shipping = sum((Decimal(s["total"]) for s in order["shipping_lines"]), Decimal(0))
        lines = sum((Decimal(line["total"]) for line in order["line_items"]), Decimal(0))
        return lines + shipping, shipping

    def place_order(self, data: Json) -> Json:
        """An order as a shopper's checkout makes it: lines by SKU, status processing.

        With ``checkout_id`` (the companion plugin's checkout): lines, e-mail and names default
        to the checkout's, the order keeps the checkout id in meta ``_connect_hub_checkout_id``,
        and the checkout is completed (``checkout.completed``).
        """
        with self._lock:
            checkout = None
            if data.get("checkout_id"):
                checkout = self._checkout(str(data["checkout_id"]))
                data = {
                    **data,
                    "lines": data.get("lines") or [
                        {"sku": line["sku"], "quantity": line["quantity"]} for line in checkout["lines"]
                    ],
                    "email": data.get("email") or checkout["email"],
                    "billing": {"first_name": checkout["first_name"], "last_name": checkout["last_name"],
                                **(data.get("billing") or {})},
                    "meta_data": [{"key": CHECKOUT_META_KEY, "value": checkout["id"]}],
                }  # fmt: skip
            order = self._place_order(data)
            if checkout is not None:
                checkout.update(status="completed", order_id=order["id"], updated_at=self.clock())
                self._emit_message("checkout.completed", self.checkout_json(checkout))
            return order

    def _place_order(self, data: Json) -> Json:
        with self._lock:
            lines = []
            for line in _list(data.get("lines"), "lines"):
                product = (
                    self.product_by_sku(str(line.get("sku") or ""))
                    if isinstance(line, dict)
                    else None
                )
                if product is None:
                    raise ShopError(400, "sandbox_unknown_sku", f"no product with SKU {line!r}")
                lines.append({"product_id": product["id"], "quantity": line.get("quantity", 1)})
            if not lines:
                raise ShopError(400, "sandbox_no_lines", "an order needs at least one line")
            email = str(data.get("email") or "")
            customer = next((c for c in self.customers.values() if c["email"] == email), None)
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
            return self.create_order(payload, created_via="checkout")

    # --- companion plugin: pairing, checkouts, shipments ------------------------------------

    def _emit_message(self, topic: str, body: Json) -> None:
        """Queue a companion plugin message (sent to the paired hub when the queue runs)."""
        self.pending.add_message(topic, encode(body))

    def plugin_status(self) -> Json:
        with self._lock:
            return {"version": PLUGIN_VERSION, "paired": self.companion is not None}

    def companion_pairing(self) -> Json | None:
        with self._lock:
            return dict(self.companion) if self.companion is not None else None

    def pair(self, data: Json) -> Json:
        """Pair the plugin with a hub: ``{"code", "hub_url", "secret"}``; the code must match."""
        with self._lock:
            for name in ("code", "hub_url", "secret"):
                if not data.get(name):
                    raise missing_param(name)
            if not secrets.compare_digest(str(data["code"]), self.pairing_code):
                raise ShopError(403, "connect_hub_invalid_pairing_code", "The pairing code is not the one this shop shows.")
            self.companion = {"hub_url": str(data["hub_url"]), "secret": str(data["secret"])}
            return {"paired": True, "hub_url": self.companion["hub_url"]}

    def _checkout(self, checkout_id: str) -> Json:
        checkout = self.checkouts.get(checkout_id)
        if checkout is None:
            raise ShopError(404, "sandbox_unknown_checkout", f"no checkout with id {checkout_id!r}")
        return checkout

    def checkout_json(self, checkout: Json) -> Json:
        """A checkout as the companion plugin sends it."""
        body = {
            "id": checkout["id"], "status": checkout["status"], "email": checkout["email"],
            "first_name": checkout["first_name"], "last_name": checkout["last_name"],
            "currency": checkout["currency"],
            "total": money(sum((Decimal(line["price"]) * line["quantity"] for line in checkout["lines"]), Decimal(0))),
            "lines": copy.deepcopy(checkout["lines"]), "recovery_url": checkout["recovery_url"],
            "updated_at_gmt": checkout["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }  # fmt: skip
        if checkout.get("order_id"):
            body["order_id"] = checkout["order_id"]
        return body

    def start_checkout(self, data: Json) -> Json:
        """A shopper with a known e-mail and a cart (``{"email", "first_name", "last_name",
        "lines": [{"sku", "quantity"}]}``; with ``id``: that checkout's cart changes); queues
        ``checkout.updated``."""
        with self._lock:
            email = str(data.get("email") or "")
            if "@" not in email:
                raise missing_param("email")
            lines = []
            for line in _list(data.get("lines"), "lines"):
                product = self.product_by_sku(str(line.get("sku") or "")) if isinstance(line, dict) else None
                if product is None:
                    raise ShopError(400, "sandbox_unknown_sku", f"no product with SKU {line!r}")
                lines.append({
                    "sku": product["sku"], "name": shapes.product_name(self, product),
                    "quantity": _integer(line.get("quantity", 1)) or 1,
                    "price": money(self.price_of(product) or Decimal(0)),
                })  # fmt: skip
            checkout_id = str(data.get("id") or uuid.uuid4())
            checkout = self.checkouts.get(checkout_id)
            if checkout is None:
                checkout = self.checkouts[checkout_id] = {
                    "id": checkout_id, "status": "pending", "currency": "USD", "order_id": None,
                    "recovery_url": f"{self.url}/checkout/?connect-hub-cart={checkout_id}",
                }  # fmt: skip
            checkout.update(
                email=email, first_name=str(data.get("first_name") or ""),
                last_name=str(data.get("last_name") or ""), lines=lines, updated_at=self.clock(),
            )  # fmt: skip
            body = self.checkout_json(checkout)
            self._emit_message("checkout.updated", body)
            return body

    def list_plugin_shipments(self, order_id: int) -> list[Json]:
        with self._lock:
            return copy.deepcopy(self._order(order_id, status=404)["shipments"])

    def add_plugin_shipment(self, order_id: int, data: Json, *, source: str) -> tuple[Json, bool]:
        """A shipment on an order's panel, and whether it is new: one with the same
        ``external_id`` is answered as it is (idempotent). Queues ``shipment.created``."""
        with self._lock:
            order = self._order(order_id, status=404)
            external_id = str(data.get("external_id") or "")
            for existing in order["shipments"]:
                if external_id and existing["external_id"] == external_id:
                    return copy.deepcopy(existing), False
            if not data.get("tracking_number"):
                raise missing_param("tracking_number")
            shipment = {
                "id": str(uuid.uuid4()), "provider": str(data.get("provider") or ""),
                "tracking_number": str(data["tracking_number"]),
                "tracking_url": str(data.get("tracking_url") or ""), "external_id": external_id,
                "created_at_gmt": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "source": source,
            }  # fmt: skip
            order["shipments"].append(shipment)
            self._emit_message("shipment.created", {
                "order_id": order["id"], "order_number": str(order["id"]), "shipment": copy.deepcopy(shipment),
            })  # fmt: skip
            return copy.deepcopy(shipment), True

    # --- order notes and shipment trackings ----------------------------------------------

    def list_notes(self, order_id: int) -> list[Json]:
        with self._lock:
            order = self._order(order_id, status=404)
            return [shapes.note(self, order, n) for n in reversed(order["notes"])]

    def add_note(self, order_id: int, data: Json) -> Json:
        with self._lock:
            order = self._order(order_id, status=404)
            if not data.get("note"):
                raise missing_param("note")
            customer_note = data.get("customer_note", False)
            if not isinstance(customer_note, bool):
                raise invalid_param("customer_note", "customer_note is not of type boolean.")
            note = self._add_note(order, str(data["note"]), customer_note, system=False)
            return shapes.note(self, order, note)

    def _add_note(self, order: Json, text: str, customer_note: bool, *, system: bool) -> Json:
        note = {
            "id": self._next("note"), "note": text, "customer_note": customer_note,
            "date_created": self.clock(), "author": "WooCommerce", "system": system,
        }  # fmt: skip
        order["notes"].append(note)
        return note

    def list_trackings(self, order_id: int) -> list[Json]:
        with self._lock:
            order = self._order(order_id, status=404)
            return [shapes.tracking(self, order, t) for t in order["trackings"]]

    def add_tracking(self, order_id: int, data: Json) -> Json:
        """Shipment Tracking: a known ``tracking_provider`` or a custom provider and link."""
        with self._lock:
            order = self._order(order_id, status=404)
            number = str(data.get("tracking_number") or "")
            if not number:
                raise missing_param("tracking_number")
            provider = str(data.get("tracking_provider") or "")
            custom = str(data.get("custom_tracking_provider") or "")
            if not provider and not custom:
                raise missing_param("tracking_provider")
            shipped = data.get("date_shipped") or self.clock().strftime("%Y-%m-%d")
            tracking = {
                "tracking_id": hashlib.md5(f"{order_id}-{number}-{len(order['trackings'])}".encode()).hexdigest(),
                "tracking_provider": provider, "custom_tracking_provider": custom,
                "custom_tracking_link": str(data.get("custom_tracking_link") or ""),
                "tracking_number": number, "date_shipped": str(shipped),
            }  # fmt: skip
            order["trackings"].append(tracking)
            return shapes.tracking(self, order, tracking)

    # --- customers ------------------------------------------------------------------------

    def list_customers(self, *, email: str | None = None, role: str = "customer") -> list[Json]:
        """Customers by id; filters by ``email`` only (the real shop has no date filter)."""
        with self._lock:
            return [
                shapes.customer(self, c)
                for c in self.customers.values()
                if (email is None or c["email"].lower() == email.lower())
                and role in ("all", c["role"])
            ]

    def get_customer(self, customer_id: int) -> Json:
        with self._lock:
            return shapes.customer(self, self._customer(customer_id))

    def _customer(self, customer_id: int) -> Json:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise ShopError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return customer

    def create_customer(self, data: Json) -> Json:
        """A registered customer; queues ``customer.created`` and ``customer.updated``."""
        with self._lock:
            email = data.get("email")
            if not email:
                raise missing_param("email")
            email = str(email)
            self._check_email(email, own_id=None)
            username = str(data.get("username") or email.split("@", 1)[0])
            if any(c["username"] == username for c in self.customers.values()):
                raise ShopError(
                    400, "registration-error-username-exists",
                    "An account is already registered with that username. Please choose another.",
                )  # fmt: skip
            now = self.clock()
            customer: Json = {
                "id": self._next("user"), "email": email, "username": username, "role": "customer",
                "first_name": str(data.get("first_name") or ""),
                "last_name": str(data.get("last_name") or ""),
                "billing": shapes.address(data.get("billing"), email=True),
                "shipping": shapes.address(data.get("shipping"), email=False),
                "is_paying_customer": False, "meta_data": [],
                "date_created": now, "date_modified": now,
            }  # fmt: skip
            self._merge_meta(customer["meta_data"], [{"key": "default_password_nag", "value": "1"}])
            self._merge_meta(customer["meta_data"], data.get("meta_data"))
            self.customers[customer["id"]] = customer
            self._emit("customer", "created", customer["id"])
            self._emit("customer", "updated", customer["id"])
            return shapes.customer(self, customer)

    def update_customer(self, customer_id: int, data: Json) -> Json:
        with self._lock:
            customer = self._customer(customer_id)
            if "email" in data:
                self._check_email(str(data["email"]), own_id=customer_id)
            before = copy.deepcopy({k: v for k, v in customer.items() if k != "meta_data"})
            for name in ("email", "first_name", "last_name"):
                if name in data:
                    customer[name] = str(data[name] or "")
            for name in ("billing", "shipping"):
                if name in data:
                    customer[name] = {
                        **customer[name],
                        **shapes.address(data[name], email=name == "billing", fill=False),
                    }
            if "meta_data" in data:
                self._merge_meta(customer["meta_data"], data["meta_data"])
            if {k: v for k, v in customer.items() if k != "meta_data"} != before:
                customer["date_modified"] = self.clock()
            self._emit("customer", "updated", customer_id)
            return shapes.customer(self, customer)

    def _check_email(self, email: str, *, own_id: int | None) -> None:
        if "@" not in email:
            raise invalid_param(
                "email", "email is not a valid email address.", "rest_invalid_email"
            )
        for other in self.customers.values():
            if other["email"].lower() == email.lower() and other["id"] != own_id:
                raise ShopError(
                    400, "registration-error-email-exists",
                    "An account is already registered with your email address. Please log in.",
                )  # fmt: skip

    # --- webhooks -------------------------------------------------------------------------

    def list_webhooks(self, status: str = "all") -> list[Json]:
        with self._lock:
            return [
                shapes.webhook(self, w)
                for w in self.webhooks.values()
                if status == "all" or w["status"] == status
            ]

    def get_webhook(self, webhook_id: int) -> Json:
        with self._lock:
            return shapes.webhook(self, self._webhook(webhook_id))

    def _webhook(self, webhook_id: int) -> Json:
        webhook = self.webhooks.get(webhook_id)
        if webhook is None:
            raise ShopError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return webhook

    def webhook_record(self, webhook_id: int) -> Json | None:
        """A copy of the stored webhook, secret and failure count included (None if gone)."""
        with self._lock:
            webhook = self.webhooks.get(webhook_id)
            return copy.deepcopy(webhook) if webhook is not None else None

    def create_webhook(self, data: Json) -> Json:
        """Store a webhook; the caller sends the ping. The answer shows ``date_modified`` null."""
        with self._lock:
            topic = data.get("topic")
            if not isinstance(topic, str) or not valid_topic(topic):
                raise ShopError(
                    400, "woocommerce_rest_shop_webhook_invalid_topic",
                    "Webhook topic is required and must be valid.",
                )  # fmt: skip
            self._check_delivery_url(data.get("delivery_url"))
            status = data.get("status", "active")
            self._check_webhook_status(status)
            now = self.clock()
            webhook = {
                "id": self._next("webhook"),
                "name": str(data.get("name") or f"Webhook created on {now:%b %d, %Y @ %I:%M %p}"),
                "status": status, "topic": topic, "delivery_url": data["delivery_url"],
                "secret": str(data.get("secret") or secrets.token_urlsafe(37)[:50]),
                "failure_count": 0, "date_created": now, "date_modified": None,
            }  # fmt: skip
            self.webhooks[webhook["id"]] = webhook
            shown = shapes.webhook(self, webhook)
            webhook["date_modified"] = now
            return shown

    def update_webhook(self, webhook_id: int, data: Json) -> Json:
        """Change a webhook; re-activating keeps its failure count (no ping)."""
        with self._lock:
            webhook = self._webhook(webhook_id)
            if "topic" in data and not (
                isinstance(data["topic"], str) and valid_topic(data["topic"])
            ):
                raise ShopError(
                    400, "woocommerce_rest_shop_webhook_invalid_topic",
                    "Webhook topic is required and must be valid.",
                )  # fmt: skip
            if "delivery_url" in data:
                self._check_delivery_url(data["delivery_url"])
            if "status" in data:
                self._check_webhook_status(data["status"])
            for name in ("name", "status", "topic", "delivery_url", "secret"):
                if name in data:
                    webhook[name] = data[name]
            webhook["date_modified"] = self.clock()
            return shapes.webhook(self, webhook)

    def delete_webhook(self, webhook_id: int) -> Json:
        with self._lock:
            shown = shapes.webhook(self, self._webhook(webhook_id))
            del self.webhooks[webhook_id]
            self.pending.drop_webhook(webhook_id)
            return shown

    def _check_delivery_url(self, url: Any) -> None:
        if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
            raise ShopError(
                400, "woocommerce_rest_shop_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            )  # fmt: skip

    def _check_webhook_status(self, status: Any) -> None:
        if status not in WEBHOOK_STATUSES:
            listed = ", ".join(WEBHOOK_STATUSES[:-1]) + f", and {WEBHOOK_STATUSES[-1]}"
            raise invalid_param("status", f"status is not one of {listed}.", "rest_not_in_enum")

    def delivery_done(self, webhook_id: int, entry: Json, *, success: bool) -> None:
        """Log one send and count it for the webhook (7 failures in a row disable it)."""
        with self._lock:
            self.deliveries.append(entry)
            webhook = self.webhooks.get(webhook_id)
            if webhook is not None and entry["kind"] == "delivery":
                record_result(webhook, success, self.clock())

    def log_ping(self, entry: Json) -> None:
        with self._lock:
            self.deliveries.append(entry)

    def delivery_log(self) -> list[Json]:
        with self._lock:
            return copy.deepcopy(self.deliveries)

    # --- control --------------------------------------------------------------------------

    def seed(self, extra_products: int = 0) -> Json:
        """A small catalogue (three simple products, a T-shirt in S/M/L) and one customer.

        No webhook fires: this is the shop as it was before anyone subscribed. ``extra_products``
        adds simple products ``SBX-00001``... for benchmarks.
        """
        with self._lock:
            webhooks, self.webhooks = self.webhooks, {}
            try:
                for name, sku, price, stock in SEED_SIMPLE:
                    self._seed_product({"name": name, "sku": sku, "regular_price": price,
                                        "manage_stock": True, "stock_quantity": stock})  # fmt: skip
                shirt = self._new_product(
                    {"name": "T-Shirt", "type": "variable", "sku": "TSHIRT",
                     "attributes": [{"name": "Size", "variation": True, "options": ["S", "M", "L"]}]},
                    parent=None, strict=False,
                )  # fmt: skip
                for size, price, stock in SEED_SIZES:
                    self._new_product(
                        {"sku": f"TSHIRT-{size}", "regular_price": price, "manage_stock": True,
                         "stock_quantity": stock, "attributes": [{"name": "Size", "option": size}]},
                        parent=shirt, strict=False,
                    )  # fmt: skip
                for n in range(1, extra_products + 1):
                    self._seed_product({"name": f"Sandbox product {n}", "sku": f"SBX-{n:05d}",
                                        "regular_price": "9.99", "manage_stock": True,
                                        "stock_quantity": 100})  # fmt: skip
                if not any(c["email"] == SEED_CUSTOMER["email"] for c in self.customers.values()):
                    self.create_customer(SEED_CUSTOMER)
            finally:
                self.webhooks = webhooks
            return self.snapshot()

    def _seed_product(self, data: Json) -> None:
        if self.product_by_sku(data["sku"]) is None:
            self._new_product(data, parent=None, strict=False)

    def snapshot(self) -> Json:
        """What ``GET /_sandbox/state`` shows: stock, order statuses and notes, webhooks."""
        with self._lock:
            return {
                "products": [
                    {"id": p["id"], "sku": p["sku"], "name": shapes.product_name(self, p),
                     "type": p["type"], "parent_id": p["parent_id"], "status": p["status"],
                     "manage_stock": p["manage_stock"], "stock_quantity": p["stock_quantity"],
                     "stock_status": shapes.stock_status(self, p),
                     "date_modified": wc_date(p["date_modified"])}
                    for p in self.products.values()
                ],
                "orders": [
                    {"id": o["id"], "status": o["status"], "email": o["billing"]["email"],
                     "total": money(self.order_total(o)[0]),
                     "lines": [{"sku": li["sku"], "quantity": li["quantity"]} for li in o["line_items"]],
                     "notes": [{"note": n["note"], "customer_note": n["customer_note"]}
                               for n in o["notes"] if not n["system"]],
                     "trackings": copy.deepcopy(o["trackings"]),
                     "shipments": copy.deepcopy(o["shipments"]),
                     "date_modified": wc_date(o["date_modified"])}
                    for o in self.orders.values()
                ],
                "customers": [
                    {"id": c["id"], "email": c["email"], "first_name": c["first_name"],
                     "last_name": c["last_name"], "date_modified": wc_date(c["date_modified"])}
                    for c in self.customers.values()
                ],
                "webhooks": [
                    {"id": w["id"], "topic": w["topic"], "status": w["status"],
                     "delivery_url": w["delivery_url"], "failure_count": w["failure_count"]}
                    for w in self.webhooks.values()
                ],
                "checkouts": [self.checkout_json(c) for c in self.checkouts.values()],
                "companion": {"installed": self.companion_plugin, "paired": self.companion is not None,
                              "hub_url": (self.companion or {}).get("hub_url")},
                "pending_deliveries": len(self.pending),
            }  # fmt: skip


SEED_SIMPLE = (
    ("Mug", "MUG-1", "12.50", 40),
    ("Poster", "POSTER-1", "19.00", 15),
    ("Sticker Pack", "STICKER-1", "4.99", 200),
)
SEED_SIZES = (("S", "20.00", 10), ("M", "20.00", 12), ("L", "22.00", 3))
SEED_CUSTOMER: Json = {
    "email": "jane@example.test",
    "first_name": "Jane",
    "last_name": "Sandbox",
    "billing": {"first_name": "Jane", "last_name": "Sandbox", "address_1": "1 Loopback Way",
                "city": "San Francisco", "state": "CA", "postcode": "94107", "country": "US",
                "email": "jane@example.test", "phone": "+1-555-0100"},
    "shipping": {"first_name": "Jane", "last_name": "Sandbox", "address_1": "1 Loopback Way",
                 "city": "San Francisco", "state": "CA", "postcode": "94107", "country": "US"},
}  # fmt: skip


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("-", " ").capitalize())


def _integer(value: Any) -> int | None:
    """WordPress's integer check: an int, or a string of digits ("5"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def _price(value: Any) -> str:
    if value in (None, ""):
        return ""
    return str(_decimal(value, "price"))


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise invalid_param(name, f"{name} is not a number.") from None


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_param(name, f"{name} is not of type array.")
    return value


def _attributes(raw: Any, variation: bool) -> list[Json]:
    attributes = []
    for position, item in enumerate(raw if isinstance(raw, list) else ()):
        if not isinstance(item, dict) or not item.get("name"):
            continue
        name = str(item["name"])
        if variation:
            attributes.append(
                {
                    "id": 0,
                    "name": name,
                    "slug": slugify(name),
                    "option": str(item.get("option", "")),
                }
            )
        else:
            attributes.append({
                "id": 0, "name": name, "slug": name, "position": position,
                "visible": bool(item.get("visible", True)), "variation": bool(item.get("variation", False)),
                "options": [str(o) for o in item.get("options") or ()],
            })  # fmt: skip
    return attributes
