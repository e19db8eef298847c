"""Order line items: priced from the catalogue, and stock moved per line as WooCommerce does.

A line remembers in meta ``_reduced_stock`` how much stock it took; reducing skips lines that
already took theirs, restoring gives back exactly that much, and an edit of a line on an order
whose stock is reduced moves only the difference (``wc_maybe_adjust_line_item_product_stock``).
Refunded quantities that were restocked are counted in ``_restock_refunded_items``.

Through the REST API a new quantity alone leaves a line's ``subtotal`` and ``total`` as they
were (clients send the new totals with it); the line's ``price`` is shown as total / quantity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.values import Json, decimal, integer, money, slugify

REDUCED = "_reduced_stock"
RESTOCKED = "_restock_refunded_items"


class LineItems:
    """Makes, changes and moves the stock of the line items of stored orders."""

    def __init__(self, ctx: ShopContext, products: Products):
        self.ctx = ctx
        self.products = products

    # --- making and changing lines --------------------------------------------------------

    def new(self, item: Any) -> Json:
        """A line from a REST item: ``product_id``, ``variation_id`` or ``sku``, ``quantity``
        (default 1), optionally ``total``/``subtotal``/``name``; priced from the catalogue."""
        if not isinstance(item, dict):
            raise invalid_param("line_items", "line_items[0] is not of type object.")
        product = self._product_of(item, required=True)
        assert product is not None
        quantity = self._quantity(item, default=1)
        line: Json = {
            "id": self.ctx.next_id("item"), "product_id": 0, "variation_id": 0, "name": "",
            "quantity": quantity, "meta_data": [], "sku": "", "parent_name": None,
        }  # fmt: skip
        self._set_product(line, product)
        total = money((self.products.price_of(product) or Decimal(0)) * quantity)
        line["subtotal"] = line["total"] = total
        self._set_amounts(line, item)
        return line

    def validate(self, item: Json, *, new: bool) -> None:
        """Refuse a line the shop would refuse (``new``: one to add), before anything is
        written."""
        self._product_of(item, required=new)
        if new or "quantity" in item:
            self._quantity(item, default=1)
        for name in ("total", "subtotal"):
            if name in item:
                decimal(item[name], f"line_items.{name}")

    def change(self, line: Json, item: Json) -> None:
        """Apply a REST item addressed by ``id``: another product, quantity, totals, name."""
        product = self._product_of(item, required=False)
        if product is not None and product["id"] != (line["variation_id"] or line["product_id"]):
            self._set_product(line, product)
        if "quantity" in item:
            line["quantity"] = self._quantity(item, default=1)
        self._set_amounts(line, item)

    def removes(self, item: Any) -> bool:
        """Whether a REST item removes its line: ``quantity`` 0 or ``product_id`` null."""
        if not isinstance(item, dict):
            return False
        return ("product_id" in item and item["product_id"] is None) or (
            "quantity" in item and integer(item["quantity"]) == 0
        )

    def _product_of(self, item: Json, *, required: bool) -> Json | None:
        if item.get("sku"):
            product = self.products.by_sku(str(item["sku"]))
        elif item.get("product_id") and not item.get("variation_id"):
            product = self.products.records.get(integer(item["product_id"]) or 0)
        elif item.get("variation_id"):
            product = self.products.records.get(integer(item["variation_id"]) or 0)
        elif required:
            raise ShopError(
                400, "woocommerce_rest_required_product_reference", "Product ID or SKU is required."
            )
        else:
            return None
        if product is None:
            raise ShopError(400, "woocommerce_rest_invalid_product_id", "Invalid product ID.")
        return product

    def _quantity(self, item: Json, *, default: int) -> int:
        quantity = integer(item.get("quantity", default))
        if quantity is None or quantity < 1:
            raise invalid_param("quantity", "quantity is not of type integer.")
        return quantity

    def _set_product(self, line: Json, product: Json) -> None:
        variation = product["type"] == "variation"
        parent = self.products.records.get(product["parent_id"]) if variation else None
        line.update(
            name=self.products.name_of(product),
            product_id=parent["id"] if parent else product["id"],
            variation_id=product["id"] if parent else 0,
            sku=product["sku"],
            parent_name=parent["name"] if parent else None,
        )
        line["meta_data"] = [m for m in line["meta_data"] if m["key"] in (REDUCED, RESTOCKED)]
        if parent is not None:
            line["meta_data"] += [
                {"id": self.ctx.next_id("meta"), "key": slugify(a["name"]), "value": a["option"],
                 "display_key": a["name"], "display_value": a["option"]}
                for a in product["attributes"]
            ]  # fmt: skip

    def _set_amounts(self, line: Json, item: Json) -> None:
        for name in ("subtotal", "total"):
            if name in item:
                line[name] = money(decimal(item[name], f"line_items.{name}"))
        if item.get("name"):
            line["name"] = str(item["name"])

    # --- stock ----------------------------------------------------------------------------

    def reduce(self, line: Json) -> str | None:
        """Take a line's stock unless it already took it (``wc_reduce_stock_levels``)."""
        product = self._managed(line)
        if product is None or _meta_int(line, REDUCED):
            return None
        change = self._move(product, -line["quantity"])
        _set_meta(self.ctx, line, REDUCED, line["quantity"])
        return change

    def restore(self, line: Json) -> str | None:
        """Give back what a line took (``wc_increase_stock_levels``)."""
        product = self._managed(line)
        reduced = _meta_int(line, REDUCED)
        if product is None or not reduced:
            return None
        change = self._move(product, reduced)
        line["meta_data"] = [m for m in line["meta_data"] if m["key"] != REDUCED]
        return change

    def adjust(self, line: Json, quantity: int | None = None) -> str | None:
        """Move stock by the difference between a line's (new) quantity and what it took;
        ``quantity`` 0 gives everything back (the line is being removed)."""
        product = self._managed(line)
        if product is None:
            return None
        wanted = line["quantity"] if quantity is None else quantity
        reduced = _meta_int(line, REDUCED)
        restocked = _meta_int(line, RESTOCKED)
        diff = -reduced if wanted == 0 else wanted - restocked - reduced
        if diff == 0:
            return None
        old = product["stock_quantity"] or 0
        self._move(product, -diff)
        _set_meta(self.ctx, line, REDUCED, wanted - restocked)
        return f"{line['name']} ({old}&rarr;{old - diff})"

    def restock_refunded(self, line: Json, quantity: int) -> str | None:
        """Put ``quantity`` refunded items of a line back in stock (``wc_restock_refunded_items``)."""
        product = self._managed(line)
        reduced = _meta_int(line, REDUCED)
        if product is None or not reduced or quantity <= 0:
            return None
        old = product["stock_quantity"] or 0
        self._move(product, quantity)
        _set_meta(self.ctx, line, REDUCED, reduced - quantity)
        _set_meta(self.ctx, line, RESTOCKED, _meta_int(line, RESTOCKED) + quantity)
        return f"Item #{product['id']} stock increased from {old} to {old + quantity}."

    def _managed(self, line: Json) -> Json | None:
        product = self.products.records.get(line["variation_id"] or line["product_id"])
        return product if product is not None and product["manage_stock"] else None

    def _move(self, product: Json, delta: int) -> str:
        old = product["stock_quantity"] or 0
        self.products.set_stock(product["id"], old + delta)
        product["total_sales"] = max(0, product["total_sales"] - delta)
        return f"{self.products.name_of(product)} ({product['sku']}) {old}&rarr;{old + delta}"


def _meta_int(line: Json, key: str) -> int:
    value = next((m["value"] for m in line["meta_data"] if m["key"] == key), None)
    return integer(value) or 0 if value is not None else 0


def _set_meta(ctx: ShopContext, line: Json, key: str, value: int) -> None:
    for meta in line["meta_data"]:
        if meta["key"] == key:
            meta["value"] = str(value)
            return
    line["meta_data"].append({"id": ctx.next_id("meta"), "key": key, "value": str(value)})
