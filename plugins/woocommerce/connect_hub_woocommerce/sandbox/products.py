"""Products and variations: one catalogue, SKUs and GTINs unique across both, stock by product.

Rules from a real WooCommerce 9.9.5 shop: a variation is a product of its own (own id from the
posts sequence, SKU, price, stock) under a parent; ``GET /products?sku=`` finds variations too,
``PUT /products/{variation id}`` is a 404; ``date_modified`` moves only when a field other than
meta data changes; a batch item skips the schema checks (a non-numeric ``stock_quantity``
becomes 0, as PHP's ``intval`` makes it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.values import (
    Json,
    integer,
    php_intval,
    price,
    slugify,
    wc_date,
)
from connect_hub_woocommerce.sandbox.webhooks import Webhooks

PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future", "trash")
STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
STRING_FIELDS = (
    "name", "sku", "regular_price", "sale_price", "description", "short_description",
    "global_unique_id", "weight",
)  # fmt: skip


class Products:
    """The catalogue: ``records`` by id, products and variations alike."""

    def __init__(self, ctx: ShopContext, webhooks: Webhooks):
        self.ctx = ctx
        self.webhooks = webhooks
        self.records: dict[int, Json] = {}
        self.stock_writes: list[Json] = []
        """Every ``stock_quantity`` a REST client wrote (single or batch), in order."""

    def reset(self) -> None:
        with self.ctx.lock:
            self.records.clear()
            self.stock_writes.clear()

    # --- reading --------------------------------------------------------------------------

    def list(
        self,
        *,
        sku: str | None = None,
        type_: str | None = None,
        status: str | None = None,
        modified_after: datetime | None = None,
        include: Iterable[int] | None = None,
    ) -> list[Json]:
        """Products newest first; with ``sku`` variations are searched too (as the real shop)."""
        with self.ctx.lock:
            wanted = set(include) if include is not None else None
            found = []
            for product in self.records.values():
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
            return [self.json(p) for p in found]

    def get(self, product_id: int) -> Json:
        with self.ctx.lock:
            return self.json(self._product(product_id, status=404))

    def json(self, record: Json) -> Json:
        """A stored product (or variation) as ``GET /products/{id}`` shows it."""
        parent = self.records.get(record["parent_id"]) if record["type"] == "variation" else None
        return shapes.product(
            self.ctx.url, record, parent=parent, name=self.name_of(record),
            price=self.price_of(record), stock_status=self.stock_status_of(record),
        )  # fmt: skip

    def variation_json(self, record: Json) -> Json:
        """A stored variation as ``GET /products/{parent}/variations/{id}`` shows it."""
        parent = self.records.get(record["parent_id"])
        return shapes.variation(self.ctx.url, record, parent=parent, price=self.price_of(record))

    def by_sku(self, sku: str) -> Json | None:
        """The stored product or variation with that SKU (None for an empty SKU)."""
        return next((p for p in self.records.values() if p["sku"] == sku and sku), None)

    def for_line(self, line: Any) -> Json:
        """The product a control route's line ``{"sku", "quantity"}`` names; 400 if none."""
        product = self.by_sku(str(line.get("sku") or "")) if isinstance(line, dict) else None
        if product is None:
            raise ShopError(400, "sandbox_unknown_sku", f"no product with SKU {line!r}")
        return product

    def name_of(self, product: Json) -> str:
        """A product's name; a variation's is ``Parent - S`` (its options joined)."""
        if product["type"] != "variation":
            return product["name"]
        parent = self.records.get(product["parent_id"])
        options = ", ".join(a["option"] for a in product["attributes"])
        base = parent["name"] if parent else ""
        return f"{base} - {options}" if options else base

    def stock_status_of(self, product: Json) -> str:
        """A variable product is in stock when one of its variations is."""
        if product["type"] == "variable" and product["variations"]:
            statuses = {self.stock_status_of(self.records[v]) for v in product["variations"]}
            return "instock" if "instock" in statuses else "outofstock"
        return product["stock_status"]

    def price_of(self, product: Json) -> Decimal | None:
        """The active price: sale else regular; a variable product's lowest variation price."""
        if product["type"] == "variable":
            prices = [self.price_of(self.records[v]) for v in product["variations"]]
            known = [p for p in prices if p is not None]
            return min(known) if known else None
        raw = product["sale_price"] or product["regular_price"]
        return Decimal(raw) if raw else None

    def _product(self, product_id: int, *, status: int) -> Json:
        product = self.records.get(product_id)
        if product is None:
            raise ShopError(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return product

    # --- writing --------------------------------------------------------------------------

    def create(self, data: Json, *, strict: bool = True) -> Json:
        with self.ctx.lock:
            product = self.new(data, parent=None, strict=strict)
            self.webhooks.emit("product", "created", product["id"])
            return self.json(product)

    def update(self, product_id: int, data: Json, *, strict: bool = True) -> Json:
        """``PUT /products/{id}``: 400 for an unknown id, 404 for a variation's id."""
        with self.ctx.lock:
            product = self._product(product_id, status=400)
            if product["type"] == "variation":
                raise ShopError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            self._apply(product, data, strict=strict)
            self.webhooks.emit("product", "updated", product_id)
            return self.json(product)

    def delete(self, product_id: int, *, force: bool) -> Json:
        """Trash a product (``force`` deletes it and its variations for good)."""
        with self.ctx.lock:
            product = self._product(product_id, status=404)
            if product["type"] == "variation":
                raise ShopError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            shown = self.json(product)
            if force:
                for variation_id in product["variations"]:
                    self.records.pop(variation_id, None)
                del self.records[product_id]
            else:
                product["status"] = "trash"
                product["date_modified"] = self.ctx.now()
                shown = self.json(product)
            self.webhooks.emit("product", "deleted", product_id)
            return shown

    def list_variations(self, parent_id: int) -> list[Json]:
        with self.ctx.lock:
            parent = self._product(parent_id, status=404)
            return [self.variation_json(self.records[v]) for v in reversed(parent["variations"])]

    def get_variation(self, parent_id: int, variation_id: int) -> Json:
        with self.ctx.lock:
            return self.variation_json(self._variation(parent_id, variation_id))

    def _variation(self, parent_id: int, variation_id: int) -> Json:
        variation = self.records.get(variation_id)
        if (
            variation is None
            or variation["type"] != "variation"
            or variation["parent_id"] != parent_id
        ):
            raise ShopError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return variation

    def create_variation(self, parent_id: int, data: Json, *, strict: bool = True) -> Json:
        with self.ctx.lock:
            parent = self._product(parent_id, status=404)
            variation = self.new(data, parent=parent, strict=strict)
            self.webhooks.emit("product", "created", variation["id"])
            return self.variation_json(variation)

    def update_variation(
        self, parent_id: int, variation_id: int, data: Json, *, strict: bool = True
    ) -> Json:
        with self.ctx.lock:
            variation = self._variation(parent_id, variation_id)
            self._apply(variation, data, strict=strict)
            self.webhooks.emit("product", "updated", variation_id)
            return self.variation_json(variation)

    def new(self, data: Json, *, parent: Json | None, strict: bool) -> Json:
        """Store a product (a variation of ``parent`` when given); queues no event."""
        with self.ctx.lock:
            now = self.ctx.now()
            product: Json = {
                "id": 0, "name": "", "slug": "", "type": "simple", "status": "publish",
                "description": "", "short_description": "", "sku": "", "global_unique_id": "",
                "regular_price": "", "sale_price": "", "manage_stock": False,
                "stock_quantity": None, "stock_status": "instock", "parent_id": 0,
                "variations": [], "attributes": [], "meta_data": [], "total_sales": 0,
                "weight": "", "menu_order": 0, "date_created": now, "date_modified": now,
            }  # fmt: skip
            if parent is not None:
                product.update(type="variation", parent_id=parent["id"], name=None)
                data = {k: v for k, v in data.items() if k not in ("type", "parent_id")}
            self._check(data, strict=strict, own_id=None)
            product["id"] = self.ctx.next_id("post")
            self._write(product, data, strict=strict)
            if not product["slug"] and product["name"]:
                product["slug"] = self._unique_slug(slugify(product["name"]))
            self.records[product["id"]] = product
            if parent is not None:
                parent["variations"].append(product["id"])
                parent["date_modified"] = now
            return product

    def _unique_slug(self, slug: str) -> str:
        taken = {p["slug"] for p in self.records.values()}
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            candidate = f"{slug}-{n}"
        return candidate

    def _apply(self, product: Json, data: Json, *, strict: bool) -> None:
        self._check(data, strict=strict, own_id=product["id"])
        before = {k: copy.deepcopy(v) for k, v in product.items() if k != "meta_data"}
        self._write(product, data, strict=strict)
        if "stock_quantity" in data:
            self.stock_writes.append({
                "product_id": product["id"], "sku": product["sku"],
                "stock_quantity": product["stock_quantity"], "at": wc_date(self.ctx.now()),
            })  # fmt: skip
        after = {k: v for k, v in product.items() if k != "meta_data"}
        if after != before:
            product["date_modified"] = self.ctx.now()

    def _check(self, data: Json, *, strict: bool, own_id: int | None) -> None:
        """Refuse what the real shop refuses, before anything is written."""
        if strict:
            for name in STRING_FIELDS:
                if name in data and not isinstance(data[name], str):
                    raise invalid_param(name, f"{name} is not of type string.")
            if "manage_stock" in data and not isinstance(data["manage_stock"], bool):
                raise invalid_param("manage_stock", "manage_stock is not of type boolean.")
            stock = data.get("stock_quantity")
            if stock is not None and integer(stock) is None:
                raise invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        for name, allowed in (("type", PRODUCT_TYPES), ("status", PRODUCT_STATUSES),
                              ("stock_status", STOCK_STATUSES)):  # fmt: skip
            if name in data and data[name] not in allowed:
                listed = ", ".join(allowed[:-1]) + f", and {allowed[-1]}"
                raise invalid_param(name, f"{name} is not one of {listed}.", "rest_not_in_enum")
        sku = str(data.get("sku") or "")
        if sku:
            for other in self.records.values():
                if other["sku"] == sku and other["id"] != own_id:
                    raise ShopError(
                        400, "product_invalid_sku", "Invalid or duplicated SKU.",
                        resource_id=other["id"], unique_sku=f"{sku}-1",
                    )  # fmt: skip
        gtin = str(data.get("global_unique_id") or "")
        if gtin:
            for other in self.records.values():
                if other["global_unique_id"] == gtin and other["id"] != own_id:
                    raise ShopError(
                        400, "product_invalid_global_unique_id",
                        "Invalid or duplicated GTIN, UPC, EAN or ISBN.", resource_id=other["id"],
                    )  # fmt: skip

    def _write(self, product: Json, data: Json, *, strict: bool) -> None:
        for name in ("name", "sku", "global_unique_id", "description", "short_description",
                     "weight", "slug"):  # fmt: skip
            if name in data and not (name == "name" and product["type"] == "variation"):
                product[name] = str(data[name] or "")
        for name in ("regular_price", "sale_price"):
            if name in data:
                product[name] = price(data[name])
        for name in ("type", "status", "menu_order"):
            if name in data:
                product[name] = data[name]
        if "manage_stock" in data:
            product["manage_stock"] = bool(data["manage_stock"])
        if "stock_quantity" in data:
            raw = data["stock_quantity"]
            product["stock_quantity"] = (
                None if raw is None else (integer(raw) if strict else php_intval(raw))
            )
        if "stock_status" in data:
            product["stock_status"] = data["stock_status"]
        if "attributes" in data:
            product["attributes"] = _attributes(data["attributes"], product["type"] == "variation")
        if "meta_data" in data:
            self.ctx.merge_meta(product["meta_data"], data["meta_data"])
        if product["manage_stock"] and product["stock_quantity"] is not None:
            product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"

    # --- stock ----------------------------------------------------------------------------

    def set_stock(self, product_id: int, quantity: int) -> None:
        """Change a product's stock as the shop itself does (no validation, event queued)."""
        with self.ctx.lock:
            product = self.records[product_id]
            product["manage_stock"] = True
            product["stock_quantity"] = quantity
            product["stock_status"] = "instock" if quantity > 0 else "outofstock"
            product["date_modified"] = self.ctx.now()
            self.webhooks.emit("product", "updated", product_id)

    def set_stock_by_sku(self, levels: Json) -> None:
        """Set absolute stock by SKU as a shop manager would (``product.updated`` queued)."""
        with self.ctx.lock:
            changes = []
            for sku, quantity in levels.items():
                product = self.by_sku(sku)
                if product is None or product["type"] == "variable":
                    raise ShopError(
                        400, "sandbox_unknown_sku", f"no product or variation with SKU {sku!r}"
                    )
                if integer(quantity) is None:
                    raise ShopError(
                        400, "sandbox_invalid_stock", f"stock of {sku} must be an integer"
                    )
                changes.append((product["id"], integer(quantity) or 0))
            for product_id, quantity in changes:
                self.set_stock(product_id, quantity)

    def summary(self) -> list[Json]:
        """What ``GET /_sandbox/state`` shows of each product: stock and status."""
        with self.ctx.lock:
            return [
                {"id": p["id"], "sku": p["sku"], "name": self.name_of(p), "type": p["type"],
                 "parent_id": p["parent_id"], "status": p["status"],
                 "manage_stock": p["manage_stock"], "stock_quantity": p["stock_quantity"],
                 "stock_status": self.stock_status_of(p),
                 "date_modified": wc_date(p["date_modified"])}
                for p in self.records.values()
            ]  # fmt: skip


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
