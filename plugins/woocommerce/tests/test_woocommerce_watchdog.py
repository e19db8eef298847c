"""The webhook watchdog: missing webhooks created, disabled ones replaced, each repair a Notice."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from connect_hub_woocommerce.client import WooClient
from connect_hub_woocommerce.watchdog import TOPICS, maintain, webhook_name

SAMPLES = Path(__file__).parent / "samples" / "api"
HUB = "https://hub.example"
URL = f"{HUB}/webhooks/shop"
SECRET = "verify-secret-123"


def ours(shop, **changes) -> list[dict]:
    """Our six healthy webhooks, ids 1..6, with ``changes`` applied to the topic named."""
    hooks = [
        {"id": n, "topic": topic, "status": "active", "delivery_url": URL,
         "name": webhook_name(shop, topic, SECRET)}
        for n, topic in enumerate(TOPICS, start=1)
    ]  # fmt: skip
    for topic, change in changes.items():
        next(h for h in hooks if h["topic"] == topic.replace("_", ".")).update(change)
    return hooks


@pytest.fixture
def shop(integration):
    return replace(integration, public_url=HUB, resources={})


@pytest.fixture
async def client():
    async def no_sleep(seconds: float) -> None:
        pass

    client = WooClient("https://shop.example", "ck_x", "cs_x", name="acme/shop", sleep=no_sleep)
    yield client
    await client.aclose()


def writes(httpx_mock) -> list[tuple[str, str]]:
    return [(r.method, r.url.path) for r in httpx_mock.get_requests() if r.method != "GET"]


async def test_healthy_webhooks_need_nothing(shop, client, httpx_mock):
    httpx_mock.add_response(method="GET", json=ours(shop))

    assert await maintain(client, shop) == []
    assert writes(httpx_mock) == []


async def test_a_disabled_webhook_is_replaced_by_a_new_one_and_deleted(shop, client, httpx_mock):
    disabled = json.loads((SAMPLES / "GET-webhooks-id-disabled.json").read_text())["body"]
    hooks = ours(shop, product_updated={"status": "disabled", "id": disabled["id"] + 100})
    httpx_mock.add_response(method="GET", json=hooks)
    httpx_mock.add_response(method="POST", status_code=201, json={"id": 42})
    httpx_mock.add_response(method="DELETE", json={})

    (notice,) = await maintain(client, shop)

    assert writes(httpx_mock) == [
        ("POST", "/wp-json/wc/v3/webhooks"),
        ("DELETE", "/wp-json/wc/v3/webhooks/105"),
    ]
    created = json.loads(httpx_mock.get_requests()[1].content)
    assert created == {
        "name": webhook_name(shop, "product.updated", SECRET),
        "topic": "product.updated",
        "delivery_url": URL,
        "secret": SECRET,
        "status": "active",
    }
    assert notice.kind == "webhook_recreated"
    assert notice.message.startswith(
        "acme/shop: the shop's product.updated webhook 105 was disabled"
    )
    assert "created webhook 42" in notice.message and "7 failed deliveries" in notice.message
    assert SECRET not in notice.message


async def test_a_missing_webhook_is_created(shop, client, httpx_mock):
    httpx_mock.add_response(method="GET", json=ours(shop)[1:])  # no order.created
    httpx_mock.add_response(method="POST", status_code=201, json={"id": 7})

    (notice,) = await maintain(client, shop)

    assert notice.kind == "webhook_created"
    assert notice.message == (
        "acme/shop: the shop's order.created webhook was missing: created webhook 7 to "
        "https://hub.example/webhooks/shop."
    )


async def test_a_webhook_made_with_another_secret_is_replaced(shop, client, httpx_mock):
    stale = webhook_name(shop, "customer.updated", "the-old-secret")
    httpx_mock.add_response(method="GET", json=ours(shop, customer_updated={"name": stale}))
    httpx_mock.add_response(method="POST", status_code=201, json={"id": 8})
    httpx_mock.add_response(method="DELETE", json={})

    (notice,) = await maintain(client, shop)

    assert notice.kind == "webhook_recreated" and "another secret" in notice.message
    assert writes(httpx_mock)[-1] == ("DELETE", "/wp-json/wc/v3/webhooks/6")


async def test_a_webhook_of_ours_to_an_old_address_is_replaced(shop, client, httpx_mock):
    moved = {"delivery_url": "https://old-hub.example/webhooks/shop"}
    httpx_mock.add_response(method="GET", json=ours(shop, order_updated=moved))
    httpx_mock.add_response(method="POST", status_code=201, json={"id": 9})
    httpx_mock.add_response(method="DELETE", json={})

    (notice,) = await maintain(client, shop)

    assert "pointed at https://old-hub.example/webhooks/shop" in notice.message


async def test_an_unreachable_shop_is_a_notice_not_an_error(shop, client, httpx_mock):
    for _ in range(3):
        httpx_mock.add_exception(httpx.ConnectError("refused"))

    (notice,) = await maintain(client, shop)

    assert notice.kind == "shop_unreachable"
    assert "acme/shop: GET /wp-json/wc/v3/webhooks failed" in notice.message


async def test_without_public_url_the_watchdog_says_so(shop, client, httpx_mock):
    (notice,) = await maintain(client, replace(shop, public_url=""))

    assert notice.kind == "webhooks_unchecked" and "public_url" in notice.message
