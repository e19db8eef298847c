"""``connect-hub demo``: the whole loop between a shop and a warehouse, live in the terminal.

Orders are placed in the WooCommerce sandbox; the hub sends them to the warehouse simulator;
the warehouse ships them after a few seconds and reports the shipment and its stock; the hub
completes each order in the shop with its tracking note and sets every stock figure, simple
products and variations alike. One order is cancelled in the shop before it ships: the
warehouse cancels it too, and it never ships.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from tortoise.functions import Count

from connect_hub.store.models import Delivery, DeliveryState
from connect_hub.world import World

WAREHOUSE_STOCK = {"MUG-1": 30, "POSTER-1": 14, "STICKER-1": 80, "TSHIRT-S": 9, "TSHIRT-M": 12, "TSHIRT-L": 7}
CATALOGUE = list(WAREHOUSE_STOCK)


@dataclass
class Progress:
    """What the demo has seen so far."""

    orders: list[int] = field(default_factory=list)
    cancelled: set[int] = field(default_factory=set)
    done: bool = False


class Demo:
    """Drives one shop and one warehouse around a running hub and reads all three.

    ``shop`` needs ``url``, ``consumer_key`` and ``consumer_secret`` (a running sandbox);
    ``warehouse`` needs ``url`` and ``api_key`` (a running simulator); ``counts`` returns the
    hub's deliveries as ``{(integration, data type, state): n}``.
    """

    def __init__(self, shop: tuple[str, Any], warehouse: tuple[str, Any], counts: Callable[[], dict[tuple[str, str, str], int]], *, orders: int = 6, seed: int = 7):
        (self.shop_name, self.shop), (self.warehouse_name, self.warehouse) = shop, warehouse
        self.counts = counts
        self.count = orders
        self.random = random.Random(seed)
        self.progress = Progress()
        self.http = httpx.Client(timeout=10)

    # --- acting as the shopper and the merchant ---------------------------------------------

    def wait_for_onboarding(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hooks = self.shop_state()["webhooks"]
            subscriptions = self.http.get(f"{self.warehouse.url}/api/v1/webhooks", headers={"X-Api-Key": self.warehouse.api_key}).json()
            if len([h for h in hooks if h["status"] == "active"]) >= 6 and subscriptions:
                return
            time.sleep(0.2)
        raise RuntimeError("onboarding did not finish: see the hub's notices (connect-hub status)")

    def stock_the_warehouse(self) -> None:
        self.http.post(f"{self.warehouse.url}/_sim/stock", json=WAREHOUSE_STOCK).raise_for_status()

    def place_order(self) -> int:
        skus = self.random.sample(CATALOGUE, k=self.random.randint(1, 3))
        lines = [{"sku": sku, "quantity": self.random.randint(1, 2)} for sku in skus]
        if not any(sku.startswith("TSHIRT") for sku in skus):
            lines.append({"sku": self.random.choice(["TSHIRT-S", "TSHIRT-M", "TSHIRT-L"]), "quantity": 1})
        response = self.http.post(f"{self.shop.url}/_sandbox/orders", json={"lines": lines, "email": f"shopper{len(self.progress.orders) + 1}@example.test"})
        response.raise_for_status()
        order_id = response.json()["id"]
        self.progress.orders.append(order_id)
        return order_id

    def cancel_in_shop(self, order_id: int) -> None:
        """The merchant cancels an order in WooCommerce (a signed REST call, as an admin would)."""
        from connect_hub_woocommerce.sandbox.auth import authorization_header

        url = f"{self.shop.url}/wp-json/wc/v3/orders/{order_id}"
        header = authorization_header("PUT", url, self.shop.consumer_key, self.shop.consumer_secret)
        self.http.put(url, json={"status": "cancelled"}, headers={"Authorization": header}).raise_for_status()
        self.progress.cancelled.add(order_id)

    # --- reading both sides -----------------------------------------------------------------

    def shop_state(self) -> dict[str, Any]:
        return self.http.get(f"{self.shop.url}/_sandbox/state").json()

    def warehouse_orders(self) -> dict[str, dict[str, Any]]:
        return {o["reference"]: o for o in self.http.get(f"{self.warehouse.url}/_sim/orders").json()}

    def warehouse_stock(self) -> dict[str, int]:
        items = self.http.get(f"{self.warehouse.url}/api/v1/stock", params={"per_page": 100}, headers={"X-Api-Key": self.warehouse.api_key}).json()
        return {i["sku"]: i["quantity"] for i in items}

    def snapshot(self) -> dict[str, Any]:
        shop = self.shop_state()
        return {
            "shop_orders": {o["id"]: o for o in shop["orders"]},
            "shop_stock": {p["sku"]: p["stock_quantity"] for p in shop["products"] if p.get("manage_stock")},
            "warehouse_orders": self.warehouse_orders(),
            "warehouse_stock": self.warehouse_stock(),
            "deliveries": self.counts(),
        }

    def settled(self, snap: dict[str, Any]) -> bool:
        """Every order completed with one tracking note (or cancelled, unshipped), stock equal."""
        for order_id in self.progress.orders:
            order = snap["shop_orders"].get(order_id, {})
            at_warehouse = snap["warehouse_orders"].get(f"{self.shop_name}-{order_id}")
            if order_id in self.progress.cancelled:
                if at_warehouse is not None and at_warehouse["status"] != "cancelled":
                    return False
            elif order.get("status") != "completed" or len(_tracking_notes(order)) != 1:
                return False
        stock_equal = all(snap["shop_stock"].get(sku) == qty for sku, qty in snap["warehouse_stock"].items() if sku in snap["shop_stock"])
        busy = sum(n for (_, _, state), n in snap["deliveries"].items() if state in ("pending", "running"))
        return stock_equal and busy == 0

    # --- the show ---------------------------------------------------------------------------

    def render(self, snap: dict[str, Any], elapsed: float) -> Group:
        orders = Table(title=f"orders ({elapsed:4.0f}s)", expand=True)
        for column in ("shop order", "lines", "at the warehouse", "shipped", "in the shop"):
            orders.add_column(column)
        for order_id in self.progress.orders:
            order = snap["shop_orders"].get(order_id, {})
            wh = snap["warehouse_orders"].get(f"{self.shop_name}-{order_id}")
            lines = ", ".join(f"{line['quantity']}x {line['sku']}" for line in order.get("lines", []))
            at = f"[green]{wh['id']}[/] ({wh['status']})" if wh else "[yellow]on its way[/]"
            shipped = "[green]yes[/]" if wh and wh["status"] == "shipped" else ("[red]never[/]" if order_id in self.progress.cancelled else "-")
            notes = _tracking_notes(order)
            status = order.get("status", "?")
            shop_cell = f"[green]{status}[/], tracking note" if status == "completed" and notes else status
            orders.add_row(f"#{order_id}", lines, at, shipped, shop_cell)
        stock = Table(title="stock: warehouse -> shop", expand=True)
        for column in ("SKU", "warehouse", "shop", ""):
            stock.add_column(column)
        for sku, quantity in sorted(snap["warehouse_stock"].items()):
            in_shop = snap["shop_stock"].get(sku)
            stock.add_row(sku, str(quantity), str(in_shop), "[green]=[/]" if in_shop == quantity else "[yellow]syncing[/]")
        return Group(orders, stock)

    def run(self, console: Console, *, timeout: float = 90.0) -> dict[str, Any]:
        started = time.monotonic()
        console.print("waiting for onboarding (webhooks in the shop, a subscription at the warehouse)...")
        self.wait_for_onboarding()
        self.stock_the_warehouse()
        to_cancel: int | None = None
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            placed_at = time.monotonic()
            while time.monotonic() - started < timeout:
                if len(self.progress.orders) < self.count and time.monotonic() >= placed_at:
                    order_id = self.place_order()
                    if len(self.progress.orders) == 2:
                        to_cancel = order_id
                    placed_at = time.monotonic() + 1.0
                elif to_cancel is not None:
                    self.cancel_in_shop(to_cancel)
                    to_cancel = None
                snap = self.snapshot()
                live.update(self.render(snap, time.monotonic() - started))
                if len(self.progress.orders) == self.count and to_cancel is None and self.settled(snap):
                    self.progress.done = True
                    break
                time.sleep(0.5)
        return self.snapshot()


def _tracking_notes(order: dict[str, Any]) -> list[Any]:
    """The customer-visible tracking notes of an order, or its Shipment Tracking items."""
    notes = [n for n in order.get("notes", []) if "tracking code" in str(n).lower()]
    return notes + list(order.get("trackings", []))


def for_world(world: World, **options: Any) -> Demo:
    """A Demo of the one shop and one warehouse of a :class:`World` running in this process."""
    runtime = world.hub.runtime
    return Demo(
        next(iter(world.shops.items())), next(iter(world.warehouses.items())),
        lambda: runtime.run(delivery_counts(runtime.account.name)), **options,
    )


async def delivery_counts(account: str) -> dict[tuple[str, str, str], int]:
    rows = await Delivery.filter(account=account).annotate(n=Count("id")).group_by("integration", "data_type", "state").values("integration", "data_type", "state", "n")
    return {(r["integration"], r["data_type"], r["state"]): r["n"] for r in rows}


def summary(demo: Demo, snap: dict[str, Any], console: Console) -> int:
    """Print what was synced and what failed; the exit code is 0 only if nothing failed."""
    console.print()
    counts = snap["deliveries"]
    done = {(i, d): n for (i, d, s), n in counts.items() if s == DeliveryState.DONE}
    failed = sum(n for (_, _, s), n in counts.items() if s in (DeliveryState.FAILED, DeliveryState.DEAD))
    table = Table(title="summary")
    table.add_column("synced")
    table.add_column("count", justify="right")
    table.add_row("orders sent to the warehouse", str(done.get((demo.warehouse_name, "orders"), 0)))
    table.add_row("shipments written to the shop", str(done.get((demo.shop_name, "shipments"), 0)))
    table.add_row("stock figures written to the shop", str(done.get((demo.shop_name, "stocks"), 0)))
    table.add_row("orders cancelled before shipping", str(len(demo.progress.cancelled)))
    console.print(table)
    if not demo.progress.done:
        console.print("[yellow]the loop had not settled when the demo ended[/]")
    console.print(f"failures: {'[green]none[/]' if failed == 0 else f'[bold red]{failed}[/] (see connect-hub status)'}")
    return 0 if failed == 0 and demo.progress.done else 1
