"""``connect-hub demo``: the whole loop between a storefront and a fulfiller, live in the terminal.

The demo knows roles, never connectors: it takes the account's first simulator that is a
:class:`~connect_hub.simulator.Storefront` (a shop) and the first that is a
:class:`~connect_hub.simulator.Fulfiller` (a warehouse). Orders are placed in the storefront;
the hub sends them to the fulfiller; the fulfiller ships them after a few seconds and reports
the shipment and its stock; the hub completes each order in the storefront with its tracking
information and sets every stock figure there. One order is cancelled in the storefront before
it ships: the fulfiller cancels it too, and it never ships.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from tortoise.functions import Count

from connect_hub.simulator import Fulfiller, SimulatedOrder, Storefront
from connect_hub.store.models import Delivery, DeliveryState
from connect_hub.world import World


class NoDemo(RuntimeError):
    """The account has no storefront or no fulfiller simulator to run the demo with."""


@dataclass
class Progress:
    """What the demo has seen so far."""

    orders: list[str] = field(default_factory=list)
    """Ids in the storefront of the orders placed."""
    cancelled: set[str] = field(default_factory=set)
    done: bool = False


@dataclass
class Snapshot:
    """Both sides and the hub's deliveries at one moment."""

    shop_orders: dict[str, SimulatedOrder]
    shop_stock: dict[str, int]
    warehouse_orders: dict[str, SimulatedOrder]
    """By the hub's order reference."""
    warehouse_stock: dict[str, int]
    deliveries: dict[tuple[str, str, str], int]
    """``{(integration, data type, state): n}``."""


class Demo:
    """Drives one storefront and one fulfiller around a running hub and reads all three.

    ``counts`` returns the hub's deliveries as ``{(integration, data type, state): n}``.
    """

    def __init__(
        self,
        shop: tuple[str, Storefront],
        warehouse: tuple[str, Fulfiller],
        counts: Callable[[], dict[tuple[str, str, str], int]],
        *,
        orders: int = 6,
        seed: int = 7,
    ):
        (self.shop_name, self.shop), (self.warehouse_name, self.warehouse) = shop, warehouse
        self.counts = counts
        self.count = orders
        self.random = random.Random(seed)
        self.progress = Progress()
        self.catalogue = shop[1].catalogue()
        self.stock_levels = {item.sku: self.random.randint(5, 40) for item in self.catalogue}
        """What the demo puts on hand at the fulfiller, per SKU of the storefront's catalogue."""

    # --- acting as the shopper and the merchant ---------------------------------------------

    def wait_for_onboarding(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.shop.onboarded() and self.warehouse.onboarded():
                return
            time.sleep(0.2)
        raise RuntimeError("onboarding did not finish: see the hub's notices (connect-hub status)")

    def stock_the_warehouse(self) -> None:
        self.warehouse.set_stock(self.stock_levels)

    def place_order(self) -> str:
        """An order of one to three products, with a variation among them when there are any."""
        skus = [item.sku for item in self.catalogue]
        chosen = self.random.sample(skus, k=min(len(skus), self.random.randint(1, 3)))
        variations = [item.sku for item in self.catalogue if item.variation]
        if variations and not set(chosen) & set(variations):
            chosen.append(self.random.choice(variations))
        lines = [(sku, self.random.randint(1, 2)) for sku in chosen]
        order_id = self.shop.place_order(lines, f"shopper{len(self.progress.orders) + 1}@example.test")
        self.progress.orders.append(order_id)
        return order_id

    def cancel_in_shop(self, order_id: str) -> None:
        self.shop.cancel_order(order_id)
        self.progress.cancelled.add(order_id)

    # --- reading both sides -----------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return Snapshot(
            shop_orders=self.shop.orders(),
            shop_stock=self.shop.stock(),
            warehouse_orders=self.warehouse.orders(),
            warehouse_stock=self.warehouse.stock(),
            deliveries=self.counts(),
        )

    def at_warehouse(self, snap: Snapshot, order_id: str) -> SimulatedOrder | None:
        order = snap.shop_orders.get(order_id)
        return snap.warehouse_orders.get(order.reference) if order else None

    def settled(self, snap: Snapshot) -> bool:
        """Every order completed with one tracking entry (or cancelled, unshipped), stock equal,
        no delivery left to do."""
        for order_id in self.progress.orders:
            order, at_warehouse = snap.shop_orders.get(order_id), self.at_warehouse(snap, order_id)
            if order_id in self.progress.cancelled:
                if at_warehouse is not None and at_warehouse.status != "cancelled":
                    return False
            elif order is None or order.status != "completed" or len(order.tracking) != 1:
                return False
        stock_equal = all(snap.shop_stock.get(sku) == qty for sku, qty in snap.warehouse_stock.items() if sku in snap.shop_stock)
        busy = sum(n for (_, _, state), n in snap.deliveries.items() if state in ("pending", "running"))
        return stock_equal and busy == 0

    # --- the show ---------------------------------------------------------------------------

    def render(self, snap: Snapshot, elapsed: float) -> Group:
        orders = Table(title=f"orders ({elapsed:4.0f}s)", expand=True)
        for column in (f"order in {self.shop_name}", "lines", f"at {self.warehouse_name}", "shipped", f"in {self.shop_name}"):
            orders.add_column(column)
        for order_id in self.progress.orders:
            order = snap.shop_orders.get(order_id)
            wh = self.at_warehouse(snap, order_id)
            lines = ", ".join(f"{quantity}x {sku}" for sku, quantity in (order.lines if order else ()))
            at = f"[green]{wh.id}[/] ({wh.status})" if wh else "[yellow]on its way[/]"
            shipped = "[green]yes[/]" if wh and wh.status == "shipped" else ("[red]never[/]" if order_id in self.progress.cancelled else "-")
            status = order.status if order else "?"
            shop_cell = f"[green]{status}[/], tracking" if order and status == "completed" and order.tracking else status
            orders.add_row(f"#{order_id}", lines, at, shipped, shop_cell)
        stock = Table(title=f"stock: {self.warehouse_name} -> {self.shop_name}", expand=True)
        for column in ("SKU", self.warehouse_name, self.shop_name, ""):
            stock.add_column(column)
        for sku, quantity in sorted(snap.warehouse_stock.items()):
            in_shop = snap.shop_stock.get(sku)
            stock.add_row(sku, str(quantity), str(in_shop), "[green]=[/]" if in_shop == quantity else "[yellow]syncing[/]")
        return Group(orders, stock)

    def run(self, console: Console, *, timeout: float = 90.0) -> Snapshot:
        started = time.monotonic()
        console.print(f"waiting for onboarding of {self.shop_name} and {self.warehouse_name}...")
        self.wait_for_onboarding()
        self.stock_the_warehouse()
        to_cancel: str | None = None
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


def for_world(world: World, **options: Any) -> Demo:
    """A Demo of the first storefront and the first fulfiller of a :class:`World` running in
    this process. Raises :class:`NoDemo` when the account lacks either."""
    shops, warehouses = world.playing(Storefront), world.playing(Fulfiller)
    if not shops or not warehouses:
        missing = "a storefront (a shop)" if not shops else "a fulfiller (a warehouse)"
        raise NoDemo(f"the demo needs {missing} among the account's simulators; this account's connectors ship none")
    runtime = world.hub.runtime
    return Demo(shops[0], warehouses[0], lambda: runtime.run(delivery_counts(runtime.account.name)), **options)


async def delivery_counts(account: str) -> dict[tuple[str, str, str], int]:
    rows = await Delivery.filter(account=account).annotate(n=Count("id")).group_by("integration", "data_type", "state").values("integration", "data_type", "state", "n")
    return {(r["integration"], r["data_type"], r["state"]): r["n"] for r in rows}


def summary(demo: Demo, snap: Snapshot, console: Console) -> int:
    """Print what was synced and what failed; the exit code is 0 only if nothing failed."""
    console.print()
    counts = snap.deliveries
    done = {(i, d): n for (i, d, s), n in counts.items() if s == DeliveryState.DONE}
    failed = sum(n for (_, _, s), n in counts.items() if s in (DeliveryState.FAILED, DeliveryState.DEAD))
    table = Table(title="summary")
    table.add_column("synced")
    table.add_column("count", justify="right")
    table.add_row(f"orders sent to {demo.warehouse_name}", str(done.get((demo.warehouse_name, "orders"), 0)))
    table.add_row(f"shipments written to {demo.shop_name}", str(done.get((demo.shop_name, "shipments"), 0)))
    table.add_row(f"stock figures written to {demo.shop_name}", str(done.get((demo.shop_name, "stocks"), 0)))
    table.add_row("orders cancelled before shipping", str(len(demo.progress.cancelled)))
    console.print(table)
    if not demo.progress.done:
        console.print("[yellow]the loop had not settled when the demo ended[/]")
    console.print(f"failures: {'[green]none[/]' if failed == 0 else f'[bold red]{failed}[/] (see connect-hub status)'}")
    return 0 if failed == 0 and demo.progress.done else 1
