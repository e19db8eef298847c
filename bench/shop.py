"""The WooCommerce sandbox with a large catalogue, in a process of its own.

    .venv/bin/python bench/shop.py --products 50000 --key ck_x --secret cs_x   # prints its URL

The shipped sandbox (connect_hub_woocommerce.sandbox), serving its REST API unchanged, with two
shortcuts a catalogue of this size needs and a small one never does (coupled to the sandbox's
internals, so they live here and not in it: its Products class, subclassed):

- seeding: SKUs and slugs are unique by construction, so the sandbox's duplicate-SKU scan (one
  pass over the catalogue per product created) is skipped while seeding;
- the unfiltered product list is sorted once and each page shaped when asked for, where the
  sandbox shapes the whole catalogue for every page.

One product in ``variable_every`` is a variable T-shirt-like product with variations S, M and L
(each with its own SKU and stock); the others are simple.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import uvicorn
from connect_hub.simulator.server import bind
from connect_hub_woocommerce.sandbox.app import create_app
from connect_hub_woocommerce.sandbox.keys import ApiKey
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.state import ShopState

SIZES = ("S", "M", "L")


class ShapedOnDemand(Sequence):
    """Products in list order, each shaped as the API shows it only when a page asks for it."""

    def __init__(self, products: Products, records: list[dict[str, Any]]):
        self.products, self.records = products, records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.products.json(p) for p in self.records[index]]
        return self.products.json(self.records[index])


class CatalogueProducts(Products):
    """The sandbox's catalogue with the two shortcuts (the sandbox's own class otherwise)."""

    seeding = False
    listed: list[dict[str, Any]] | None = None

    def _check(self, data: Any, *, strict: bool, own_id: int | None) -> None:
        if not self.seeding:
            super()._check(data, strict=strict, own_id=own_id)

    def seed_catalogue(self, products: int, variable_every: int) -> int:
        """``products`` products, one in ``variable_every`` variable; returns how many variations."""
        variations = 0
        with self.ctx.lock:
            self.seeding = True
            try:
                for n in range(1, products + 1):
                    sku = f"CAT-{n:06d}"
                    if variable_every and n % variable_every == 0:
                        parent = self.new(
                            {"name": f"Shirt {n}", "slug": f"shirt-{n}", "type": "variable", "sku": sku,
                             "attributes": [{"name": "Size", "variation": True, "options": list(SIZES)}]},
                            parent=None, strict=False,
                        )
                        for size in SIZES:
                            self.new(
                                {"sku": f"{sku}-{size}", "regular_price": "20.00", "manage_stock": True,
                                 "stock_quantity": n % 50, "attributes": [{"name": "Size", "option": size}]},
                                parent=parent, strict=False,
                            )
                            variations += 1
                    else:
                        self.new(
                            {"name": f"Product {n}", "slug": f"product-{n}", "sku": sku, "regular_price": "9.99",
                             "manage_stock": True, "stock_quantity": n % 100},
                            parent=None, strict=False,
                        )
            finally:
                self.seeding = False
            self.listed = None
        return variations

    def list(self, *, sku: str | None = None, type_: str | None = None, status: str | None = None,
             modified_after: Any = None, include: Any = None) -> Any:
        if sku or type_ or modified_after is not None or include is not None or status not in (None, "any"):
            return super().list(sku=sku, type_=type_, status=status, modified_after=modified_after, include=include)
        with self.ctx.lock:
            if self.listed is None:
                listed = [p for p in self.records.values() if p["type"] != "variation" and p["status"] != "trash"]
                listed.sort(key=lambda p: (p["date_created"], p["id"]), reverse=True)
                self.listed = listed
            return ShapedOnDemand(self, self.listed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--variable-every", type=int, default=10)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    sock, url = bind("127.0.0.1", 0, "WooCommerce sandbox")
    state = ShopState(keys=[ApiKey(args.key, args.secret)], url=url)
    state.products.__class__ = CatalogueProducts  # the same object, which the other resources hold too
    catalogue: CatalogueProducts = state.products  # type: ignore[assignment]
    variations = catalogue.seed_catalogue(args.products, args.variable_every)
    print(url, args.products, variations, flush=True)
    app = create_app(state, queue_interval=None)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")).run(sockets=[sock])


if __name__ == "__main__":
    main()
