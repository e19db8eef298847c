"""A shop's day as a model: random sequences of what a shop, its shoppers and its warehouse do,
and the invariants that hold once the hub has caught up.

One hub (embedded: SQLite, in-process broker, scheduler and sweeper on) runs between the
WooCommerce sandbox and the warehouse simulator over real HTTP, for every example; between
examples the shop is emptied keeping its webhooks (its ids go on), the warehouse is emptied and
the hub subscribed there again (as onboarding does), and the hub's store is emptied.

A step is one thing that happens in a shop's day: a guest or a registered customer orders, a
shopper registers, a customer changes their details or e-mail, a shop manager edits an order
through the REST API, cancels or refunds it (each as soon as it is placed, once the warehouse
has it, once picking started there or once it shipped), edits a product or a variation or
counts stock, the warehouse restocks or ships, and the shop's webhooks are duplicated, held back
(so they arrive after later ones) or lost. The shop sends its webhooks when a step says so
(``the_shop_sends_its_webhooks``, ``a_while_passes``), so the hub works while the day goes on.

*Settling* is what time does: the shop's queue runs, held deliveries arrive (late), each
reconciliation poll runs once (as the scheduler runs them every few minutes), until the hub is
idle, seen in its store and broker (no event or delivery pending, no poll running,
the broker's queue empty, nothing waiting in the shop's or the warehouse's webhooks, twice in a
row). Then the invariants must hold:

- every shop order is at the warehouse once, with its latest lines and address, or (the
  warehouse had it in hand already) its latest delivery there failed with a sentence saying why;
  a cancelled or refunded order is withdrawn there unless it had shipped;
- every customer is one contact record: a union-find over customer ids and e-mail addresses
  says who is the same person; each customer id is linked to exactly one record, keyed by its
  current address, each guest's address to a record of that person, and no record mixes people;
- shop stock equals the warehouse's available figure for every SKU it carries, and the hub
  never wrote stock for a SKU it does not carry;
- no event failed, no delivery failed but the explained ones, each with a reason, and nothing
  is left pending.

Product edits keep SKUs (the model's orders name products by SKU). A SKU renamed in the shop
(finding F8, fixed: the stock export looks SKUs up afresh) is tested on its own in
``tests/test_stock_safety.py``.

``MODEL_EXAMPLES`` sets how many sequences run (``make model-test`` runs 2000 and explores
afresh each time); in CI (``CI=true`` without it) a seed-stable profile runs a bounded number.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub.broker import QUEUE
from connect_hub.pipeline.maintenance import maintain, onboard
from connect_hub.pipeline.polling import polled_flows, run_poll
from connect_hub.service.admin import delivery_json, event_json, record_json
from connect_hub.status import queue_depth
from connect_hub.store.models import (
    Cursor,
    Delivery,
    Event,
    LedgerEntry,
    Link,
    Notice,
    Record,
    RuleDecision,
)
from connect_hub_efulfillment.simulator.server import running_simulator
from connect_hub_woocommerce.sandbox.client import SandboxClient
from connect_hub_woocommerce.sandbox.server import running_sandbox
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)
from support import WAREHOUSE_KEY, Hub, Warehouse, _loop_hubs

SKUS = ("MUG-1", "POSTER-1", "STICKER-1", "TSHIRT-S", "TSHIRT-M", "TSHIRT-L")
"""The sandbox's seeded SKUs (the T-shirt sizes are variations of TSHIRT)."""
NOT_SOLD = "GIFT-9"
"""A SKU the warehouse may carry that the shop does not sell."""
EMAILS = ("ann@example.test", "Ann@Example.test", "bo@example.test", "cy@example.test", "jane@example.test")
"""Few addresses, so that shoppers share them: two guests with one e-mail, a guest who registers,
an address in two cases, the seeded customer's address on a guest order."""
NAMES = ("Ann", "Bo", "Cy", "Dee")
CITIES = ("Utrecht", "Delft", "Gouda")
STAGES = st.sampled_from(("placed", "received", "picked", "shipped"))
"""How far an order has got when the shop changes it."""
TOPICS = ("order.created", "order.updated", "customer.created", "customer.updated", "product.updated")
SETTLE_TIMEOUT = 90.0
EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "0"))
CI_EXAMPLES = 25
"""Sequences of the bounded run (CI and ``make test``): about a minute on a quiet 2-core machine."""
CI = os.environ.get("CI") == "true"
SEEN: Counter[str] = Counter()
"""What the checks met, over all examples (printed at the end: the model is not vacuous)."""


def event(what: str) -> None:
    SEEN[what] += 1


@contextmanager
def timed(what: str) -> Iterator[None]:
    """Count the wall and CPU seconds of a phase (printed at the end with ``MODEL_DEBUG``)."""
    wall, cpu = time.monotonic(), time.process_time()
    try:
        yield
    finally:
        TIMES[what][0] += time.monotonic() - wall
        TIMES[what][1] += time.process_time() - cpu


TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])


def model_settings() -> settings:
    """CI: a bounded, seed-stable run (no shrinking: a failure prints its steps, and the long
    run reproduces it). Elsewhere the same bound with new sequences every run, and with
    ``MODEL_EXAMPLES`` that many longer sequences (``make model-test``)."""
    common = {"deadline": None, "suppress_health_check": list(HealthCheck), "print_blob": True}
    if EXAMPLES:
        return settings(max_examples=EXAMPLES, stateful_step_count=12, **common)
    if CI:
        return settings(max_examples=CI_EXAMPLES, stateful_step_count=8, derandomize=True, database=None,
                        phases=[Phase.explicit, Phase.generate], **common)  # fmt: skip
    return settings(max_examples=CI_EXAMPLES, stateful_step_count=8, **common)


# --- the world: shop, warehouse and hub over HTTP ---------------------------------------------


class World:
    """The sandbox shop, the warehouse simulator and the hub, as a test sees them over HTTP."""

    def __init__(self, shop: SandboxClient, warehouse: Warehouse, hub: Hub):
        self.shop, self.warehouse, self.hub = shop, warehouse, hub
        self.account = hub.runtime.account

    # the warehouse

    def wh(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.warehouse.url}{path}", json=json, headers={"x-api-key": WAREHOUSE_KEY})

    def warehouse_stock(self) -> dict[str, int]:
        return {item["sku"]: item["quantity"] for item in self.wh("GET", "/api/v1/stock?per_page=100").json()}

    def warehouse_pending(self) -> int:
        deliveries = httpx.get(f"{self.warehouse.url}/_sim/deliveries").json()
        return sum(1 for d in deliveries if d.get("state") == "pending")

    # the hub

    def run(self, coro: Any) -> Any:
        return self.hub.runtime.run(coro, timeout=60)

    def store(self, query: Any) -> Any:
        async def fetch() -> Any:
            return await query

        return self.run(fetch())

    def fingerprint(self) -> tuple[int, int] | None:
        """What the hub holds (events, deliveries) if it is idle now: nothing waiting in the
        broker, no event or delivery pending or running, no poll under way; else None."""
        if queue_depth(self.hub.runtime.broker, QUEUE):
            return None
        return self.run(self._idle_counts())

    async def _idle_counts(self) -> tuple[int, int] | None:
        account = self.account.name
        if await Event.filter(account=account, state="pending").exists():
            return None
        if await Delivery.filter(account=account, state__in=("pending", "running")).exists():
            return None
        if await Cursor.filter(account=account, lease_until__gt=datetime.now(UTC)).exists():
            return None
        return await Event.filter(account=account).count(), await Delivery.filter(account=account).count()

    def quiesce(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Deliver the shop's queued webhooks until the hub, the shop and the warehouse are
        idle twice in a row (held deliveries stay held, no poll is started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.shop.run_queue()
            first = self.fingerprint()
            if first is not None and not sent and not self.warehouse_pending():
                time.sleep(0.05)
                if self.fingerprint() == first and not self.shop.state()["pending_deliveries"]:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the hub did not settle in {timeout:g}s: {self.hub.api('status')}")

    def reconcile(self) -> None:
        """Run every reconciliation poll once from start to end, as the scheduler does on its
        timer (a poll the scheduler is running already counts once it has ended)."""
        for integration, data_type, _ in polled_flows(self.account):
            started = time.time()
            deadline = time.monotonic() + SETTLE_TIMEOUT
            while time.monotonic() < deadline:
                woken: list[int] = []
                self.run(run_poll(self.account, integration, data_type, woken.extend))
                for event_id in woken:
                    self.hub.runtime.actors.send_import(event_id)
                cursor = self.store(Cursor.get_or_none(account=self.account.name, integration=integration, data_type=str(data_type)))
                if cursor is not None and cursor.polled_at is not None and cursor.polled_at.timestamp() >= started - 0.001:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"no complete poll of {integration} {data_type} in {SETTLE_TIMEOUT:g}s")

    def settle(self) -> None:
        """What time does: webhooks delivered, held ones arriving after later ones, then the
        reconciliation polls (a mishap asked for that found no delivery never happened)."""
        self.shop.forget_mishaps()
        self.shop.run_queue()
        self.shop.release()
        with timed("settle: webhooks"):
            self.quiesce()
        with timed("settle: polls"):
            self.reconcile()
            self.quiesce()

    def reset(self) -> None:
        """An empty day: the shop as seeded, an empty warehouse, an empty store."""
        try:
            self.quiesce(timeout=20)
        except AssertionError:
            pass  # a failed example's leftovers: emptied below all the same
        self.shop.reset(seed=True, keep_webhooks=True)  # ids go on: none of an earlier day comes back
        httpx.post(f"{self.warehouse.url}/_sim/reset").raise_for_status()
        httpx.post(f"{self.warehouse.url}/_sim/config", json={"retry_delays": [0.2, 0.5, 1.0, 2.0]}).raise_for_status()
        self.run(self._empty_store())
        self.run(maintain(self.account, "shop"))  # the shop's webhooks are all there
        self.run(onboard(self.account, "warehouse"))  # the warehouse's subscription again
        problems = self.store(Notice.filter(account=self.account.name, kind__in=("onboarding_failed", "maintenance_failed")).values_list("message", flat=True))
        assert not problems, problems
        self.store(Notice.filter(account=self.account.name).delete())  # the webhooks made again

    async def _empty_store(self) -> None:
        for model in (RuleDecision, LedgerEntry, Delivery, Link, Event, Record, Cursor, Notice):
            await model.filter(account=self.account.name).delete()
        for integration in self.account.integrations.values():
            integration.resources.pop("companion_plugin", None)
        self.hub.runtime.resent.until.clear()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with running_sandbox(port=0, seed=True, queue_interval=None) as sandbox, running_simulator(port=0, api_key=WAREHOUSE_KEY) as simulator:
        warehouse = Warehouse(simulator.url)
        starts = _loop_hubs(tmp_path, sandbox, warehouse)
        start = next(starts)
        hub = start()
        shop = SandboxClient(sandbox.url, sandbox.consumer_key, sandbox.consumer_secret)
        try:
            yield World(shop, warehouse, hub)
        finally:
            shop.close()
            starts.close()


# --- who is the same person --------------------------------------------------------------------


class People:
    """Union-find over customer ids (``c:7``) and e-mail addresses (``e:ann@example.test``):
    a customer is the same person as every address it had, and an address is one person."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def same(self, a: str, b: str) -> bool:
        return self.find(a) == self.find(b)


def email_node(address: str) -> str:
    return f"e:{address.strip().lower()}"


# --- the model ---------------------------------------------------------------------------------


class ShopDay(RuleBasedStateMachine):
    """One day of one shop; ``world`` is shared by every example and emptied for each."""

    world: World

    orders = Bundle("orders")
    customers = Bundle("customers")

    def __init__(self) -> None:
        super().__init__()
        with timed("reset"):
            self.world.reset()
        self.shop = self.world.shop
        self.people = People()
        for customer in self.shop.state()["customers"]:  # the seeded one
            self.people.union(f"c:{customer['id']}", email_node(customer["email"]))
        self.guest_emails: set[str] = set()
        self.sold_carried: set[str] = set()

    # --- the start of the day

    @initialize(stock=st.dictionaries(st.sampled_from((*SKUS, NOT_SOLD)), st.integers(0, 30), max_size=4))
    def open_the_warehouse(self, stock: dict[str, int]) -> None:
        """The warehouse carries a few of the shop's SKUs (or none) at the start."""
        if stock:
            httpx.post(f"{self.world.warehouse.url}/_sim/stock", json=stock).raise_for_status()

    @initialize(target=orders, sku=st.sampled_from(SKUS), email=st.sampled_from(EMAILS))
    def the_first_shopper_orders(self, sku: str, email: str) -> int:
        return self.a_guest_orders([(sku, 1)], email, "Ann", "Utrecht")

    @initialize(target=customers, email=st.sampled_from(EMAILS), name=st.sampled_from(NAMES))
    def a_regular_has_an_account(self, email: str, name: str) -> int:
        return self.a_shopper_registers(email, name)

    # --- shoppers

    @rule(target=orders, lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3, unique_by=lambda t: t[0]),
          email=st.sampled_from(EMAILS), name=st.sampled_from(NAMES), city=st.sampled_from(CITIES))  # fmt: skip
    def a_guest_orders(self, lines: list[tuple[str, int]], email: str, name: str, city: str) -> int:
        order = self.shop.place_order(lines, email=email, billing=_address(name, city, email), shipping=_address(name, city))
        self.guest_emails.add(email)
        self.people.find(email_node(email))
        return order["id"]

    @rule(target=orders, customer=customers, lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=2, unique_by=lambda t: t[0]),
          city=st.none() | st.sampled_from(CITIES))  # fmt: skip
    def a_customer_orders(self, customer: int, lines: list[tuple[str, int]], city: str | None) -> int:
        """Logged in; the checkout saves the addresses back to the account."""
        extra = {"shipping": {"city": city}} if city else {}
        return self.shop.place_order(lines, customer_id=customer, **extra)["id"]

    @rule(target=customers, email=st.sampled_from(EMAILS), name=st.sampled_from(NAMES))
    def a_shopper_registers(self, email: str, name: str) -> int:
        response = self.shop.http.post(f"{self.shop.url}/_sandbox/customers", json={
            "email": email, "first_name": name, "last_name": "Model", "billing": _address(name, "Utrecht", email),
            "shipping": _address(name, "Utrecht"),
        })  # fmt: skip
        if response.status_code == 400:  # the address has an account already: that one logs in
            return next(c["id"] for c in self.shop.state()["customers"] if c["email"].lower() == email.lower())
        response.raise_for_status()
        customer_id = response.json()["id"]
        self.people.union(f"c:{customer_id}", email_node(email))
        return customer_id

    @rule(customer=customers, name=st.sampled_from(NAMES), phone=st.sampled_from(("+31 6 1", "+31 6 2", "")))
    def a_customer_edits_their_details(self, customer: int, name: str, phone: str) -> None:
        self.shop.ok("PUT", f"/customers/{customer}", {"first_name": name, "billing": {"first_name": name, "phone": phone}})

    @rule(customer=customers, email=st.sampled_from(EMAILS))
    def a_customer_changes_their_email(self, customer: int, email: str) -> None:
        response = self.shop.rest("PUT", f"/customers/{customer}", {"email": email, "billing": {"email": email}})
        if response.status_code == 400:  # another account has it
            return
        response.raise_for_status()
        event("customers: an e-mail changed")
        self.people.union(f"c:{customer}", email_node(email))

    # --- the shop manager

    def wait_until(self, order: int, stage: str) -> None:
        """Let the day go on until the order is at ``stage``: ``placed`` (now), ``received`` by
        the warehouse, being ``picked`` there or ``shipped`` (as far as it gets: a cancelled or
        held back order stays where it is)."""
        if stage == "placed":
            return
        with timed("steps: waiting for an order to get on"):
            self._wait_until(order, stage)

    def _wait_until(self, order: int, stage: str) -> None:
        reference = f"shop-{order}"
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.world.wh("GET", f"/api/v1/orders/{reference}").status_code == 404:
            self.shop.run_queue()
            if self.world.fingerprint() is not None:  # idle: it is not coming (held, lost, withdrawn)
                time.sleep(0.1)
                if self.world.fingerprint() is not None and not self.shop.state()["pending_deliveries"]:
                    break
            assert time.monotonic() < deadline, f"{reference} neither reached the warehouse nor stopped"
            time.sleep(0.05)
        if stage in ("picked", "shipped"):
            httpx.post(f"{self.world.warehouse.url}/_sim/orders/{reference}/pick")
        if stage == "shipped":  # the shipment is on its way to the shop while the shop goes on
            httpx.post(f"{self.world.warehouse.url}/_sim/orders/{reference}/ship")

    @rule(order=orders, stage=STAGES, quantity=st.integers(0, 4), city=st.none() | st.sampled_from(CITIES), add=st.none() | st.sampled_from(SKUS))
    def the_shop_edits_an_order(self, order: int, stage: str, quantity: int, city: str | None, add: str | None) -> None:
        """Through the REST API: the first line's quantity (0 removes it), the address, a new line."""
        self.wait_until(order, stage)
        current = self.shop.ok("GET", f"/orders/{order}")
        items: list[dict[str, Any]] = []
        if current["line_items"]:
            first = current["line_items"][0]
            if quantity or len(current["line_items"]) > 1:
                items.append({"id": first["id"], "quantity": quantity})
        if add and add not in {li["sku"] for li in current["line_items"]}:
            items.append({"sku": add, "quantity": 1})
        body: dict[str, Any] = {"line_items": items} if items else {}
        if city:
            body["shipping"] = {"city": city, "address_1": f"{city}straat 9"}
        if body:
            self.shop.ok("PUT", f"/orders/{order}", body)

    @rule(order=orders, stage=STAGES)
    def the_shop_cancels_an_order(self, order: int, stage: str) -> None:
        self.wait_until(order, stage)
        self.shop.ok("PUT", f"/orders/{order}", {"status": "cancelled"})

    @rule(order=orders, stage=STAGES, whole=st.booleans())
    def the_shop_refunds(self, order: int, stage: str, whole: bool) -> None:
        """A whole refund (the order becomes refunded) or one item of the first line, restocked."""
        self.wait_until(order, stage)
        if whole:
            self.shop.ok("PUT", f"/orders/{order}", {"status": "refunded"})
            return
        current = self.shop.ok("GET", f"/orders/{order}")
        if not current["line_items"]:
            return
        line = current["line_items"][0]
        self.shop.rest("POST", f"/orders/{order}/refunds", {
            "api_refund": False, "line_items": [{"id": line["id"], "quantity": 1, "refund_total": str(line["price"])}],
        })  # fmt: skip  (refused when nothing is left to refund: nothing happens)

    @rule(sku=st.sampled_from(SKUS), price=st.sampled_from(("9.99", "12.50", "21.00")), name=st.sampled_from(("", " (new)")))
    def the_shop_edits_a_product(self, sku: str, price: str, name: str) -> None:
        [product] = self.shop.ok("GET", "/products", sku=sku)
        if product["type"] == "variation":
            self.shop.ok("PUT", f"/products/{product['parent_id']}/variations/{product['id']}", {"regular_price": price})
        else:
            self.shop.ok("PUT", f"/products/{product['id']}", {"regular_price": price, "name": product["name"].removesuffix(" (new)") + name})

    @rule(sku=st.sampled_from(SKUS), quantity=st.integers(0, 50))
    def the_shop_counts_stock(self, sku: str, quantity: int) -> None:
        self.shop.set_stock({sku: quantity})

    # --- the warehouse

    @rule(sku=st.sampled_from((*SKUS, NOT_SOLD)), quantity=st.integers(0, 30))
    def the_warehouse_restocks(self, sku: str, quantity: int) -> None:
        httpx.post(f"{self.world.warehouse.url}/_sim/stock", json={sku: quantity}).raise_for_status()

    @rule(order=orders)
    def the_warehouse_ships(self, order: int) -> None:
        """Once the order has had time to arrive (nothing happens if it has not)."""
        self.wait_until(order, "shipped")

    # --- the shop's webhooks and time

    @rule(kind=st.sampled_from(("duplicate", "hold", "drop")), topic=st.sampled_from(TOPICS))
    def a_webhook_goes_astray(self, kind: str, topic: str) -> None:
        self.shop.mishap(kind, topic=topic)

    @rule()
    def the_shop_sends_its_webhooks(self) -> None:
        self.shop.run_queue()

    @rule()
    def a_while_passes(self) -> None:
        """The hub catches up with what the shop sent (held webhooks arrive late); no poll."""
        self.world.shop.release()
        self.world.quiesce()

    def teardown(self) -> None:
        self.world.settle()
        with timed("check"):
            self.check()

    # --- the invariants

    def check(self) -> None:
        view = View(self.world)
        view.nothing_pending()
        view.no_failure_without_reason()
        view.orders_at_the_warehouse()
        view.one_contact_per_customer(self.people, self.guest_emails)
        view.stock_follows_the_warehouse()


class View:
    """One look at the shop, the warehouse and the hub after settling, and the invariants."""

    def __init__(self, world: World):
        self.world = world
        self.shop = world.shop.state()
        self.held = {o["reference"]: o for o in httpx.get(f"{world.warehouse.url}/_sim/orders").json()}
        self.events, self.deliveries, records, self.links = world.run(self._hub())
        self.records = {r["id"]: r for r in records}

    async def _hub(self) -> tuple[list[dict[str, Any]], ...]:
        """The hub's events, deliveries, records (as the admin API shows them) and shop links."""
        account = self.world.account.name
        return (
            [event_json(e) for e in await Event.filter(account=account).order_by("id")],
            [delivery_json(d) for d in await Delivery.filter(account=account).order_by("id")],
            [record_json(r) for r in await Record.filter(account=account).order_by("id")],
            await Link.filter(account=account, integration="shop", data_type="contacts").values("external_id", "alias", "record_id"),
        )

    def nothing_pending(self) -> None:
        assert not [e for e in self.events if e["state"] == "pending"], "events left pending"
        assert not [d for d in self.deliveries if d["state"] in ("pending", "running")], "deliveries left pending"
        assert self.shop["pending_deliveries"] == 0

    def no_failure_without_reason(self) -> None:
        failed = [e for e in self.events if e["state"] == "failed"]
        assert not failed, "events failed: " + "; ".join(f"{e['topic']}: {e['last_error']}" for e in failed)
        for delivery in self.deliveries:
            if delivery["state"] in ("failed", "dead"):
                assert delivery["last_error"] and not re.match(r"^\w+(Error|Exception)\b", delivery["last_error"]), delivery
            if delivery["state"] == "skipped":
                assert delivery["reason"], delivery

    def orders_at_the_warehouse(self) -> None:
        """Each shop order is at the warehouse with its latest content, or explains why not."""
        references = {f"shop-{o['id']}" for o in self.shop["orders"]}
        assert set(self.held) <= references, f"the warehouse holds orders the shop does not have: {set(self.held) - references}"
        explained: set[int] = set()
        for order in self.shop["orders"]:
            reference = f"shop-{order['id']}"
            held = self.held.get(reference)
            latest = self.latest_delivery(reference)
            why = f"order {reference} ({order['status']}) in the shop, {held and held['status']} at the warehouse, latest delivery {latest}"
            if order["status"] in ("cancelled", "refunded"):
                event(f"orders: {order['status']} in the shop, {held and held['status']} at the warehouse")
                if held is None or held["status"] == "cancelled":
                    continue
                if held["status"] == "shipped":
                    if order["status"] == "cancelled":  # the parcel left: a return to arrange
                        assert latest and latest["state"] == "failed" and "shipped" in latest["last_error"], why
                        explained.add(latest["id"])
                    continue
                raise AssertionError(f"withdrawn in the shop, still to be shipped: {why}")
            assert held is not None, f"not at the warehouse: {why}"
            assert held["create_requests"] >= 1
            same = [(li["sku"], li["quantity"]) for li in held["lines"]] == [(li["sku"], li["quantity"]) for li in order["lines"]]
            same = same and _filled(held["shipping_address"]) == _filled(warehouse_address(order["shipping"]))
            event(f"orders: {order['status']} in the shop, {held['status']} at the warehouse, {'same' if same else 'refused'}")
            if held["status"] == "received" or same:
                assert same, f"the warehouse holds an older version: {why}: {held['lines']} {held['shipping_address']} vs {order['lines']} {order['shipping']}"
                continue
            assert latest and latest["state"] == "failed" and reference in (latest["last_error"] or ""), f"a change that cannot reach the warehouse is not reported: {why}"
            assert re.search(r"picking|shipped|cancelled", latest["last_error"]), why
            explained.add(latest["id"])
        for delivery in self.deliveries:
            if delivery["state"] in ("failed", "dead"):
                record = self.records.get(delivery["record_id"], {})
                if delivery["id"] in explained:
                    continue
                # an earlier version's refusal, overtaken by a later version the warehouse took
                later = [d for d in self.deliveries if d["record_id"] == delivery["record_id"] and d["integration"] == delivery["integration"] and d["version"] > delivery["version"]]
                assert later and delivery["integration"] == "warehouse", f"an unexplained failure: {delivery} of {record.get('key')}"

    def latest_delivery(self, reference: str) -> dict[str, Any] | None:
        ids = [r["id"] for r in self.records.values() if r["key"] == f"order:{reference}"]
        mine = [d for d in self.deliveries if d["record_id"] in ids and d["integration"] == "warehouse"]
        return max(mine, key=lambda d: d["version"]) if mine else None

    def one_contact_per_customer(self, people: People, guest_emails: set[str]) -> None:
        links = self.links
        contacts = {r["id"]: r for r in self.records.values() if r["data_type"] == "contacts"}
        by_id = {link["external_id"]: link for link in links}
        event(f"contacts: {len(contacts)} records, {len(self.shop['customers'])} customers, {len(guest_emails)} guest addresses")
        for customer in self.shop["customers"]:
            link = by_id.get(str(customer["id"]))
            assert link is not None and not link["alias"], f"customer {customer['id']} ({customer['email']}) has no contact"
            record = contacts[link["record_id"]]
            assert record["key"] == f"email:{customer['email'].lower()}", f"customer {customer['id']} is now {customer['email']}, their contact is {record['key']}"
            assert record["data"]["email"].lower() == customer["email"].lower(), record
        for email in guest_emails:
            link = by_id.get(f"email:{email.lower()}")
            assert link is not None and link["alias"], f"the guest {email} has no contact"
            record = contacts[link["record_id"]]
            assert people.same(email_node(email), email_node(record["key"].removeprefix("email:"))), f"the guest {email} is on {record['key']}, someone else's contact"
        for record_id, record in contacts.items():
            nodes = [email_node(record["key"].removeprefix("email:"))]
            nodes += [email_node(ln["external_id"].removeprefix("email:")) if ln["alias"] else f"c:{ln['external_id']}" for ln in links if ln["record_id"] == record_id]
            assert all(people.same(nodes[0], node) for node in nodes), f"contact {record['key']} mixes people: {nodes}"

    def stock_follows_the_warehouse(self) -> None:
        carried = self.world.warehouse_stock()
        shop = {p["sku"]: p["stock_quantity"] for p in self.shop["products"]}
        event(f"stock: {len(set(carried) & set(shop))} of the shop's SKUs carried")
        for sku, available in carried.items():
            if sku in shop:
                assert shop[sku] == available, f"{sku}: {shop[sku]} in the shop, {available} available at the warehouse"
        written = {w["sku"] for w in self.world.shop.stock_writes()}
        assert written <= set(carried), f"stock written for SKUs the warehouse does not carry: {written - set(carried)}"


def _address(name: str, city: str, email: str | None = None) -> dict[str, str]:
    address = {"first_name": name, "last_name": "Model", "address_1": f"{city}weg 1", "city": city, "postcode": "3511 AA", "country": "NL"}
    return {**address, "email": email} if email else address


WAREHOUSE_FIELDS = {"company": "company", "address1": "address_1", "address2": "address_2", "postcode": "postcode", "city": "city", "state": "state", "country": "country", "phone": "phone"}


def warehouse_address(shipping: dict[str, str]) -> dict[str, str]:
    """The shop's shipping address as the warehouse keeps it."""
    name = " ".join(p for p in (shipping.get("first_name"), shipping.get("last_name")) if p)
    return {"name": name} | {ours: shipping.get(theirs, "") for ours, theirs in WAREHOUSE_FIELDS.items()}


def _filled(address: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (address or {}).items() if v}


def test_a_shops_day_keeps_orders_customers_and_stock_in_line(world: World) -> None:
    ShopDay.world = world
    SEEN.clear()
    try:
        run_state_machine_as_test(ShopDay, settings=model_settings())
    finally:
        print("\n".join(f"{n:5d}  {what}" for what, n in sorted(SEEN.items())))
        if os.environ.get("MODEL_DEBUG"):
            print("\n".join(f"{wall:7.1f}s {cpu:7.1f}s cpu  {what}" for what, (wall, cpu) in sorted(TIMES.items())))

