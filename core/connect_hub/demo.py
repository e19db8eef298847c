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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from tortoise.functions import Count

from connect_hub.simulator import Fulfiller, SimulatedOrder, Storefront
from connect_hub.store.models import Delivery, DeliveryState, Event, EventState
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
    events_pending: int = 0


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
        report: Callable[[], StoreReport] | None = None,
    ):
        (self.shop_name, self.shop), (self.warehouse_name, self.warehouse) = shop, warehouse
        self.counts = counts
        self.report = report
        """What the store says about the deliveries and events (the summary counts from it)."""
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
            events_pending=self.report().events_pending if self.report else 0,
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
        return stock_equal and busy == 0 and snap.events_pending == 0

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
                snap = self.snapshot()
                if len(self.progress.orders) < self.count and time.monotonic() >= placed_at:
                    order_id = self.place_order()
                    if len(self.progress.orders) == 2:
                        to_cancel = order_id
                    placed_at = time.monotonic() + 1.0
                elif to_cancel is not None and self.at_warehouse(snap, to_cancel) is not None:
                    # once it is at the warehouse (the same moment every run: the counts match),
                    # before the warehouse ships it
                    self.cancel_in_shop(to_cancel)
                    to_cancel = None
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
    name = runtime.account.name
    return Demo(shops[0], warehouses[0], lambda: runtime.run(delivery_counts(name)),
                report=lambda: runtime.run(store_report(name)), **options)


def fresh_store(url: str) -> Path:
    """Remove the previous demo's SQLite store at ``url`` (with its WAL files), so that every
    run starts alike; its path. Raises NoDemo for a store that is no SQLite file."""
    parts = urlsplit(url)
    path = parts.netloc + parts.path
    if parts.scheme != "sqlite" or not path or path == ":memory:":
        raise NoDemo(f"the demo starts its store afresh, so it runs on a SQLite file (sqlite://var/connect-hub.db), not {parts.scheme}://")
    file = Path(path)
    for leftover in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return file


async def delivery_counts(account: str) -> dict[tuple[str, str, str], int]:
    rows = await Delivery.filter(account=account).annotate(n=Count("id")).group_by("integration", "data_type", "state").values("integration", "data_type", "state", "n")
    return {(r["integration"], r["data_type"], r["state"]): r["n"] for r in rows}


@dataclass
class StoreReport:
    """What the store holds about this account's work, for the summary."""

    synced: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """``{(integration, data type): (objects, deliveries)}`` done."""
    outcomes: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    """``(state, integration, data type, reason, n)`` of skipped, failed and dead deliveries."""
    pending: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    """``(integration, data type, state, why, n)`` of deliveries not finished yet."""
    events_pending: int = 0
    events_failed: list[tuple[str, str, int]] = field(default_factory=list)
    """``(integration, error, n)``."""


async def store_report(account: str) -> StoreReport:
    report = StoreReport()
    rows = await Delivery.filter(account=account).values("integration", "data_type", "state", "record_id", "last_error", "reason", "next_attempt_at")
    done: dict[tuple[str, str], list[int]] = {}
    grouped: dict[tuple[str, str, str, str], int] = {}
    waiting: dict[tuple[str, str, str, str], int] = {}
    for row in rows:
        where = (row["integration"], row["data_type"])
        state = row["state"]
        if state == DeliveryState.DONE:
            done.setdefault(where, []).append(row["record_id"])
        elif state in (DeliveryState.SKIPPED, DeliveryState.FAILED, DeliveryState.DEAD):
            reason = (row["reason"] if state == DeliveryState.SKIPPED else row["last_error"]) or "no reason recorded"
            key = (state, *where, _reason(reason))
            grouped[key] = grouped.get(key, 0) + 1
        else:
            why = (f"retrying after: {_reason(row['last_error'])}" if row["last_error"] else
                   "waiting for its next try" if row["next_attempt_at"] else "waiting for a worker")
            key = (*where, state, why)
            waiting[key] = waiting.get(key, 0) + 1
    report.synced = {where: (len(set(ids)), len(ids)) for where, ids in sorted(done.items())}
    order = {DeliveryState.DEAD: 0, DeliveryState.FAILED: 1, DeliveryState.SKIPPED: 2}
    report.outcomes = sorted(((*k, n) for k, n in grouped.items()), key=lambda o: (order[o[0]], o[1:]))
    report.pending = sorted((*k, n) for k, n in waiting.items())
    report.events_pending = await Event.filter(account=account, state=EventState.PENDING).count()
    failed: dict[tuple[str, str], int] = {}
    for row in await Event.filter(account=account, state=EventState.FAILED).values("integration", "last_error"):
        key = (row["integration"], _reason(row["last_error"] or "no error recorded"))
        failed[key] = failed.get(key, 0) + 1
    report.events_failed = sorted((*k, n) for k, n in failed.items())
    return report


def _reason(text: str) -> str:
    """One line of an error or reason, short enough for a summary row (ids left in: they help)."""
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 160 else line[:157] + "..."


def summary(demo: Demo, snap: Snapshot, console: Console) -> int:
    """Print what the store says was synced, skipped, failed and still pending; the exit code
    is 0 only if the loop settled and nothing failed."""
    console.print()
    report = demo.report() if demo.report else StoreReport()
    table = Table(title="summary (counted from the store)")
    for column in ("synced to", "data type", "objects"):
        table.add_column(column, justify="right" if column == "objects" else "left")
    for (integration, data_type), (objects, _) in report.synced.items():
        table.add_row(integration, data_type, str(objects))
    console.print(table)
    console.print(f"orders placed in {demo.shop_name}: {len(demo.progress.orders)}, of which cancelled before shipping: {len(demo.progress.cancelled)}")
    for state, integration, data_type, reason, n in report.outcomes:
        colour = "bold red" if state != DeliveryState.SKIPPED else "yellow"
        console.print(f"[{colour}]{state}[/]: {n} {data_type} to {integration}: {reason}", highlight=False)
    for integration, error, n in report.events_failed:
        console.print(f"[bold red]failed[/]: {n} events from {integration}: {error}", highlight=False)
    failed = sum(n for state, *_, n in report.outcomes if state != DeliveryState.SKIPPED) + sum(n for *_, n in report.events_failed)
    if demo.progress.done:
        console.print("[green]the loop settled[/]: every order is at the warehouse or cancelled, shipped back, and the stock is equal")
    else:
        console.print("[yellow]the loop had not settled when the demo ended[/]; still to do:")
        for integration, data_type, state, why, n in report.pending:
            console.print(f"  {n} {data_type} to {integration} ({state}): {why}", highlight=False)
        if report.events_pending:
            console.print(f"  {report.events_pending} events waiting to be imported")
        unequal = sorted(sku for sku, qty in snap.warehouse_stock.items() if sku in snap.shop_stock and snap.shop_stock[sku] != qty)
        if unequal:
            console.print(f"  stock not equal yet for {', '.join(unequal)}")
        if not report.pending and not report.events_pending and not unequal:
            console.print("  nothing in the store: an order is still on its way through a simulator")
    console.print(f"failures: {'[green]none[/]' if failed == 0 else f'[bold red]{failed}[/] (see connect-hub status)'}")
    return 0 if failed == 0 and demo.progress.done else 1
