"""The WooCommerce sandbox's webhooks over real HTTP: ping, signature, merging, disabling."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from connect_hub.contracts import Verdict
from connect_hub_woocommerce.sandbox import ApiKey, RunningSandbox, running_sandbox, signed_url
from connect_hub_woocommerce.webhooks import verify

KEY = ApiKey("ck_test", "cs_test")
SECRET = "hook-secret"


class Receiver:
    """A webhook receiver on a free port: records every request, answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def deliveries(self, topic: str | None = None) -> list[tuple[dict[str, str], Any]]:
        """Signed deliveries (not pings), bodies decoded, optionally of one topic."""
        return [
            (headers, json.loads(body))
            for headers, body in self.requests
            if "x-wc-webhook-topic" in headers
            and (topic is None or headers["x-wc-webhook-topic"] == topic)
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(keys=[KEY], queue_interval=None, delivery_timeout=5) as running:
        yield running


@pytest.fixture
def shop(sandbox: RunningSandbox) -> Iterator[Shop]:
    sandbox.state.reset()
    sandbox.state.seed()
    with httpx.Client(timeout=10) as client:
        yield Shop(sandbox, client)


class Shop:
    """Signed REST calls and the control routes."""

    def __init__(self, sandbox: RunningSandbox, client: httpx.Client):
        self.sandbox = sandbox
        self.client = client

    def call(self, method: str, path: str, json: object = None) -> httpx.Response:
        url = signed_url(method, f"{self.sandbox.url}/wp-json/wc/v3{path}", "ck_test", "cs_test")
        return self.client.request(method, url, json=json)

    def hook(self, topic: str, url: str) -> dict[str, Any]:
        body = {"name": topic, "topic": topic, "delivery_url": url, "secret": SECRET}
        response = self.call("POST", "/webhooks", body)
        assert response.status_code == 201
        return response.json()

    def product_id(self, sku: str) -> int:
        return self.call("GET", f"/products?sku={sku}").json()[0]["id"]

    def run_queue(self) -> list[dict[str, Any]]:
        return self.client.post(f"{self.sandbox.url}/_sandbox/run-queue").json()["sent"]

    def order(self, **body: Any) -> dict[str, Any]:
        body = {"lines": [{"sku": "MUG-1", "quantity": 1}], "email": "jane@example.test", **body}
        body = {key: value for key, value in body.items() if value is not None}
        response = self.client.post(f"{self.sandbox.url}/_sandbox/orders", json=body)
        assert response.status_code == 201
        return response.json()

    def webhook_state(self, webhook_id: int) -> dict[str, Any]:
        webhooks = self.client.get(f"{self.sandbox.url}/_sandbox/state").json()["webhooks"]
        return next(w for w in webhooks if w["id"] == webhook_id)


def test_creation_pings_synchronously_and_hides_the_secret(shop: Shop, receiver: Receiver):
    webhook = shop.hook("order.created", receiver.url)

    assert "secret" not in webhook
    assert webhook["status"] == "active"
    assert webhook["hooks"] == ["woocommerce_new_order"]
    assert webhook["date_modified"] is None
    [(headers, body)] = receiver.requests
    assert body == f"webhook_id={webhook['id']}".encode()
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert not any(name.startswith("x-wc-") for name in headers)
    [logged] = shop.client.get(f"{shop.sandbox.url}/_sandbox/deliveries").json()
    assert logged["kind"] == "ping"
    assert logged["status"] == 200


def test_a_delivery_is_signed_and_verifies(shop: Shop, receiver: Receiver):
    webhook = shop.hook("order.updated", receiver.url)
    order = shop.order()
    assert receiver.deliveries() == []  # asynchronous: nothing until the queue runs

    [sent] = shop.run_queue()

    assert sent["status"] == 200
    [(headers, body)] = receiver.deliveries()
    raw = receiver.requests[-1][1]
    assert verify(SECRET, headers, raw).verdict is Verdict.ACCEPT
    assert b"\\/" in raw  # PHP's escaped slashes
    assert headers["x-wc-webhook-source"] == f"{shop.sandbox.url}/"
    assert headers["x-wc-webhook-topic"] == "order.updated"
    assert headers["x-wc-webhook-resource"] == "order"
    assert headers["x-wc-webhook-event"] == "updated"
    assert headers["x-wc-webhook-id"] == str(webhook["id"])
    assert body["id"] == order["id"]
    assert body["status"] == "processing"


def test_post_orders_sends_created_and_updated(shop: Shop, receiver: Receiver):
    shop.hook("order.created", receiver.url)
    shop.hook("order.updated", receiver.url)
    created = shop.call(
        "POST", "/orders", {"line_items": [{"product_id": shop.product_id("MUG-1"), "quantity": 1}]}
    )
    shop.run_queue()
    topics = sorted(h["x-wc-webhook-topic"] for h, _ in receiver.deliveries())
    assert topics == ["order.created", "order.updated"]
    assert {b["id"] for _, b in receiver.deliveries()} == {created.json()["id"]}
    delivery_ids = {h["x-wc-webhook-delivery-id"] for h, _ in receiver.deliveries()}
    assert len(delivery_ids) == 2


def test_changes_before_the_queue_runs_merge_and_the_body_is_built_at_send_time(
    shop: Shop, receiver: Receiver
):
    shop.hook("product.updated", receiver.url)
    mug = shop.product_id("MUG-1")
    for stock in (30, 20, 10):
        assert shop.call("PUT", f"/products/{mug}", {"stock_quantity": stock}).status_code == 200
    shop.sandbox.state.products.set_stock_by_sku({"MUG-1": 7})  # after the events were queued

    shop.run_queue()

    [(_, body)] = receiver.deliveries("product.updated")
    assert body["id"] == mug
    assert body["stock_quantity"] == 7


def test_a_variation_change_arrives_as_product_updated_with_its_id(shop: Shop, receiver: Receiver):
    shop.hook("product.updated", receiver.url)
    shirt, small = shop.product_id("TSHIRT"), shop.product_id("TSHIRT-S")
    shop.call("PUT", f"/products/{shirt}/variations/{small}", {"stock_quantity": 9})
    shop.run_queue()
    [(headers, body)] = receiver.deliveries()
    assert headers["x-wc-webhook-resource"] == "product"
    assert body["id"] == small
    assert body["type"] == "variation"
    assert body["parent_id"] == shirt
    assert body["name"] == "T-Shirt - S"


def test_seven_failures_disable_and_reenabling_keeps_the_count_at_six(
    shop: Shop, receiver: Receiver
):
    webhook = shop.hook("product.updated", receiver.url)
    receiver.status = 500
    mug = shop.product_id("MUG-1")

    def change_and_run(stock: int) -> list[dict[str, Any]]:
        shop.call("PUT", f"/products/{mug}", {"stock_quantity": stock})
        return shop.run_queue()

    for attempt in range(1, 7):
        [sent] = change_and_run(attempt)
        assert sent["status"] == 500
        hook = shop.webhook_state(webhook["id"])
        assert (hook["status"], hook["failure_count"]) == ("active", attempt)
    change_and_run(7)
    assert shop.call("GET", f"/webhooks/{webhook['id']}").json()["status"] == "disabled"
    assert shop.webhook_state(webhook["id"])["failure_count"] == 6
    assert change_and_run(8) == []  # lost while disabled

    requests_before = len(receiver.requests)
    reenabled = shop.call("PUT", f"/webhooks/{webhook['id']}", {"status": "active"})
    assert reenabled.json()["status"] == "active"
    assert len(receiver.requests) == requests_before  # no ping
    assert shop.webhook_state(webhook["id"])["failure_count"] == 6
    [sent] = change_and_run(9)
    assert sent["status"] == 500
    assert shop.webhook_state(webhook["id"])["status"] == "disabled"

    shop.call("PUT", f"/webhooks/{webhook['id']}", {"status": "active"})
    receiver.status = 200
    change_and_run(10)
    hook = shop.webhook_state(webhook["id"])
    assert (hook["status"], hook["failure_count"]) == ("active", 0)


def test_unreachable_receiver_counts_as_a_failure(shop: Shop, receiver: Receiver):
    dead = receiver.url.replace(str(receiver.server.server_address[1]), "9")
    webhook = shop.hook("order.updated", dead)
    shop.order()
    [sent] = shop.run_queue()
    assert sent["status"] is None
    assert sent["error"]
    assert shop.webhook_state(webhook["id"])["failure_count"] == 1


def test_the_queue_runs_by_itself(receiver: Receiver):
    with running_sandbox(keys=[KEY], queue_interval=0) as sb:
        sb.state.seed()
        with httpx.Client(timeout=10) as client:
            Shop(sb, client).hook("order.created", receiver.url)
            client.post(
                f"{sb.url}/_sandbox/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}]}
            )
        deadline = time.monotonic() + 5
        while not receiver.deliveries() and time.monotonic() < deadline:
            time.sleep(0.02)
        [(headers, _)] = receiver.deliveries()
        assert headers["x-wc-webhook-topic"] == "order.created"


# --- customers and order edits -------------------------------------------------------------------


def test_customer_webhooks_are_built_at_send_time_like_the_real_shops(
    shop: Shop, receiver: Receiver, load_payload
):
    shop.hook("customer.created", receiver.url)
    shop.hook("customer.updated", receiver.url)
    created = shop.call("POST", "/customers", {"email": "eve@example.test", "first_name": "Eve"})
    customer_id = created.json()["id"]
    shop.call("PUT", f"/customers/{customer_id}", {"email": "eve.new@example.test"})  # before it runs
    shop.run_queue()
    topics = [h["x-wc-webhook-topic"] for h, _ in receiver.deliveries()]
    assert topics == ["customer.created", "customer.updated"]
    bodies = [body for _, body in receiver.deliveries()]
    assert {b["email"] for b in bodies} == {"eve.new@example.test"}
    assert set(bodies[0]) == set(load_payload("customer_created"))
    assert set(bodies[0]["billing"]) == set(load_payload("customer_created")["billing"])


def test_a_logged_in_order_updates_the_customer_and_an_edit_sends_order_updated(
    shop: Shop, receiver: Receiver, load_payload
):
    shop.hook("customer.updated", receiver.url)
    shop.hook("order.updated", receiver.url)
    customer = shop.call("POST", "/customers", {"email": "fay@example.test"}).json()
    shop.run_queue()
    receiver.requests.clear()
    order = shop.order(email=None, customer_id=customer["id"])
    shop.run_queue()
    assert sorted(h["x-wc-webhook-topic"] for h, _ in receiver.deliveries()) == [
        "customer.updated", "order.updated"
    ]
    [(_, paid)] = receiver.deliveries("customer.updated")
    assert paid["is_paying_customer"] is True
    receiver.requests.clear()
    line_id = order["line_items"][0]["id"]
    shop.call("PUT", f"/orders/{order['id']}", {"line_items": [{"id": line_id, "quantity": 3}]})
    shop.run_queue()
    [(_, edited)] = receiver.deliveries("order.updated")
    assert edited["line_items"][0]["quantity"] == 3 and edited["customer_id"] == customer["id"]
    assert set(edited) == set(load_payload("order_updated"))
    assert set(paid) == set(load_payload("customer_updated"))


# --- mishaps on purpose ---------------------------------------------------------------------------


def control(shop: Shop, path: str, body: object = None) -> Any:
    response = shop.client.post(f"{shop.sandbox.url}/_sandbox{path}", json=body)
    assert response.status_code < 300, response.text
    return response.json()


def test_a_duplicated_delivery_arrives_twice_with_new_delivery_ids(shop: Shop, receiver: Receiver):
    shop.hook("product.updated", receiver.url)
    mug = shop.product_id("MUG-1")
    control(shop, "/deliveries/duplicate", {"topic": "product.updated", "resource_id": mug})
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 5})
    shop.run_queue()
    deliveries = [(h, body) for h, body in receiver.requests if "x-wc-webhook-topic" in h]
    assert len(deliveries) == 2
    assert deliveries[0][1] == deliveries[1][1]
    assert deliveries[0][0]["x-wc-webhook-signature"] == deliveries[1][0]["x-wc-webhook-signature"]
    assert deliveries[0][0]["x-wc-webhook-delivery-id"] != deliveries[1][0]["x-wc-webhook-delivery-id"]
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 6})
    shop.run_queue()
    assert len(receiver.deliveries()) == 3  # the mishap was for one delivery


def test_a_held_delivery_arrives_after_a_newer_one_with_its_old_body(shop: Shop, receiver: Receiver):
    shop.hook("product.updated", receiver.url)
    mug = shop.product_id("MUG-1")
    control(shop, "/deliveries/hold", {"topic": "product.updated"})
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 5})
    shop.run_queue()
    assert receiver.deliveries() == []
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 6})
    shop.run_queue()
    sent = control(shop, "/deliveries/release")["sent"]
    assert [s["resource_id"] for s in sent] == [mug]
    assert [body["stock_quantity"] for _, body in receiver.deliveries()] == [6, 5]
    for headers, body in receiver.requests[2:]:  # after the ping
        assert verify(SECRET, headers, body).verdict is Verdict.ACCEPT
    assert control(shop, "/deliveries/release")["sent"] == []


def test_a_dropped_delivery_never_arrives_and_counts_no_failure(shop: Shop, receiver: Receiver):
    webhook = shop.hook("product.updated", receiver.url)
    mug = shop.product_id("MUG-1")
    control(shop, "/deliveries/drop", {"count": 2})
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 5})
    shop.run_queue()
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 4})
    shop.run_queue()
    shop.call("PUT", f"/products/{mug}", {"stock_quantity": 3})
    shop.run_queue()
    assert [body["stock_quantity"] for _, body in receiver.deliveries()] == [3]
    log = shop.client.get(f"{shop.sandbox.url}/_sandbox/deliveries").json()
    assert [e["kind"] for e in log if e["kind"] != "ping"] == ["dropped", "dropped", "delivery"]
    assert shop.webhook_state(webhook["id"])["failure_count"] == 0


def test_a_mishap_must_name_a_kind_and_a_count(shop: Shop):
    unknown = shop.client.post(f"{shop.sandbox.url}/_sandbox/deliveries/lose", json={})
    assert unknown.status_code == 404
    bad = shop.client.post(f"{shop.sandbox.url}/_sandbox/deliveries/hold", json={"count": 0})
    assert bad.status_code == 422
    extra = shop.client.post(f"{shop.sandbox.url}/_sandbox/deliveries/hold", json={"when": 1})
    assert extra.status_code == 422


def test_a_mishap_that_found_no_delivery_can_be_forgotten(shop: Shop, receiver: Receiver):
    shop.hook("product.updated", receiver.url)
    control(shop, "/deliveries/drop", {"topic": "product.updated"})
    forgotten = shop.client.delete(f"{shop.sandbox.url}/_sandbox/deliveries/mishaps")
    assert forgotten.json() == {"forgotten": 1}
    shop.call("PUT", f"/products/{shop.product_id('MUG-1')}", {"stock_quantity": 5})
    shop.run_queue()
    assert [body["stock_quantity"] for _, body in receiver.deliveries()] == [5]


def test_a_reset_keeping_webhooks_empties_the_shop_and_ids_go_on(shop: Shop, receiver: Receiver):
    webhook = shop.hook("order.created", receiver.url)
    first = shop.order()
    control(shop, "/deliveries/drop", {"topic": "order.created"})

    reset = shop.client.post(f"{shop.sandbox.url}/_sandbox/reset", json={"keep_webhooks": True})
    assert reset.status_code == 204
    control(shop, "/seed", {})

    state = shop.client.get(f"{shop.sandbox.url}/_sandbox/state").json()
    assert state["orders"] == [] and state["pending_deliveries"] == 0
    assert [w["id"] for w in state["webhooks"]] == [webhook["id"]]
    again = shop.order()
    assert again["id"] > first["id"]  # no id of the day before comes back
    shop.run_queue()
    assert [body["id"] for _, body in receiver.deliveries("order.created")] == [again["id"]]  # the mishap is gone too
    wrong = shop.client.post(f"{shop.sandbox.url}/_sandbox/reset", json={"keep_webhooks": "yes"})
    assert wrong.status_code == 422
