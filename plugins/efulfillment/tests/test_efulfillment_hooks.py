"""The connector's hooks against the real simulator, and through the plugin entry point."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import entry_points

import httpx
import pytest
from connect_hub import ENTRY_POINT_GROUP
from connect_hub.canonical import Address, Order, OrderLine, OrderStatus, Stock
from connect_hub.contracts import ExportAction, ExportRequest, Integration, RawEvent
from connect_hub.errors import PermanentError, TransientError
from connect_hub.manifest import DataType, Direction
from connect_hub_efulfillment import hooks
from connect_hub_efulfillment.client import WarehouseClient
from connect_hub_efulfillment.manifest import MANIFEST
from connect_hub_efulfillment.simulator import RunningSimulator, running_simulator

KEY = "wh-key-4b1d"
HUB_URL = "https://hub.example"
HUB_SECRET_KEY = "hub-secret-key-0e7c"


@pytest.fixture(scope="module")
def simulator():
    with running_simulator(api_key=KEY) as sim:
        yield sim


@pytest.fixture
def warehouse(simulator: RunningSimulator) -> RunningSimulator:
    simulator.state.reset()
    return simulator


def make_integration(url: str, **settings) -> Integration:
    return Integration(
        account="acme",
        name="warehouse",
        connector="efulfillment",
        preset="fulfilment",
        settings={"url": url, "api_key": KEY} | settings,
        manifest=MANIFEST,
        flows=MANIFEST.flows_for("fulfilment"),
        public_url=HUB_URL,
        secret_key=HUB_SECRET_KEY,
    )


@pytest.fixture
async def integration(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url, timeout=2)
    hooks.hub_integration_start(integration)
    yield integration
    await hooks.hub_integration_stop(integration)


def make_order(
    status: OrderStatus = OrderStatus.PROCESSING, reference: str = "shop-1042", *, quantity: int = 2, city: str = "Utrecht"
) -> Order:
    return Order(
        reference=reference,
        source="shop",
        number="1042",
        status=status,
        currency="EUR",
        total=Decimal(20),
        email="ann@example.com",
        shipping=Address(first_name="Ann", city=city),
        lines=[OrderLine(sku="MUG-1", name="Mug", quantity=quantity)],
    )


def export(order: Order, external_id: str | None = None) -> ExportRequest:
    return ExportRequest(
        data_type=DataType.ORDERS,
        record_id=1,
        version=1,
        obj=order,
        external_id=external_id,
        last_export_hash=None,
    )


def test_the_entry_point_loads_these_hooks():
    [entry] = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == "efulfillment"]
    assert entry.load() is hooks
    assert hooks.hub_connector_manifest() is MANIFEST


def test_manifest_preset_and_settings():
    assert MANIFEST.default_preset == "fulfilment"
    assert {
        (f.data_type, f.direction, f.timeframe, f.reconcile) for f in MANIFEST.flows_for(None)
    } == {
        (DataType.ORDERS, Direction.EXPORT, "realtime", None),
        (DataType.STOCKS, Direction.IMPORT, "realtime", "15m"),
        (DataType.SHIPMENTS, Direction.IMPORT, "realtime", None),
    }
    webhook_secret = MANIFEST.setting("webhook_secret")
    assert webhook_secret.secret and not webhook_secret.required
    assert MANIFEST.setting("api_key").secret and MANIFEST.setting("url").required
    assert MANIFEST.setting("send_statuses").default == ["processing"]
    assert not MANIFEST.setting("timeout").required


async def test_start_and_stop_manage_one_shared_client(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url)

    hooks.hub_integration_start(integration)
    client = integration.resources["client"]
    assert isinstance(client, WarehouseClient)
    await hooks.hub_export(integration, export(make_order()))
    assert integration.resources["client"] is client

    await hooks.hub_integration_stop(integration)
    assert "client" not in integration.resources


async def test_export_creates_the_order_once(integration, warehouse: RunningSimulator):
    result = await hooks.hub_export(integration, export(make_order()))

    [order] = warehouse.state.orders_with_create_requests()
    assert result.external_id == order["id"] == "WH-000001"
    assert result.skipped is None
    assert order["reference"] == "shop-1042"
    assert order["email"] == "ann@example.com"
    assert order["lines"] == [{"sku": "MUG-1", "quantity": 2, "name": "Mug"}]
    assert order["create_requests"] == 1


async def test_a_retry_returns_the_same_external_id_and_writes_nothing(integration, warehouse: RunningSimulator):
    first = await hooks.hub_export(integration, export(make_order()))
    again = await hooks.hub_export(integration, export(make_order(), first.external_id))

    assert (first.action, again.action) == (ExportAction.CREATED, ExportAction.UNCHANGED)
    assert again.external_id == first.external_id
    [order] = warehouse.state.orders_with_create_requests()
    assert order["create_requests"] == 1


async def test_a_retry_after_the_caller_timed_out_mid_create(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url, timeout=0.2)
    await _add_fault(warehouse, {"delay_after_create": 0.5, "method": "POST"})

    with pytest.raises(TransientError, match="timed out"):
        await hooks.hub_export(integration, export(make_order()))
    assert [o["reference"] for o in warehouse.state.list_orders()] == ["shop-1042"]

    result = await hooks.hub_export(integration, export(make_order()))
    await hooks.hub_integration_stop(integration)

    [order] = warehouse.state.orders_with_create_requests()
    assert (result.external_id, result.action) == (order["id"], ExportAction.UNCHANGED)
    assert order["create_requests"] == 1  # the retry found it: no second create
    await _until_logged(warehouse, "POST")  # the timed-out create's answer, before the next test resets the log


async def _until_logged(warehouse: RunningSimulator, method: str, timeout: float = 10.0) -> None:
    """Wait until the simulator has logged a ``method`` request (a delayed answer logs late)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(r["method"] == method for r in warehouse.state.logged_requests()):
        assert asyncio.get_running_loop().time() < deadline, f"no {method} logged within {timeout}s"
        await asyncio.sleep(0.02)


async def test_a_lazily_made_client_works_without_start(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url)

    result = await hooks.hub_export(integration, export(make_order()))

    assert result.external_id == "WH-000001"
    await hooks.hub_integration_stop(integration)


async def test_an_order_changed_while_received_is_updated_at_the_warehouse(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    bigger = make_order(quantity=5, city="Delft")

    result = await hooks.hub_export(integration, export(bigger, first.external_id))

    assert (result.external_id, result.action) == (first.external_id, ExportAction.UPDATED)
    [held] = warehouse.state.list_orders()
    assert held["lines"][0]["quantity"] == 5 and held["shipping_address"]["city"] == "Delft"
    assert (await hooks.hub_export(integration, export(bigger, first.external_id))).action == ExportAction.UNCHANGED


async def test_a_change_once_picking_started_fails_with_what_to_do(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    warehouse.state.start_picking("shop-1042")

    with pytest.raises(PermanentError) as refused:
        await hooks.hub_export(integration, export(make_order(quantity=5), first.external_id))

    assert str(refused.value) == (
        "the warehouse is already picking order shop-1042 (WH-000001), so the change (the lines) "
        "cannot reach it: change it in the warehouse's portal or ask the warehouse"
    )
    assert warehouse.state.list_orders()[0]["lines"][0]["quantity"] == 2


async def test_a_change_after_shipping_fails_naming_the_parcel(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    warehouse.state.ship_order("shop-1042")

    with pytest.raises(PermanentError, match="after the warehouse shipped it as WH-000001"):
        await hooks.hub_export(integration, export(make_order(city="Delft"), first.external_id))


async def test_a_completed_order_the_warehouse_holds_as_it_is_is_unchanged(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    warehouse.state.ship_order("shop-1042")

    result = await hooks.hub_export(integration, export(make_order(OrderStatus.COMPLETED), first.external_id))

    assert (result.external_id, result.action) == (first.external_id, ExportAction.UNCHANGED)


async def test_a_completed_order_with_other_lines_than_shipped_fails_saying_so(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    warehouse.state.ship_order("shop-1042")

    with pytest.raises(PermanentError, match="changed \\(the lines\\) after the warehouse shipped it as WH-000001"):
        await hooks.hub_export(integration, export(make_order(OrderStatus.COMPLETED, quantity=3), first.external_id))


async def test_a_refund_before_shipping_cancels_at_the_warehouse_and_after_shipping_changes_nothing(integration, warehouse):
    first = await hooks.hub_export(integration, export(make_order()))
    refunded = await hooks.hub_export(integration, export(make_order(OrderStatus.REFUNDED), first.external_id))
    assert refunded.action == ExportAction.UPDATED
    assert warehouse.state.get_order("shop-1042")["status"] == "cancelled"

    other = await hooks.hub_export(integration, export(make_order(reference="shop-7")))
    warehouse.state.ship_order("shop-7")
    late = await hooks.hub_export(integration, export(make_order(OrderStatus.REFUNDED, reference="shop-7"), other.external_id))
    assert late.skipped == f"order shop-7 was refunded after the warehouse shipped it as {other.external_id}: nothing to change there"


async def test_a_status_not_sent_is_skipped_with_the_status(integration, warehouse):
    result = await hooks.hub_export(integration, export(make_order(OrderStatus.PENDING)))

    assert result.skipped == "order status pending is not sent to the warehouse"
    assert result.external_id is None
    assert warehouse.state.logged_requests() == []


async def test_send_statuses_is_a_setting(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url, send_statuses=["processing", "on_hold"])

    result = await hooks.hub_export(integration, export(make_order(OrderStatus.ON_HOLD)))
    await hooks.hub_integration_stop(integration)

    assert result.external_id == "WH-000001"


async def test_a_cancelled_order_is_cancelled_at_the_warehouse(integration, warehouse):
    created = await hooks.hub_export(integration, export(make_order()))

    result = await hooks.hub_export(
        integration, export(make_order(OrderStatus.CANCELLED), created.external_id)
    )
    again = await hooks.hub_export(
        integration, export(make_order(OrderStatus.CANCELLED), created.external_id)
    )

    assert result.external_id == again.external_id == created.external_id
    assert warehouse.state.get_order("shop-1042")["status"] == "cancelled"
    cancels = [r for r in warehouse.state.logged_requests() if r["path"].endswith("/cancel")]
    assert len(cancels) == 1  # the repeat saw it cancelled already


async def test_a_cancelled_order_the_warehouse_never_had_is_skipped(integration, warehouse):
    result = await hooks.hub_export(integration, export(make_order(OrderStatus.CANCELLED)))

    assert result.skipped == "order shop-1042 was cancelled before it reached the warehouse"
    assert warehouse.state.list_orders() == []


async def test_a_cancelled_order_already_shipped_fails(integration, warehouse):
    await hooks.hub_export(integration, export(make_order()))
    warehouse.state.ship_order("shop-1042")

    with pytest.raises(PermanentError, match="already shipped it as WH-000001"):
        await hooks.hub_export(integration, export(make_order(OrderStatus.CANCELLED)))
    assert warehouse.state.get_order("shop-1042")["status"] == "shipped"


async def test_a_500_fault_is_transient(integration, warehouse: RunningSimulator):
    await _add_fault(warehouse, {"status": 500, "count": 1, "path_prefix": "/api/v1/orders"})

    with pytest.raises(TransientError, match="500"):
        await hooks.hub_export(integration, export(make_order()))
    assert warehouse.state.list_orders() == []

    result = await hooks.hub_export(integration, export(make_order()))
    assert result.external_id == "WH-000001"


async def test_a_429_fault_carries_retry_after(integration, warehouse: RunningSimulator):
    await _add_fault(warehouse, {"status": 429, "retry_after": 3})

    with pytest.raises(TransientError) as caught:
        await hooks.hub_export(integration, export(make_order()))

    assert caught.value.retry_after == 3


async def test_other_data_types_are_permanent_errors(integration):
    request = ExportRequest(
        data_type=DataType.STOCKS,
        record_id=1,
        version=1,
        obj=Stock(sku="MUG-1", quantity=3),
        external_id=None,
        last_export_hash=None,
    )

    with pytest.raises(PermanentError, match="takes no stocks export"):
        await hooks.hub_export(integration, request)


async def test_onboard_check_passes_and_registers_the_webhook(integration, warehouse):
    checks = await hooks.hub_onboard_check(integration)
    again = await hooks.hub_onboard_check(integration)

    assert [(c.name, c.ok) for c in checks] == [
        ("warehouse reachable", True),
        ("api key accepted", True),
        ("webhook registered", True),
    ]
    assert checks[2].message == (
        "The warehouse sends stock.changed, order.shipped to https://hub.example/webhooks/warehouse."
    )
    assert again == checks
    [subscription] = warehouse.state.webhooks.subscriptions()  # idempotent by url
    assert subscription["url"] == "https://hub.example/webhooks/warehouse"
    assert subscription["events"] == ["stock.changed", "order.shipped"]


async def test_onboard_check_wrong_key(warehouse: RunningSimulator):
    integration = make_integration(warehouse.url, api_key="wrong-key-123")

    checks = await hooks.hub_onboard_check(integration)
    await hooks.hub_integration_stop(integration)

    assert [(c.name, c.ok) for c in checks] == [
        ("warehouse reachable", True),
        ("api key accepted", False),
    ]
    assert "401" in checks[1].message
    assert all("wrong-key-123" not in c.message for c in checks)


async def test_onboard_check_unreachable():
    with running_simulator(api_key=KEY) as gone:
        url = gone.url
    integration = make_integration(url, timeout=1)

    checks = await hooks.hub_onboard_check(integration)
    await hooks.hub_integration_stop(integration)

    assert [(c.name, c.ok) for c in checks] == [("warehouse reachable", False)]
    assert "Cannot reach" in checks[0].message


async def test_onboard_check_wrong_path(warehouse: RunningSimulator):
    integration = make_integration(f"{warehouse.url}/api/v1")

    [check] = await hooks.hub_onboard_check(integration)
    await hooks.hub_integration_stop(integration)

    assert not check.ok and "404" in check.message and "without /api/v1" in check.message


async def _add_fault(warehouse: RunningSimulator, fault: dict) -> None:
    """Queue a fault through the control route, as a test of the core would."""
    async with httpx.AsyncClient(base_url=warehouse.url) as http:
        response = await http.post("/_sim/faults", json=fault)
        assert response.status_code == 201


HOOK_URL = f"{HUB_URL}/webhooks/warehouse"


async def test_maintain_is_quiet_while_the_subscription_exists(integration, warehouse):
    await hooks.hub_onboard_check(integration)

    assert await hooks.hub_maintain(integration) == []
    assert [r["method"] for r in warehouse.state.logged_requests()
            if r["path"] == "/api/v1/webhooks"] == ["POST", "GET"]  # fmt: skip


async def test_maintain_recreates_a_missing_subscription(integration, warehouse):
    await hooks.hub_onboard_check(integration)
    async with httpx.AsyncClient(base_url=warehouse.url) as http:  # the warehouse lost it
        (await http.delete("/_sim/webhooks")).raise_for_status()

    [notice] = await hooks.hub_maintain(integration)

    assert notice.kind == "webhook_recreated"
    assert HOOK_URL in notice.message and "stock reconciliation" in notice.message
    [subscription] = warehouse.state.webhooks.subscriptions()
    assert subscription["url"] == HOOK_URL
    assert subscription["events"] == ["stock.changed", "order.shipped"]
    assert await hooks.hub_maintain(integration) == []


async def test_maintain_repairs_a_subscription_missing_an_event(integration, warehouse):
    warehouse.state.webhooks.subscribe(HOOK_URL, "old-secret", ["stock.changed"])

    [notice] = await hooks.hub_maintain(integration)

    assert notice.kind == "webhook_repaired"
    assert "sent only stock.changed" in notice.message
    [subscription] = warehouse.state.webhooks.subscriptions()
    assert subscription["events"] == ["stock.changed", "order.shipped"]


async def test_maintain_reports_a_warehouse_it_cannot_reach(integration, warehouse):
    await _add_fault(warehouse, {"status": 503, "count": -1})

    [notice] = await hooks.hub_maintain(integration)

    assert notice.kind == "webhook_check_failed" and "503" in notice.message
    assert KEY not in notice.message


async def test_without_a_secret_onboarding_and_maintenance_say_what_to_set(warehouse):
    integration = make_integration(warehouse.url)
    integration.secret_key = ""

    checks = await hooks.hub_onboard_check(integration)
    notices = await hooks.hub_maintain(integration)
    await hooks.hub_integration_stop(integration)

    assert (checks[2].name, checks[2].ok) == ("webhook registered", False)
    assert "CONNECT_HUB_SECRET_KEY" in checks[2].message
    assert [n.kind for n in notices] == ["webhook_not_configured"]
    assert warehouse.state.webhooks.subscriptions() == []


async def test_a_configured_webhook_secret_is_the_one_registered(warehouse):
    integration = make_integration(warehouse.url, webhook_secret="whsec-configured")

    await hooks.hub_onboard_check(integration)
    await hooks.hub_integration_stop(integration)
    warehouse.state.set_stock({"MUG-1": 1})

    deliveries = warehouse.state.webhooks.deliveries()
    assert [d["url"] for d in deliveries] == [HOOK_URL]  # it tries to deliver to the hub URL


async def test_poll_pages_through_the_whole_stock_list(integration, warehouse):
    warehouse.state.set_stock({f"SKU-{n:03d}": n for n in range(250)} | {"MUG-1": 3})
    await hooks.hub_export(integration, export(make_order()))  # reserves 2 MUG-1

    pages = [page async for page in hooks.hub_poll(integration, DataType.STOCKS)]

    assert [len(page.items) for page in pages] == [100, 100, 51]
    assert {page.cursor for page in pages} == {None}
    bodies = [json.loads(item.body) for page in pages for item in page.items]
    assert bodies[0]["sku"] == "MUG-1" and bodies[0]["quantity"] == 1
    assert bodies[-1]["sku"] == "SKU-249" and bodies[-1]["quantity"] == 249
    assert all(set(body) == {"sku", "quantity", "changed_at"} for body in bodies)
    received = datetime.now(UTC)
    event = RawEvent(1, "warehouse", "stock.changed", {}, pages[2].items[-1].body, received)
    [incoming] = hooks.hub_webhook_parse(event)
    assert (incoming.obj.sku, incoming.obj.quantity, incoming.external_id) == (
        "SKU-249", 249, "SKU-249"
    )  # fmt: skip
    assert incoming.obj.modified_at < received
    pages = [r["query"] for r in warehouse.state.logged_requests() if r["path"] == "/api/v1/stock"]
    assert pages == [f"page={n}&per_page=100" for n in (1, 2, 3)]


def test_only_stock_is_polled(integration):
    assert hooks.hub_poll(integration, DataType.SHIPMENTS) is None


async def test_a_cancel_that_races_with_shipping_fails_loudly(integration, warehouse):
    created = await hooks.hub_export(integration, export(make_order()))
    await _add_fault(warehouse, {"delay": 0.4, "path_prefix": "/api/v1/orders/shop-1042/cancel"})

    cancelling = asyncio.create_task(
        hooks.hub_export(
            integration, export(make_order(OrderStatus.CANCELLED), created.external_id)
        )
    )
    await asyncio.sleep(0.15)  # the cancellation is on its way; the floor ships meanwhile
    warehouse.state.ship_order("shop-1042")

    with pytest.raises(PermanentError, match="while the cancellation was on its way") as caught:
        await cancelling
    assert "arrange a return" in str(caught.value) and "WH-000001" in str(caught.value)
    assert warehouse.state.get_order("shop-1042")["status"] == "shipped"


def first_try(order: Order, external_id: str | None = None) -> ExportRequest:
    return dataclasses.replace(export(order, external_id), attempt=1)


async def test_a_first_try_creates_the_order_with_one_request(integration, warehouse: RunningSimulator):
    result = await hooks.hub_export(integration, first_try(make_order()))

    assert (result.external_id, result.action) == ("WH-000001", ExportAction.CREATED)
    assert [(r["method"], r["path"]) for r in warehouse.state.logged_requests()] == [("POST", "/api/v1/orders")]


async def test_a_first_try_of_an_order_the_warehouse_has_writes_nothing_and_says_unchanged(integration, warehouse: RunningSimulator):
    first = await hooks.hub_export(integration, export(make_order()))
    again = await hooks.hub_export(integration, first_try(make_order()))

    assert (again.external_id, again.action) == (first.external_id, ExportAction.UNCHANGED)
    [order] = warehouse.state.orders_with_create_requests()
    assert order["create_requests"] == 2  # the create answered with the order it had
    assert order["email"] == "ann@example.com"


async def test_a_first_try_of_a_changed_order_the_warehouse_has_updates_it(integration, warehouse: RunningSimulator):
    await hooks.hub_export(integration, export(make_order()))
    again = await hooks.hub_export(integration, first_try(make_order(quantity=3)))

    assert again.action == ExportAction.UPDATED
    assert warehouse.state.get_order("shop-1042")["lines"][0]["quantity"] == 3
