"""The WooCommerce connector in a running hub against a real WordPress + WooCommerce, with the
warehouse simulator, all over real HTTP.

One hub serves the module (onboarding is its first test); each test makes what it needs in the
shop through the REST API, as a merchant's tools would, and runs the shop's queue (webhook
deliveries) instead of waiting for WP-Cron.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub.config import parse_config
from connect_hub.embedded import running_hub
from connect_hub.runtime import Runtime
from connect_hub_efulfillment.simulator.server import running_simulator
from realshop.shop import RealShop
from support import ENV, WAREHOUSE_KEY, Hub, Warehouse, free_port, loop_yaml

TOPICS = {"order.created", "order.updated", "product.created", "product.updated", "customer.created", "customer.updated"}
WAIT = 60
"""Seconds a condition may take (the machine is shared; the shop answers in ~0.3 s)."""


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Warehouse]:
    with running_simulator(port=0, api_key=WAREHOUSE_KEY) as sim:
        yield Warehouse(sim.url)


@pytest.fixture(scope="module")
def hub_config(realshop: RealShop, warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("realshop-hub")
    text = loop_yaml(
        account="acme", store=f"sqlite://{directory}/hub.db", broker="memory://", port=free_port(),
        shop=realshop, warehouse_url=warehouse.url, at_start=True,
    )
    file = directory / "acme.yaml"
    file.write_text(text)
    return file


@pytest.fixture(scope="module")
def hub(realshop: RealShop, hub_config: Path) -> Iterator[Hub]:
    with pytest.MonkeyPatch.context() as env:
        for key, value in ENV.items():
            env.setenv(key, value)
        runtime = Runtime(parse_config(hub_config.read_text(), file=str(hub_config)), migrate=True)
        with running_hub(runtime, port=runtime.config.service.port) as process:
            hub = Hub(process)
            try:
                yield hub
            finally:  # leave the session's shop without webhooks to a hub that is gone
                realshop.php(
                    "foreach ( WC_Data_Store::load( 'webhook' )->get_webhooks_ids() as $id ) {\n"
                    f"  $w = wc_get_webhook( $id ); if ( $w && 0 === strpos( $w->get_delivery_url(), {json.dumps(hub.url)} ) ) {{ $w->delete( true ); }}\n"
                    "}\nreturn null;"
                )


def hub_story(hub: Hub) -> str:
    """The hub's latest deliveries and events, for a failure message."""
    lines = [f"delivery {d['id']} {d['integration']} {d['data_type']} {d['state']} {d['reason'] or ''} {d['last_error'] or ''}" for d in hub.deliveries(limit="500")[-30:]]
    lines += [f"event {e['id']} {e.get('integration')} {e.get('topic')} {e['state']} {e.get('error') or ''}" for e in hub.api("events?limit=500")["items"][-30:]]
    return "\n".join(lines)


def wait_in(hub: Hub, condition: Any, what: str, *, every: float = 0.1) -> Any:
    """Poll ``condition`` every ``every`` seconds for up to WAIT seconds; when the wait fails,
    say what the hub did meanwhile."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {WAIT}s waiting for {what}; the hub's latest:\n{hub_story(hub)}")


def in_shop(hub: Hub, condition: Any, what: str) -> Any:
    """``wait_in`` for a condition read from the shop: once a second (each look is a WordPress
    request, which costs the shop as much as the hub's own)."""
    return wait_in(hub, condition, what, every=1.0)


def our_webhooks(shop: RealShop, hub: Hub) -> list[dict[str, Any]]:
    return [h for h in shop.api("GET", "webhooks", params={"per_page": 100}) if h["delivery_url"] == f"{hub.url}/webhooks/shop"]


@pytest.fixture(scope="module")
def onboarded(realshop: RealShop, hub: Hub) -> Hub:
    """The hub once onboarding at its start registered its webhooks in the shop."""
    in_shop(hub, lambda: {h["topic"] for h in our_webhooks(realshop, hub) if h["status"] == "active"} == TOPICS, "the hub's webhooks in the shop")
    return hub


class Catalogue:
    def __init__(self, shop: RealShop, suffix: str):
        self.mug_sku, self.tee_sku = f"RS-MUG-{suffix}", f"RS-TEE-{suffix}"
        self.mug, self.tee = shop.api("POST", "products/batch", json={"create": [
            {"name": "Real mug", "type": "simple", "sku": self.mug_sku, "regular_price": "9.50", "manage_stock": True, "stock_quantity": 50},
            {"name": "Real tee", "type": "variable", "sku": self.tee_sku,
             "attributes": [{"name": "Size", "variation": True, "visible": True, "options": ["S", "M", "L"]}]},
        ]})["create"]
        variations = shop.api("POST", f"products/{self.tee['id']}/variations/batch", json={"create": [
            {"sku": f"{self.tee_sku}-{size}", "regular_price": "19.00", "manage_stock": True, "stock_quantity": 20, "attributes": [{"name": "Size", "option": size}]}
            for size in ("S", "M", "L")
        ]})["create"]
        self.sizes: dict[str, dict[str, Any]] = dict(zip("SML", variations, strict=True))
        assert all("error" not in item for item in (self.mug, self.tee, *variations)), (self.mug, self.tee, variations)


@pytest.fixture(scope="module")
def catalogue(realshop: RealShop, onboarded: Hub) -> Catalogue:
    made = Catalogue(realshop, uuid.uuid4().hex[:6].upper())
    realshop.deliver_webhooks()
    return made


ADDRESS = {"address_1": "Lindenallee 4", "city": "Hamburg", "postcode": "20095", "country": "DE"}


def place_order(shop: RealShop, catalogue: Catalogue, *, email: str, customer_id: int = 0, lines: tuple[tuple[str, int], ...] = (("mug", 2), ("L", 1)), name: tuple[str, str] = ("Ann", "Smith")) -> dict[str, Any]:
    """A paid order (processing), as a checkout with cash on delivery leaves it."""
    items = []
    for what, quantity in lines:
        if what == "mug":
            items.append({"product_id": catalogue.mug["id"], "quantity": quantity})
        else:
            items.append({"product_id": catalogue.tee["id"], "variation_id": catalogue.sizes[what]["id"], "quantity": quantity})
    order = shop.api("POST", "orders", json={
        "status": "processing", "set_paid": True, "payment_method": "cod", "payment_method_title": "Cash on delivery",
        "customer_id": customer_id,
        "billing": {"first_name": name[0], "last_name": name[1], "email": email, **ADDRESS},
        "shipping": {"first_name": name[0], "last_name": name[1], **ADDRESS},
        "line_items": items,
    })
    shop.deliver_webhooks()
    return order


def at_warehouse(warehouse: Warehouse, order_id: int) -> dict[str, Any] | None:
    return next((o for o in warehouse.orders() if o["reference"] == f"shop-{order_id}"), None)


def lines_of(order: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted((line["sku"], line["quantity"]) for line in order["lines"])


def records(hub: Hub, data_type: str, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"data_type": data_type, "limit": "500", **filters}.items())
    return hub.api(f"records?{query}")["items"]


# --- onboarding --------------------------------------------------------------------------------


def test_onboarding_passes_its_checks_and_registers_the_webhooks_which_the_shop_pings(realshop: RealShop, onboarded: Hub) -> None:
    hooks = our_webhooks(realshop, onboarded)
    assert sorted(h["topic"] for h in hooks) == sorted(TOPICS)  # one each, and active: the ping was answered
    assert onboarded.api("notices")["items"] == []  # onboarding at the start passed every check
    shop = onboarded.runtime.account.integration("shop")
    checks = onboarded.runtime.run(onboarded.runtime.account.plugins.onboard_check(shop))  # as `connect-hub onboard shop`
    assert [(c.name, c.ok) for c in checks if not c.ok] == []
    assert len(checks) >= 5 and any("9.9.5" in c.message for c in checks), [(c.name, c.message) for c in checks]
    ids = lambda: sorted((h["id"], h["status"]) for h in our_webhooks(realshop, onboarded))
    assert ids() == sorted((h["id"], h["status"]) for h in hooks)  # again: nothing added or replaced


# --- catalogue ---------------------------------------------------------------------------------


def test_the_catalogue_with_a_variable_product_reaches_the_hub(onboarded: Hub, catalogue: Catalogue) -> None:
    wanted = {f"sku:{catalogue.mug_sku}", f"sku:{catalogue.tee_sku}", *(f"sku:{catalogue.tee_sku}-{s}" for s in "SML")}
    wait_in(onboarded, lambda: wanted <= {r["key"] for r in records(onboarded, "products")}, "the products in the hub")
    onboarded.runtime.actors.poll.send("shop", "products")  # the poll adds the variations' parent SKU
    variation = lambda: next(r for r in records(onboarded, "products") if r["key"] == f"sku:{catalogue.tee_sku}-L")
    wait_in(onboarded, lambda: variation()["data"].get("parent_sku") == catalogue.tee_sku, "the variation's parent SKU")
    assert variation()["data"]["attributes"] == {"Size": "L"}


# --- orders ------------------------------------------------------------------------------------


def test_a_guest_order_reaches_the_warehouse_with_its_variation(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    order = place_order(realshop, catalogue, email="Guest.Buyer@Example.test")
    sent = wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the guest order at the warehouse")
    assert lines_of(sent) == sorted([(catalogue.mug_sku, 2), (f"{catalogue.tee_sku}-L", 1)])
    assert sent["create_requests"] == 1
    contacts = records(onboarded, "contacts")
    assert any(r["key"] == "email:guest.buyer@example.test" for r in contacts), [r["key"] for r in contacts]


def test_a_guest_who_registers_orders_again_as_the_same_contact(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    email = f"ben-{uuid.uuid4().hex[:6]}@example.test"
    as_guest = place_order(realshop, catalogue, email=email.upper(), lines=(("S", 1),), name=("Benjamin", "Meyer"))
    wait_in(onboarded, lambda: at_warehouse(warehouse, as_guest["id"]), "the guest order at the warehouse")
    customer = realshop.api("POST", "customers", json={"email": email, "first_name": "Ben", "last_name": "Meyer", "billing": {"first_name": "Ben", "last_name": "Meyer", "email": email, **ADDRESS}})
    order = place_order(realshop, catalogue, email=email, customer_id=customer["id"], lines=(("M", 2),), name=("Ben", "Meyer"))
    sent = wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the customer's order at the warehouse")
    assert lines_of(sent) == [(f"{catalogue.tee_sku}-M", 2)]
    assert sent["email"] == email
    linked = lambda: [r for r in records(onboarded, "contacts") if (r["data"].get("email") or "").lower() == email]
    wait_in(onboarded, lambda: any(r["data"].get("first_name") == "Ben" for r in linked()), "the customer's contact")
    assert len(linked()) == 1, linked()  # the guest, the customer and the order's billing are one contact
    assert linked()[0]["key"] == f"email:{email}"


def test_an_order_edited_before_it_ships_reaches_the_warehouse_updated(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    order = place_order(realshop, catalogue, email="editor@example.test")
    wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the order at the warehouse")
    mug_line = next(item for item in order["line_items"] if item["product_id"] == catalogue.mug["id"])
    realshop.api("PUT", f"orders/{order['id']}", json={"line_items": [{"id": mug_line["id"], "quantity": 5}]})
    realshop.deliver_webhooks()
    wait_in(onboarded, lambda: lines_of(at_warehouse(warehouse, order["id"])) == sorted([(catalogue.mug_sku, 5), (f"{catalogue.tee_sku}-L", 1)]), "the edited order at the warehouse")
    assert at_warehouse(warehouse, order["id"])["create_requests"] == 1


# --- shipments and stock -------------------------------------------------------------------------


def test_a_shipment_completes_the_order_with_exactly_one_customer_note(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    order = place_order(realshop, catalogue, email="parcel@example.test", lines=(("S", 1),))
    wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the order at the warehouse")
    realshop.clear_mails()
    httpx.post(f"{warehouse.url}/_sim/orders/shop-{order['id']}/ship", json={"carrier": "DHL", "tracking_code": "RS00012345", "tracking_url": "https://track.example/RS00012345"}).raise_for_status()
    in_shop(onboarded, lambda: realshop.api("GET", f"orders/{order['id']}")["status"] == "completed", "the order completed in the shop")
    notes = lambda: [n for n in realshop.api("GET", f"orders/{order['id']}/notes") if n["customer_note"] and "RS00012345" in n["note"]]
    in_shop(onboarded, notes, "the tracking note")
    realshop.deliver_webhooks()  # the shop's own order.updated comes back to the hub: no second note
    wait_in(onboarded, lambda: all(d["state"] in ("done", "skipped", "failed") for d in onboarded.deliveries(integration="shop", limit="500")), "the hub idle")
    assert len(notes()) == 1
    mails = [m for m in realshop.mails() if "parcel@example.test" in m["to"]]
    assert any("RS00012345" in m["message"] for m in mails), [m["subject"] for m in mails]


def test_stock_from_the_warehouse_reaches_a_product_and_a_variation(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    variation_stock = lambda size: realshop.api("GET", f"products/{catalogue.tee['id']}/variations/{catalogue.sizes[size]['id']}")["stock_quantity"]
    uncarried = {size: variation_stock(size) for size in "ML"}  # sizes the warehouse does not carry
    listed = httpx.post(f"{warehouse.url}/_sim/stock", json={catalogue.mug_sku: 40, f"{catalogue.tee_sku}-S": 30}).raise_for_status().json()
    available = {item["sku"]: item["quantity"] for item in listed}  # on hand less what open orders there hold
    mug, small = available[catalogue.mug_sku], available[f"{catalogue.tee_sku}-S"]
    assert mug != catalogue.mug["stock_quantity"] and small != catalogue.sizes["S"]["stock_quantity"]
    in_shop(onboarded, lambda: realshop.api("GET", f"products/{catalogue.mug['id']}")["stock_quantity"] == mug, "the mug's stock")
    in_shop(onboarded, lambda: realshop.api("GET", f"products/{catalogue.tee['id']}/variations/{catalogue.sizes['S']['id']}")["stock_quantity"] == small, "the variation's stock")
    assert {size: variation_stock(size) for size in "ML"} == uncarried  # never set to 0 or anything else


# --- customers ---------------------------------------------------------------------------------


def test_a_customer_updated_in_the_shop_updates_the_hubs_contact(realshop: RealShop, onboarded: Hub) -> None:
    email = f"cara-{uuid.uuid4().hex[:6]}@example.test"
    customer = realshop.api("POST", "customers", json={"email": email, "first_name": "Cara", "last_name": "Old"})
    realshop.deliver_webhooks()
    contact = lambda: next((r for r in records(onboarded, "contacts") if r["data"].get("email") == email), None)
    wait_in(onboarded, contact, "the new customer in the hub")
    realshop.api("PUT", f"customers/{customer['id']}", json={"last_name": "New", "billing": {"phone": "+49 30 1234567"}})
    realshop.deliver_webhooks()
    wait_in(onboarded, lambda: contact()["data"].get("last_name") == "New", "the updated contact")


# --- webhooks going wrong --------------------------------------------------------------------------


def test_a_webhook_the_shop_disabled_is_replaced_and_deliveries_resume(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    victim = next(h for h in our_webhooks(realshop, onboarded) if h["topic"] == "order.created")
    realshop.php(f"$w = wc_get_webhook( {victim['id']} ); $w->set_status( 'disabled' ); $w->set_failure_count( 7 ); $w->save(); return null;")
    onboarded.runtime.actors.maintain.send("shop")
    notices = wait_in(onboarded, lambda: [n for n in onboarded.api("notices")["items"] if "order.created" in n["message"]], "a notice about the webhook")
    assert notices[0]["kind"] == "webhook_recreated"
    active = [h for h in our_webhooks(realshop, onboarded) if h["topic"] == "order.created"]
    assert [h["status"] for h in active] == ["active"] and active[0]["id"] != victim["id"]
    order = place_order(realshop, catalogue, email="after-heal@example.test")
    wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "an order after the repair")


def orders_cursor(hub: Hub) -> tuple[Any, Any]:
    """The orders poll's cursor in the hub: (position, when the last complete poll began)."""
    from connect_hub.store.models import Cursor

    async def read() -> tuple[Any, Any]:
        cursor = await Cursor.get_or_none(account="acme", integration="shop", data_type="orders")
        assert cursor is None or cursor.last_error is None, f"the orders poll failed: {cursor.last_error}"
        return (cursor.position, cursor.polled_at) if cursor else (None, None)

    return hub.runtime.run(read())


def poll_orders(hub: Hub) -> tuple[Any, Any]:
    """Poll the orders now and wait for a poll begun after this call to complete (one already
    running leaves it to the next, so ask again while waiting)."""
    asked = datetime.now(UTC)

    def done() -> tuple[Any, Any] | None:
        cursor = orders_cursor(hub)
        if cursor[1] is not None and cursor[1] >= asked:
            return cursor
        hub.runtime.actors.poll.send("shop", "orders")
        time.sleep(0.5)
        return None

    return wait_in(hub, done, "an orders poll to complete")


def test_orders_whose_webhooks_were_lost_arrive_by_reconciliation(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    position, _ = poll_orders(onboarded)
    if position is None:  # no order in the shop yet: make one, so the next poll goes from a cursor
        place_order(realshop, catalogue, email="first@example.test")
        position, _ = poll_orders(onboarded)
    assert position  # the latest date_modified_gmt seen (GMT, while the shop's clock is in Berlin)
    order = realshop.api("POST", "orders", json={
        "status": "processing", "set_paid": True, "billing": {"first_name": "Lost", "last_name": "Hook", "email": "lost@example.test", **ADDRESS},
        "shipping": {"first_name": "Lost", "last_name": "Hook", **ADDRESS}, "line_items": [{"product_id": catalogue.mug["id"], "quantity": 1}],
    })
    realshop.php("as_unschedule_all_actions( 'woocommerce_deliver_webhook_async' ); return null;")  # the deliveries are lost
    realshop.deliver_webhooks()
    assert at_warehouse(warehouse, order["id"]) is None
    poll_orders(onboarded)
    sent = wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the order by reconciliation")
    assert lines_of(sent) == [(catalogue.mug_sku, 1)]


def test_an_order_cancelled_in_the_shop_before_it_ships_is_withdrawn_at_the_warehouse(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    order = place_order(realshop, catalogue, email="changed-mind@example.test", lines=(("mug", 1),))
    wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"]), "the order at the warehouse")
    realshop.api("PUT", f"orders/{order['id']}", json={"status": "cancelled"})
    realshop.deliver_webhooks()
    wait_in(onboarded, lambda: at_warehouse(warehouse, order["id"])["status"] == "cancelled", "the order cancelled at the warehouse")


def test_a_line_without_sku_fails_the_order_with_a_reason_naming_it(realshop: RealShop, onboarded: Hub, catalogue: Catalogue, warehouse: Warehouse) -> None:
    bare = realshop.api("POST", "products", json={"name": "Handmade card", "regular_price": "2.00"})
    order = realshop.api("POST", "orders", json={
        "status": "processing", "set_paid": True, "billing": {"first_name": "No", "last_name": "Sku", "email": "nosku@example.test", **ADDRESS},
        "shipping": {"first_name": "No", "last_name": "Sku", **ADDRESS},
        "line_items": [{"product_id": catalogue.mug["id"], "quantity": 1}, {"product_id": bare["id"], "quantity": 1}],
    })
    realshop.deliver_webhooks()
    reference = f"shop-{order['number']}"
    failed = wait_in(onboarded, lambda: [d for d in onboarded.deliveries(integration="warehouse", limit="500") if d["state"] == "failed" and reference in (d["last_error"] or "")], "the order's delivery failing")
    assert "Handmade card" in failed[0]["last_error"] and "no SKU" in failed[0]["last_error"]
    assert at_warehouse(warehouse, order["id"]) is None
