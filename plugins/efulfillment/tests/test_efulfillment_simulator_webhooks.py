"""The simulator's webhooks over real HTTP: a local receiver captures signed deliveries, and the
connector verifies and parses them. Picking delay, reservations, restocks, cancels, retries."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from connect_hub.canonical import Shipment, Stock
from connect_hub.contracts import Integration, RawEvent, Verdict, WebhookRequest
from connect_hub.simulator.server import bind
from connect_hub.simulator.server import serving as serving_on
from connect_hub_efulfillment import hooks
from connect_hub_efulfillment.manifest import MANIFEST
from connect_hub_efulfillment.simulator import (
    RunningSimulator,
    WarehouseState,
    running_simulator,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

KEY = "sim-key-3c9e"
SECRET = "whsec-test-77f1"
RETRY_DELAYS = (0.05, 0.05, 0.05)
ORDER = {"reference": "shop-1", "lines": [{"sku": "MUG-1", "quantity": 2, "name": "Mug"}]}


@contextlib.contextmanager
def serving(app, *, name: str):
    """Serve ``app`` on a free local port for the block; yields its URL."""
    sock, url = bind("127.0.0.1", 0, name)
    with serving_on(app, sock, name=name):
        yield url


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A stand-in for the hub: records every request, answers the queued statuses, then 200."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.requests.append(Received(dict(request.headers), body))
            status = self.answers.popleft() if self.answers else 200
        return Response(status_code=status)

    def events(self) -> list[str]:
        with self.lock:
            return [r.headers["x-warehouse-event"] for r in self.requests]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.answers.clear()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/webhooks/{name}", receiver.endpoint, methods=["POST"])])
    with serving(app, name="test receiver") as url:
        receiver.url = url
        yield receiver


@pytest.fixture(scope="module")
def simulator(receiver: Receiver) -> Iterator[RunningSimulator]:
    state = WarehouseState(
        webhooks=[(f"{receiver.url}/webhooks/warehouse", SECRET)], retry_delays=RETRY_DELAYS
    )
    with running_simulator(api_key=KEY, state=state) as sim:
        yield sim


@pytest.fixture
def warehouse(simulator: RunningSimulator, receiver: Receiver) -> RunningSimulator:
    simulator.state.reset()
    receiver.clear()
    return simulator


@pytest.fixture
def http(warehouse: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=warehouse.url, headers={"X-Api-Key": KEY}, timeout=5) as client:
        yield client


def integration(**changes: Any) -> Integration:
    return Integration(
        account="acme",
        name="warehouse",
        connector="efulfillment",
        preset="fulfilment",
        settings={"url": "http://unused", "api_key": KEY, "webhook_secret": SECRET},
        manifest=MANIFEST,
        flows=MANIFEST.flows_for("fulfilment"),
        **changes,
    )


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def received(receiver: Receiver, count: int) -> list[Received]:
    wait_for(lambda: len(receiver.requests) >= count, what=f"{count} deliveries")
    time.sleep(0.05)  # nothing more should arrive
    with receiver.lock:
        return list(receiver.requests)


def accepted(request: Received, hub: Integration | None = None) -> list[Any]:
    """Verify a captured delivery as the hub would, then parse it; the parsed objects."""
    hub = hub or integration()
    verdict = hooks.hub_webhook_verify(hub, WebhookRequest(request.headers, request.body))
    assert verdict.verdict == Verdict.ACCEPT, verdict.reason
    event = RawEvent(1, "warehouse", verdict.topic, request.headers, request.body, _now())
    return [(i.obj, i.external_id) for i in hooks.hub_webhook_parse(event)]


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_restock_sends_a_signed_stock_changed(http, receiver, warehouse):
    assert http.post("/_sim/stock", json={"MUG-1": 5}).status_code == 200

    [delivery] = received(receiver, 1)

    assert delivery.headers["x-warehouse-event"] == "stock.changed"
    assert delivery.headers["content-type"] == "application/json"
    assert uuid.UUID(delivery.headers["x-warehouse-delivery"])
    [(stock, external_id)] = accepted(delivery)
    assert isinstance(stock, Stock) and (stock.sku, stock.quantity) == ("MUG-1", 5)
    assert external_id == "MUG-1"
    [item] = http.get("/api/v1/stock").json()
    assert stock.modified_at.isoformat() == item["changed_at"]
    [logged] = wait_for(lambda: [d for d in http.get("/_sim/deliveries").json()
                                 if d["state"] == "delivered"])  # fmt: skip
    assert logged["id"] == delivery.headers["x-warehouse-delivery"]
    assert logged["event"] == "stock.changed" and logged["body"]["quantity"] == 5
    assert [a["status"] for a in logged["attempts"]] == [200]


def test_a_delivery_signed_with_another_secret_is_rejected(http, receiver, warehouse):
    http.post("/_sim/stock", json={"MUG-1": 5})
    [delivery] = received(receiver, 1)

    hub = integration(secret_key="hub-key")
    hub.settings = dict(hub.settings, webhook_secret=None)  # the derived secret differs
    verdict = hooks.hub_webhook_verify(hub, WebhookRequest(delivery.headers, delivery.body))

    assert verdict.verdict == Verdict.REJECT


def test_receiving_an_order_reserves_stock(http, receiver, warehouse):
    http.post("/_sim/stock", json={"MUG-1": 5})
    received(receiver, 1)

    assert http.post("/api/v1/orders", json=ORDER).status_code == 201
    assert http.post("/api/v1/orders", json=ORDER).status_code == 200  # a repeat reserves nothing

    deliveries = received(receiver, 2)
    assert len(deliveries) == 2
    [(stock, _)] = accepted(deliveries[1])
    assert stock.quantity == 3
    [item] = http.get("/api/v1/stock").json()
    assert (item["quantity"], item["on_hand"], item["reserved"]) == (3, 5, 2)


def test_an_order_for_a_sku_the_warehouse_does_not_carry_reports_no_stock(http, receiver, warehouse):
    http.post("/_sim/stock", json={"TEA-9": 4})
    received(receiver, 1)
    receiver.clear()

    http.post("/api/v1/orders", json=ORDER | {"lines": ORDER["lines"] + [{"sku": "TEA-9", "quantity": 1}]})

    [delivery] = received(receiver, 1)  # TEA-9 only: MUG-1 is no article here, so never "0"
    [(stock, _)] = accepted(delivery)
    assert (stock.sku, stock.quantity) == ("TEA-9", 3)
    assert [item["sku"] for item in http.get("/api/v1/stock").json()] == ["TEA-9"]


def test_a_received_order_can_be_changed_and_its_reservations_move(http, receiver, warehouse):
    http.post("/_sim/stock", json={"MUG-1": 10, "TEA-9": 4})
    http.post("/api/v1/orders", json=ORDER)
    received(receiver, 3)
    receiver.clear()
    changed = ORDER | {"lines": [{"sku": "TEA-9", "quantity": 3}], "shipping_address": {"name": "Ann", "city": "Delft"}}

    updated = http.put("/api/v1/orders/shop-1", json=changed)

    assert updated.status_code == 200
    assert updated.json()["lines"] == [{"sku": "TEA-9", "quantity": 3, "name": ""}]
    assert updated.json()["shipping_address"]["city"] == "Delft"
    stock = {item["sku"]: item["quantity"] for item in http.get("/api/v1/stock").json()}
    assert stock == {"MUG-1": 10, "TEA-9": 1}
    figures = {accepted(d)[0][0].sku: accepted(d)[0][0].quantity for d in received(receiver, 2)}
    assert figures == {"MUG-1": 10, "TEA-9": 1}


def test_an_order_cannot_be_changed_once_picking_started_or_shipped(http, receiver, warehouse):
    http.post("/api/v1/orders", json=ORDER)
    picking = http.post("/_sim/orders/shop-1/pick").json()
    assert picking["status"] == "picking" and picking["picking_started_at"]

    refused = http.put("/api/v1/orders/shop-1", json=ORDER | {"email": "new@example.test"})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_not_editable"
    assert "being picked" in refused.json()["error"]["message"]
    http.post("/_sim/orders/shop-1/ship")
    after_shipping = http.put("/api/v1/orders/shop-1", json=ORDER)
    assert after_shipping.status_code == 409 and "shipped" in after_shipping.json()["error"]["message"]
    assert http.put("/api/v1/orders/shop-1", json=ORDER | {"reference": "shop-2"}).status_code == 422


def test_picking_starts_by_itself_after_pick_after(http, warehouse):
    http.post("/_sim/config", json={"pick_after": 0.2})
    http.post("/api/v1/orders", json=ORDER)

    wait_for(lambda: http.get("/api/v1/orders/shop-1").json()["status"] == "picking", what="picking")
    assert http.put("/api/v1/orders/shop-1", json=ORDER).status_code == 409


def test_shipping_sends_order_shipped_then_stock_changed(http, receiver, warehouse):
    http.post("/_sim/stock", json={"MUG-1": 5, "TEA-9": 4})
    order = ORDER | {"lines": ORDER["lines"] + [{"sku": "TEA-9", "quantity": 1}]}
    http.post("/api/v1/orders", json=order)
    received(receiver, 4)
    receiver.clear()

    shipped = http.post(
        "/_sim/orders/shop-1/ship", json={"carrier": "DHL", "tracking_code": "JJD0001"}
    ).json()

    deliveries = received(receiver, 3)
    assert [d.headers["x-warehouse-event"] for d in deliveries] == [
        "order.shipped", "stock.changed", "stock.changed"
    ]  # fmt: skip
    [(shipment, external_id)] = accepted(deliveries[0])
    assert isinstance(shipment, Shipment)
    assert external_id == "WH-000001:JJD0001"
    assert (shipment.order_reference, shipment.carrier, shipment.tracking_code) == (
        "shop-1", "DHL", "JJD0001"
    )  # fmt: skip
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("MUG-1", 2), ("TEA-9", 1)]
    assert shipment.shipped_at.isoformat() == shipped["shipment"]["shipped_at"]
    assert shipped["shipment"]["tracking_url"] == "https://tracking.example/JJD0001"
    stock = {s.sku: s.quantity for d in deliveries[1:] for s, _ in accepted(d)}
    assert stock == {"MUG-1": 3, "TEA-9": 3}
    levels = {i["sku"]: (i["quantity"], i["on_hand"], i["reserved"])
              for i in http.get("/api/v1/stock").json()}  # fmt: skip
    assert levels == {"MUG-1": (3, 3, 0), "TEA-9": (3, 3, 0)}

    assert http.post("/_sim/orders/shop-1/ship").json()["status"] == "shipped"  # no change
    assert len(received(receiver, 3)) == 3


def test_made_up_tracking_when_none_is_given(http, receiver, warehouse):
    http.post("/_sim/stock", json={"MUG-1": 5})
    http.post("/api/v1/orders", json=ORDER)

    shipment = http.post("/_sim/orders/shop-1/ship").json()["shipment"]

    assert shipment["carrier"] == "PostNL"
    assert shipment["tracking_code"] == "3SSIM000000001"
    assert http.post("/_sim/orders/shop-1/ship", json={"colour": "red"}).status_code == 422
    received(receiver, 4)  # restock, reservation, shipped, stock after shipping


def test_an_order_ships_by_itself_after_ship_after(http, receiver, warehouse):
    assert http.post("/_sim/config", json={"ship_after": 0.3}).json()["ship_after"] == 0.3
    http.post("/_sim/stock", json={"MUG-1": 5})
    received(receiver, 1)
    receiver.clear()
    http.post("/api/v1/orders", json=ORDER)

    assert http.get("/api/v1/orders/shop-1").json()["status"] == "received"
    wait_for(lambda: http.get("/api/v1/orders/shop-1").json()["status"] == "shipped", what="ship")
    deliveries = received(receiver, 3)
    assert [d.headers["x-warehouse-event"] for d in deliveries] == [
        "stock.changed", "order.shipped", "stock.changed"
    ]  # fmt: skip


def test_a_cancelled_order_releases_stock_and_never_ships(http, receiver, warehouse):
    http.post("/_sim/config", json={"ship_after": 0.3})
    http.post("/_sim/stock", json={"MUG-1": 5})
    http.post("/api/v1/orders", json=ORDER)

    cancelled = http.post("/api/v1/orders/shop-1/cancel")
    again = http.post("/api/v1/orders/shop-1/cancel")

    assert cancelled.json()["status"] == again.json()["status"] == "cancelled"
    deliveries = received(receiver, 3)  # restock, reservation, release; the repeat sends none
    assert [accepted(d)[0][0].quantity for d in deliveries] == [5, 3, 5]
    time.sleep(0.5)
    assert http.get("/api/v1/orders/shop-1").json()["status"] == "cancelled"
    assert "order.shipped" not in receiver.events()
    refused = http.post("/_sim/orders/shop-1/ship")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "order_cancelled"


def test_a_failed_delivery_is_retried_with_the_same_id_and_signature(http, receiver, warehouse):
    receiver.answers.extend([500, 503])

    http.post("/_sim/stock", json={"MUG-1": 5})

    deliveries = received(receiver, 3)
    assert len(deliveries) == 3
    assert len({d.headers["x-warehouse-delivery"] for d in deliveries}) == 1
    assert len({d.headers["x-warehouse-signature"] for d in deliveries}) == 1
    [logged] = wait_for(lambda: [d for d in http.get("/_sim/deliveries").json()
                                 if d["state"] == "delivered"])  # fmt: skip
    assert [a["status"] for a in logged["attempts"]] == [500, 503, 200]


def test_a_delivery_fails_after_the_last_retry(http, receiver, warehouse):
    receiver.answers.extend([500] * 10)

    http.post("/_sim/stock", json={"MUG-1": 5})

    [logged] = wait_for(lambda: [d for d in http.get("/_sim/deliveries").json()
                                 if d["state"] == "failed"])  # fmt: skip
    assert [a["status"] for a in logged["attempts"]] == [500] * (1 + len(RETRY_DELAYS))
    assert len(receiver.requests) == 1 + len(RETRY_DELAYS)


def test_an_unreachable_subscriber_fails_with_the_error(http, warehouse):
    with serving(Starlette(), name="gone") as gone:
        pass
    http.post(
        "/_sim/webhooks", json={"url": f"{gone}/hook", "secret": "s", "events": ["stock.changed"]}
    )

    http.post("/_sim/stock", json={"MUG-1": 5})

    [logged] = wait_for(lambda: [d for d in http.get("/_sim/deliveries").json()
                                 if d["url"].startswith(gone) and d["state"] == "failed"])  # fmt: skip
    assert all(a["status"] is None and "ConnectError" in a["error"] for a in logged["attempts"])


def test_subscriptions_through_the_api(simulator, http, warehouse):
    url = "https://hub.example/webhooks/warehouse"
    subscription = {"url": url, "secret": "s1", "events": ["order.shipped"]}

    assert httpx.post(f"{simulator.url}/api/v1/webhooks", json=subscription).status_code == 401
    created = http.post("/api/v1/webhooks", json=subscription)
    updated = http.post("/api/v1/webhooks", json=subscription | {"secret": "s2"})

    assert created.status_code == 201 and updated.status_code == 200
    assert created.json()["id"] == updated.json()["id"]
    assert "secret" not in created.json()
    listed = http.get("/api/v1/webhooks").json()
    assert [(s["url"], s["events"]) for s in listed] == [
        (f"{warehouse_hook(simulator)}", ["stock.changed", "order.shipped"]),
        (url, ["order.shipped"]),
    ]
    assert all("secret" not in s for s in listed)
    for bad in ({"url": "ftp://x", "secret": "s"}, {"url": url, "secret": ""},
                {"url": url, "secret": "s", "events": ["order.eaten"]},
                {"url": url, "secret": "s", "colour": "red"}):  # fmt: skip
        refused = http.post("/api/v1/webhooks", json=bad)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "invalid_subscription"


def warehouse_hook(simulator: RunningSimulator) -> str:
    [first, *_] = simulator.state.webhooks.subscriptions()
    return first["url"]


def test_the_subscriptions_answer_faults_like_the_rest_of_the_api(http, warehouse):
    http.post(
        "/_sim/faults", json={"status": 429, "retry_after": 2, "path_prefix": "/api/v1/webhooks"}
    )

    limited = http.get("/api/v1/webhooks")

    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert http.get("/api/v1/webhooks").status_code == 200


def test_reset_restores_the_configured_subscription_and_stops_timers(http, receiver, warehouse):
    http.post("/_sim/config", json={"ship_after": 0.2, "retry_delays": [5]})
    http.delete("/_sim/webhooks")
    http.post("/api/v1/orders", json=ORDER)

    assert http.post("/_sim/reset").status_code == 204
    http.post("/api/v1/orders", json=ORDER)  # the same reference again, after the reset

    assert http.get("/_sim/config").json() == {
        "ship_after": 0.0,
        "pick_after": 0.0,
        "retry_delays": list(RETRY_DELAYS),
    }
    assert len(http.get("/_sim/webhooks").json()) == 1
    time.sleep(0.4)
    assert http.get("/api/v1/orders/shop-1").json()["status"] == "received"
    assert receiver.events() == []  # MUG-1 is no article of this warehouse: no stock to report


def test_invalid_config_is_422(http, warehouse):
    assert http.post("/_sim/config", json={"ship_after": -1}).status_code == 422
    assert http.post("/_sim/config", json={"retry_delays": 3}).status_code == 422
    assert http.post("/_sim/config", json={"colour": "red"}).status_code == 422


async def test_the_connector_onboards_and_receives_from_the_simulator(receiver):
    """The loop's warehouse side end to end: onboarding subscribes with the derived secret."""
    with running_simulator(api_key=KEY) as sim:
        hub = integration(public_url=receiver.url, secret_key="hub-key-e2e")
        hub.settings = {"url": sim.url, "api_key": KEY}
        receiver.clear()

        checks = await hooks.hub_onboard_check(hub)
        await hooks.hub_integration_stop(hub)
        sim.state.set_stock({"MUG-1": 7})

        assert all(c.ok for c in checks), checks
        [delivery] = received(receiver, 1)
        [(stock, _)] = accepted(delivery, hub)
        assert (stock.sku, stock.quantity) == ("MUG-1", 7)
