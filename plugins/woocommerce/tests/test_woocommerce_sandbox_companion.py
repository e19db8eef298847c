"""The sandbox's companion plugin over real HTTP: its routes, pairing, and the messages it sends."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from connect_hub_woocommerce.sandbox import (
    SANDBOX_PAIRING_CODE,
    ApiKey,
    running_sandbox,
    signed_url,
)
from connect_hub_woocommerce.sandbox.delivery import Deliverer
from connect_hub_woocommerce.webhooks import sign

KEY = ApiKey("ck_test", "cs_test")
PLUGIN = "/wp-json/connect-hub/v1"


def call(shop, method: str, path: str, body: object = None) -> httpx.Response:
    url = signed_url(method, f"{shop.url}{PLUGIN}{path}", KEY.consumer_key, KEY.consumer_secret)
    return httpx.request(method, url, json=body, timeout=5)


def test_without_the_plugin_its_routes_do_not_exist():
    with running_sandbox(keys=[KEY], queue_interval=None, seed=True) as shop:
        answer = call(shop, "GET", "/status")
        assert answer.status_code == 404 and answer.json()["code"] == "rest_no_route"
        assert httpx.post(f"{shop.url}/_sandbox/checkouts", json={"email": "a@example.test"}).status_code == 404


@pytest.fixture
def shop():
    with running_sandbox(keys=[KEY], queue_interval=None, seed=True, companion_plugin=True) as running:
        yield running


def test_the_routes_need_the_api_key_like_wc_v3(shop):
    assert httpx.get(f"{shop.url}{PLUGIN}/status").status_code == 401
    assert call(shop, "GET", "/status").json() == {"version": "0.1.0", "paired": False, "hub_url": "", "secret_fingerprint": ""}


def test_pairing_needs_the_shops_code(shop):
    wrong = call(shop, "POST", "/pair", {"code": "guess", "hub_url": "http://127.0.0.1:9/webhooks/shop", "secret": "s3"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "connect_hub_invalid_pairing_code"
    right = call(shop, "POST", "/pair", {"code": SANDBOX_PAIRING_CODE, "hub_url": "http://127.0.0.1:9/webhooks/shop", "secret": "s3"})
    assert right.status_code == 200 and call(shop, "GET", "/status").json()["paired"] is True


def test_a_shipment_with_a_known_external_id_is_answered_not_added_again(shop):
    order = httpx.post(f"{shop.url}/_sandbox/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}], "email": "a@example.test"}).json()
    body = {"provider": "DHL", "tracking_number": "JD1", "tracking_url": "", "external_id": "connect-hub-7"}
    first = call(shop, "POST", f"/orders/{order['id']}/shipments", body)
    again = call(shop, "POST", f"/orders/{order['id']}/shipments", body)
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    assert [s["source"] for s in call(shop, "GET", f"/orders/{order['id']}/shipments").json()] == ["hub"]


def test_checkouts_orders_and_shipments_send_signed_messages_to_the_paired_hub(shop):
    received: list[tuple[dict, bytes]] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append((dict(request.headers), request.content))
        return httpx.Response(202)

    shop.state.companion.pair({"code": SANDBOX_PAIRING_CODE, "hub_url": "http://hub.test/webhooks/shop", "secret": "s3"})
    checkout = httpx.post(f"{shop.url}/_sandbox/checkouts", json={"email": "c@example.test", "lines": [{"sku": "MUG-1", "quantity": 2}]}).json()
    order = httpx.post(f"{shop.url}/_sandbox/orders", json={"checkout_id": checkout["id"]}).json()
    httpx.post(f"{shop.url}/_sandbox/orders/{order['id']}/shipments", json={"provider": "DHL", "tracking_number": "JD2"}).raise_for_status()
    assert {"key": "_connect_hub_checkout_id", "value": checkout["id"]}.items() <= order["meta_data"][0].items()

    async def run() -> None:  # the queue sent through a deliverer whose hub is a mock transport
        deliverer = Deliverer(shop.state)
        deliverer._client = httpx.AsyncClient(transport=httpx.MockTransport(hub))
        await deliverer.run_queue()
        await deliverer.aclose()

    asyncio.run(run())
    topics = [headers["x-wc-webhook-topic"] for headers, _ in received]
    assert topics == ["checkout.updated", "checkout.completed", "shipment.created"]
    for headers, body in received:
        assert headers["x-wc-webhook-signature"] == sign("s3", body) and headers["x-connect-hub-plugin"] == "0.1.0"
    completed = json.loads(received[1][1])
    assert (completed["status"], completed["order_id"], completed["total"]) == ("completed", order["id"], "25.00")
    assert json.loads(received[2][1])["shipment"]["source"] == "shop"
