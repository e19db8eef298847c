"""WarehouseClient against pytest-httpx: the requests it makes and how it classifies answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from connect_hub.errors import PermanentError, TransientError
from connect_hub_efulfillment.client import (
    AuthenticationError,
    OrderShippedError,
    WarehouseClient,
    parse_retry_after,
)
from connect_hub_efulfillment.polling import poll_stock
from pytest_httpx import HTTPXMock

BASE = "https://wh.example"
KEY = "sk-live-7f3a9c"
PAYLOAD = {
    "reference": "shop-1042",
    "email": "ann@example.com",
    "shipping_address": {"name": "Ann Smith", "city": "Utrecht"},
    "lines": [{"sku": "MUG-1", "quantity": 2, "name": "Mug"}],
}
CREATED = {"id": "WH-000001", "reference": "shop-1042", "status": "received"}


@pytest.fixture
async def client():
    client = WarehouseClient(BASE + "/", KEY, name="acme/warehouse", timeout=3)
    yield client
    await client.aclose()


async def test_create_order_posts_the_payload_with_the_key(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/api/v1/orders", status_code=201, json=CREATED
    )

    assert await client.create_order(PAYLOAD) == CREATED

    [request] = httpx_mock.get_requests()
    assert request.method == "POST"
    assert request.url == f"{BASE}/api/v1/orders"
    assert request.headers["X-Api-Key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == PAYLOAD


async def test_orders_are_placed_under_a_base_url_with_a_path_and_non_ascii_kept(httpx_mock: HTTPXMock):
    httpx_mock.add_response(method="POST", url=f"{BASE}/hub/wh/api/v1/orders", status_code=201, json=CREATED)
    payload = {**PAYLOAD, "shipping_address": {"name": "Zoë Ødegård", "city": "Łódź"}}
    client = WarehouseClient(f"{BASE}/hub/wh/", KEY)
    try:
        assert await client.place_order(payload) == (CREATED, True)
    finally:
        await client.aclose()
    [request] = httpx_mock.get_requests()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(request.content))
    assert json.loads(request.content) == payload


async def test_create_order_existing_reference_200_is_success(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(method="POST", url=f"{BASE}/api/v1/orders", json=CREATED)

    assert await client.create_order(PAYLOAD) == CREATED


async def test_create_order_409_fetches_the_existing_order(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders",
        status_code=409,
        json={"error": {"code": "duplicate_reference", "message": "exists"}},
    )
    httpx_mock.add_response(method="GET", url=f"{BASE}/api/v1/orders/shop-1042", json=CREATED)

    assert await client.create_order(PAYLOAD) == CREATED

    assert [(r.method, r.url.path) for r in httpx_mock.get_requests()] == [
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders/shop-1042"),
    ]


async def test_429_is_transient_with_retry_after_seconds(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders",
        status_code=429,
        headers={"Retry-After": "7"},
        json={"error": {"code": "rate_limited", "message": "slow down"}},
    )

    with pytest.raises(TransientError) as caught:
        await client.create_order(PAYLOAD)

    assert caught.value.retry_after == 7
    assert "429" in str(caught.value) and "rate_limited: slow down" in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1  # the client never retries by itself


async def test_retry_after_as_http_date(client, httpx_mock: HTTPXMock):
    when = datetime.now(UTC) + timedelta(seconds=120)
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders",
        status_code=503,
        headers={"Retry-After": format_datetime(when, usegmt=True)},
    )

    with pytest.raises(TransientError) as caught:
        await client.create_order(PAYLOAD)

    assert 110 <= caught.value.retry_after <= 120


def test_parse_retry_after_forms():
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def parse(value: str) -> float | None:
        return parse_retry_after(httpx.Response(503, headers={"Retry-After": value}), now)

    assert parse("2") == 2
    assert parse("1.5") == 1.5
    assert parse("Wed, 01 Jan 2025 12:00:30 GMT") == 30
    assert parse("Wed, 01 Jan 2025 11:00:00 GMT") == 0  # in the past: no wait
    assert parse("soon") is None
    assert parse_retry_after(httpx.Response(503), now) is None


async def test_500_is_transient_without_retry_after(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="GET", url=f"{BASE}/api/v1/orders/shop-1042", status_code=500, text="oops"
    )

    with pytest.raises(TransientError) as caught:
        await client.get_order("shop-1042")

    assert caught.value.retry_after is None
    assert "500" in str(caught.value) and "oops" in str(caught.value)
    assert "acme/warehouse" in str(caught.value)


@pytest.mark.parametrize("status", [400, 422])
async def test_4xx_is_permanent_with_code_and_message(client, httpx_mock: HTTPXMock, status):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders",
        status_code=status,
        json={"error": {"code": "invalid_quantity", "message": "line 1: quantity must be > 0"}},
    )

    with pytest.raises(PermanentError) as caught:
        await client.create_order(PAYLOAD)

    message = str(caught.value)
    assert str(status) in message
    assert "invalid_quantity: line 1: quantity must be > 0" in message
    assert not isinstance(caught.value, TransientError)


async def test_401_is_an_authentication_error(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="GET",
        url=f"{BASE}/api/v1/ping",
        status_code=401,
        json={"error": {"code": "unauthorized", "message": "wrong key"}},
    )

    with pytest.raises(AuthenticationError, match="api_key"):
        await client.ping()

    assert httpx_mock.get_requests()[0].headers["X-Api-Key"] == KEY


async def test_get_order_404_is_none(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="GET", url=f"{BASE}/api/v1/orders/shop%2F7", status_code=404, json={}
    )

    assert await client.get_order("shop/7") is None  # the reference is one path segment


async def test_garbage_json_in_2xx_is_transient(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/api/v1/orders", status_code=201, text="<html>proxy</html>"
    )

    with pytest.raises(TransientError, match="not JSON"):
        await client.create_order(PAYLOAD)


async def test_network_errors_and_timeouts_are_transient(client, httpx_mock: HTTPXMock):
    httpx_mock.add_exception(httpx.ConnectError("connection refused"), url=f"{BASE}/api/v1/ping")
    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"), url=f"{BASE}/api/v1/ping")

    with pytest.raises(TransientError, match="ConnectError"):
        await client.ping()
    with pytest.raises(TransientError, match="timed out"):
        await client.ping()

    assert len(httpx_mock.get_requests()) == 2


async def test_cancel_and_list_stock_requests(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders/shop-1042/cancel",
        json=CREATED | {"status": "cancelled"},
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{BASE}/api/v1/stock?page=2&per_page=50",
        json=[{"sku": "MUG-1", "quantity": 3}],
        headers={"X-Total-Count": "51"},
    )

    assert (await client.cancel_order("shop-1042"))["status"] == "cancelled"
    page = await client.list_stock(2, per_page=50)

    assert page.items == [{"sku": "MUG-1", "quantity": 3}]
    assert page.total == 51
    assert all(r.headers["X-Api-Key"] == KEY for r in httpx_mock.get_requests())


async def test_the_api_key_never_appears_in_an_error(client, httpx_mock: HTTPXMock):
    echo = {"error": {"code": "bad_key", "message": f"key {KEY} is not valid here"}}
    httpx_mock.add_response(url=f"{BASE}/api/v1/ping", status_code=403, json=echo)
    httpx_mock.add_response(url=f"{BASE}/api/v1/ping", status_code=500, text=f"header {KEY}")
    httpx_mock.add_response(url=f"{BASE}/api/v1/ping", status_code=422, json=echo)
    httpx_mock.add_exception(httpx.ConnectError(f"failed with {KEY}"), url=f"{BASE}/api/v1/ping")

    messages = []
    for _ in range(4):
        with pytest.raises(Exception) as caught:
            await client.ping()
        messages.append(str(caught.value))
        error = caught.value  # a traceback would not show the original exception either
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__

    assert len(httpx_mock.get_requests()) == 4
    assert all(KEY not in message and "***" in message for message in messages)


async def test_cancel_of_a_shipped_order_is_an_order_shipped_error(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders/shop-1042/cancel",
        status_code=409,
        json={"error": {"code": "order_shipped", "message": "order shop-1042 has been shipped"}},
    )

    with pytest.raises(OrderShippedError, match="409: order_shipped"):
        await client.cancel_order("shop-1042")


async def test_another_409_on_cancel_is_a_plain_permanent_error(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/api/v1/orders/shop-1042/cancel",
        status_code=409,
        json={"error": {"code": "order_locked", "message": "being packed"}},
    )

    with pytest.raises(PermanentError) as caught:
        await client.cancel_order("shop-1042")

    assert not isinstance(caught.value, OrderShippedError)
    assert "order_locked: being packed" in str(caught.value)


async def test_register_webhook_posts_url_secret_events(client, httpx_mock: HTTPXMock):
    subscription = {"id": "whk-000001", "url": "https://hub.example/webhooks/wh",
                    "events": ["stock.changed"], "created_at": "2025-03-01T12:00:00+00:00"}  # fmt: skip
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/api/v1/webhooks", status_code=201, json=subscription
    )
    httpx_mock.add_response(method="POST", url=f"{BASE}/api/v1/webhooks", json=subscription)
    httpx_mock.add_response(method="GET", url=f"{BASE}/api/v1/webhooks", json=[subscription])

    first = await client.register_webhook(subscription["url"], "whsec-1", ["stock.changed"])
    again = await client.register_webhook(subscription["url"], "whsec-1", ["stock.changed"])

    assert first == (subscription, True) and again == (subscription, False)
    assert await client.list_webhooks() == [subscription]
    posted = httpx_mock.get_requests(method="POST")
    assert json.loads(posted[0].content) == {
        "url": subscription["url"], "secret": "whsec-1", "events": ["stock.changed"]
    }  # fmt: skip
    assert all(r.headers["X-Api-Key"] == KEY for r in httpx_mock.get_requests())


async def test_the_webhook_secret_never_appears_in_an_error(client, httpx_mock: HTTPXMock):
    echo = {"error": {"code": "invalid_subscription", "message": "secret whsec-9 is too short"}}
    httpx_mock.add_response(
        method="POST", url=f"{BASE}/api/v1/webhooks", status_code=422, json=echo
    )

    with pytest.raises(PermanentError) as caught:
        await client.register_webhook(
            "https://hub.example/webhooks/wh", "whsec-9", ["stock.changed"]
        )

    assert "whsec-9" not in str(caught.value) and "***" in str(caught.value)


async def test_list_webhooks_that_is_not_a_list_is_transient(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(method="GET", url=f"{BASE}/api/v1/webhooks", json={"items": []})

    with pytest.raises(TransientError, match="expected a JSON list"):
        await client.list_webhooks()


async def test_poll_stock_reads_every_page_once(client, httpx_mock: HTTPXMock):
    def page(numbers: range) -> list[dict]:
        return [{"sku": f"SKU-{n:03d}", "quantity": n, "on_hand": n + 1, "reserved": 1,
                 "changed_at": "2025-03-01T12:00:00+00:00"} for n in numbers]  # fmt: skip

    for number, numbers in ((1, range(2)), (2, range(2, 4)), (3, range(4, 5))):
        httpx_mock.add_response(
            method="GET",
            url=f"{BASE}/api/v1/stock?page={number}&per_page=2",
            json=page(numbers),
            headers={"X-Total-Count": "5"},
        )

    pages = [p async for p in poll_stock(client, page_size=2)]

    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert {p.cursor for p in pages} == {None}
    assert {item.topic for p in pages for item in p.items} == {"stock.changed"}
    assert json.loads(pages[0].items[1].body) == {
        "sku": "SKU-001", "quantity": 1, "changed_at": "2025-03-01T12:00:00+00:00"
    }  # fmt: skip
    assert [r.url.params["page"] for r in httpx_mock.get_requests()] == ["1", "2", "3"]


async def test_poll_stock_stops_at_a_full_last_page(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="GET",
        url=f"{BASE}/api/v1/stock?page=1&per_page=2",
        json=[{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}],
        headers={"X-Total-Count": "2"},
    )

    pages = [p async for p in poll_stock(client, page_size=2)]

    assert [json.loads(i.body) for i in pages[0].items] == [
        {"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}
    ]  # fmt: skip
    assert len(httpx_mock.get_requests()) == 1


async def test_poll_stock_of_an_empty_warehouse_yields_nothing(client, httpx_mock: HTTPXMock):
    httpx_mock.add_response(
        method="GET", url=f"{BASE}/api/v1/stock?page=1&per_page=100", json=[],
        headers={"X-Total-Count": "0"},
    )  # fmt: skip

    assert [p async for p in poll_stock(client)] == []
