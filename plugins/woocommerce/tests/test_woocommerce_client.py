"""WooClient against pytest-httpx: the requests it makes, its retries and its error messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub.errors import PermanentError, TransientError
from connect_hub_woocommerce.client import AuthenticationError, RateLimiter, WooApiError, WooClient
from pytest_httpx import HTTPXMock

SHOP = "https://shop.example"
API = f"{SHOP}/wp-json/wc/v3"
KEY = "ck_live_5e1d9c3f"
SECRET = "cs_live_a7b2e4d6"
SAMPLES = Path(__file__).parent / "samples" / "api"
_HOP_HEADERS = {"host", "connection", "content-length", "transfer-encoding", "content-encoding"}


def sample(name: str) -> dict[str, Any]:
    """A captured answer as ``add_response`` arguments: status, headers, JSON body."""
    captured = json.loads((SAMPLES / name).read_text())
    headers = {k: v for k, v in captured["headers"].items() if k.lower() not in _HOP_HEADERS}
    return {"status_code": captured["status"], "headers": headers, "json": captured["body"]}


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
async def client(waits):
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = WooClient(SHOP, KEY, SECRET, name="acme/shop", sleep=sleep, requests_per_second=0)
    yield client
    await client.aclose()


def calls(httpx_mock: HTTPXMock) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.url.path, dict(r.url.params)) for r in httpx_mock.get_requests()]


# --- Pagination -------------------------------------------------------------------------------


async def test_pages_are_requested_by_number_until_the_total_pages(client, httpx_mock):
    first = sample("GET-products-per_page-2.json")  # X-WP-TotalPages: 2, Link with a nonce
    first["headers"]["X-WP-TotalPages"] = "3"
    second = {**first, "json": [{"id": 10}, {"id": 11}]}
    third = {**first, "json": [{"id": 9}]}
    for page in (first, second, third):
        httpx_mock.add_response(url=re.compile(f"{API}/products.*"), **page)

    pages = [p async for p in client.iter_products("2026-11-27T22:00:00")]

    assert [[item["id"] for item in page] for page in pages] == [[13, 12], [10, 11], [9]]
    expected = {
        "orderby": "modified",
        "order": "asc",
        "modified_after": "2026-11-27T22:00:00",
        "dates_are_gmt": "true",
        "per_page": "100",
    }
    assert calls(httpx_mock) == [
        ("GET", "/wp-json/wc/v3/products", expected | {"page": "1"}),
        ("GET", "/wp-json/wc/v3/products", expected | {"page": "2"}),
        ("GET", "/wp-json/wc/v3/products", expected | {"page": "3"}),
    ]


async def test_an_empty_page_ends_the_listing(client, httpx_mock):
    httpx_mock.add_response(json=[{"id": 1}] * 100, headers={"X-WP-TotalPages": "5"})
    httpx_mock.add_response(json=[], headers={"X-WP-TotalPages": "5"})

    pages = [p async for p in client.iter_customers()]

    assert len(pages) == 1
    assert [params["page"] for _, _, params in calls(httpx_mock)] == ["1", "2"]


async def test_without_total_pages_a_short_page_is_the_last(client, httpx_mock):
    httpx_mock.add_response(json=[{"id": 1}])

    assert [p async for p in client.iter_orders()] == [[{"id": 1}]]
    assert len(httpx_mock.get_requests()) == 1


# --- Retries ----------------------------------------------------------------------------------


async def test_429_is_retried_after_the_retry_after_seconds(client, httpx_mock, waits):
    httpx_mock.add_response(
        status_code=429,
        headers={"Retry-After": "3"},
        json={"code": "too_many_requests", "message": "Slow down", "data": {"status": 429}},
    )
    httpx_mock.add_response(json={"environment": {"version": "9.9.5"}})

    assert (await client.system_status())["environment"]["version"] == "9.9.5"
    assert waits == [3.0]
    assert len(httpx_mock.get_requests()) == 2


async def test_500s_are_retried_a_few_times_then_transient(client, httpx_mock, waits):
    for _ in range(3):
        httpx_mock.add_response(status_code=500, text="<html>Fatal error</html>")

    with pytest.raises(TransientError, match="GET /wp-json/wc/v3/orders/19 answered 500"):
        await client.get_order(19)
    assert len(httpx_mock.get_requests()) == 3
    assert waits == [0.5, 1.0]


async def test_a_long_retry_after_is_handed_to_the_hub_at_once(client, httpx_mock, waits):
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "120"})

    with pytest.raises(TransientError) as caught:
        await client.get_order(19)
    assert caught.value.retry_after == 120.0
    assert waits == [] and len(httpx_mock.get_requests()) == 1


async def test_network_errors_are_retried_then_transient(client, httpx_mock):
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadTimeout("timed out"))

    with pytest.raises(TransientError, match="ReadTimeout"):
        await client.get_order(19)
    assert len(httpx_mock.get_requests()) == 3


async def test_a_creating_post_is_not_retried_after_a_timeout(client, httpx_mock):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))

    with pytest.raises(TransientError):
        await client.create_order_note(19, "Shipped", customer=True)
    assert len(httpx_mock.get_requests()) == 1


async def test_a_creating_post_is_retried_after_a_429(client, httpx_mock):
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "1"})
    httpx_mock.add_response(status_code=201, json={"id": 6})

    assert (await client.create_order_note(19, "Shipped", customer=True))["id"] == 6


# --- Errors -----------------------------------------------------------------------------------


async def test_a_4xx_is_permanent_with_the_shops_code_and_no_query(client, httpx_mock):
    httpx_mock.add_response(**sample("404-GET-products-999999.json"))

    with pytest.raises(WooApiError) as caught:
        await client.products_by_sku("SECRET-SKU?")
    error = caught.value
    assert isinstance(error, PermanentError)
    assert (error.status, error.code, error.detail) == (
        404,
        "woocommerce_rest_product_invalid_id",
        "Invalid ID.",
    )
    assert str(error) == (
        "acme/shop: GET /wp-json/wc/v3/products answered 404: "
        "woocommerce_rest_product_invalid_id: Invalid ID."
    )
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("name", ["401-wrong-secret-basic-https.json", "401-bad-key-oauth1.json"])
async def test_401_is_an_authentication_error(client, httpx_mock, name):
    httpx_mock.add_response(**sample(name))

    with pytest.raises(AuthenticationError, match="woocommerce_rest_"):
        await client.system_status()


async def test_messages_never_show_key_secret_or_signature(httpx_mock: HTTPXMock):
    body = {"code": "echo", "message": f"got {KEY} and {SECRET}", "data": {"status": 400}}
    httpx_mock.add_response(status_code=400, json=body)
    httpx_mock.add_exception(httpx.ConnectError(f"refused for {KEY}"))
    client = WooClient("http://shop.example", KEY, SECRET, tries=1, requests_per_second=0)

    messages = []
    for _ in range(2):
        with pytest.raises(Exception) as caught:
            await client.get_order(1)
        messages.append(str(caught.value))
    await client.aclose()

    signature = httpx_mock.get_requests()[0].headers["Authorization"].split("oauth_signature=")[1]
    for message in messages:
        assert KEY not in message and SECRET not in message
        assert signature.strip('"') not in message and "oauth" not in message
    assert "echo: got *** and ***" in messages[0]


async def test_a_2xx_that_is_not_json_is_transient(client, httpx_mock):
    httpx_mock.add_response(text="<html>maintenance</html>")

    with pytest.raises(TransientError, match="not JSON"):
        await client.get_order(1)


# --- Endpoints --------------------------------------------------------------------------------


async def test_a_batch_posts_the_update_list_and_answers_its_items(client, httpx_mock):
    httpx_mock.add_response(
        method="POST", url=f"{API}/products/13/variations/batch",
        **sample("POST-products-id-variations-batch.json"),
    )  # fmt: skip

    items = await client.batch_variations(13, [{"id": 14, "stock_quantity": 11}])

    assert [item["id"] for item in items] == [14, 999998]
    assert json.loads(httpx_mock.get_requests()[0].content) == {
        "update": [{"id": 14, "stock_quantity": 11}]
    }


async def test_more_than_100_batch_items_are_refused_before_sending(client, httpx_mock):
    with pytest.raises(ValueError, match="at most 100"):
        await client.batch_products([{"id": 1}] * 101)


async def test_the_tracking_extension_is_absent_on_rest_no_route(client, httpx_mock):
    httpx_mock.add_response(**sample("404-no-route.json"))

    assert await client.shipment_trackings(19) is None
    (request,) = httpx_mock.get_requests()
    assert request.url.path == "/wp-json/wc-shipment-tracking/v3/orders/19/shipment-trackings"


async def test_a_webhook_is_deleted_for_good(client, httpx_mock):
    httpx_mock.add_response(method="DELETE", url=f"{API}/webhooks/5?force=true", json={"id": 5})

    await client.delete_webhook(5)


async def test_the_webhook_list_asks_for_every_status(client, httpx_mock):
    httpx_mock.add_response(**sample("GET-webhooks-list.json"))

    hooks = await client.webhooks()

    assert len(hooks) == 5
    assert calls(httpx_mock)[0][2] == {"status": "all", "per_page": "100", "page": "1"}


# --- Limits -----------------------------------------------------------------------------------


async def test_the_rate_limiter_spaces_request_starts():
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(4, clock=lambda: now[0])
    for _ in range(3):
        await limiter.wait(sleep)

    assert slept == [0.25, 0.5]
