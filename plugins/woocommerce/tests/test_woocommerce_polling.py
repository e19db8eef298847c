"""Polling: cursors with an overlap, the first import's look-back, variations, full contact scans."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from connect_hub.contracts import RawEvent
from connect_hub.manifest import DataType
from connect_hub_woocommerce import hooks
from connect_hub_woocommerce.client import WooClient
from connect_hub_woocommerce.polling import advance, poll, since

API = "https://shop.example/wp-json/wc/v3"
NOW = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)


@pytest.fixture
async def client():
    client = WooClient("https://shop.example", "ck_x", "cs_x", requests_per_second=0)
    yield client
    await client.aclose()


async def pages(client, data_type, cursor, days=7):
    first_import = NOW - timedelta(days=days) if days is not None else None
    return [p async for p in poll(client, data_type, cursor, first_import=first_import)]


def params(httpx_mock) -> list[tuple[str, dict[str, str]]]:
    return [(r.url.path, dict(r.url.params)) for r in httpx_mock.get_requests()]


def test_a_cursor_is_rewound_by_the_overlap():
    assert since("2026-11-27T22:13:56", NOW - timedelta(days=7)) == "2026-11-27T22:03:56"


def test_the_first_poll_starts_where_the_first_import_starts_or_takes_everything():
    assert since(None, NOW - timedelta(days=7)) == "2026-11-20T22:30:00"
    assert since(None, None) is None


def test_the_cursor_is_the_latest_modified_time_seen_and_never_goes_back():
    items = [
        {"date_modified_gmt": "2026-11-27T22:13:54"},
        {"date_modified_gmt": "2026-11-27T22:13:56"},
    ]

    assert advance(None, items) == "2026-11-27T22:13:56"
    assert advance("2026-11-28T00:00:00", items) == "2026-11-28T00:00:00"


async def test_orders_since_the_cursor_in_gmt(client, httpx_mock, load_received):
    order = json.loads(load_received("0013")[1])
    httpx_mock.add_response(json=[order], headers={"X-WP-TotalPages": "1"})

    (page,) = await pages(client, DataType.ORDERS, "2026-11-27T22:00:00")

    assert params(httpx_mock) == [
        ("/wp-json/wc/v3/orders", {
            "modified_after": "2026-11-27T21:50:00", "dates_are_gmt": "true",
            "orderby": "modified", "order": "asc", "per_page": "100", "page": "1",
        }),
    ]  # fmt: skip
    assert page.cursor == order["date_modified_gmt"] == "2026-11-27T22:13:56"
    (item,) = page.items
    assert item.topic == "order.updated"
    assert json.loads(item.body) == order


async def test_the_first_order_poll_looks_back_as_far_as_the_first_import(client, httpx_mock):
    httpx_mock.add_response(json=[])

    assert await pages(client, DataType.ORDERS, None, days=3) == []
    assert params(httpx_mock)[0][1]["modified_after"] == "2026-11-24T22:30:00"


async def test_the_first_product_poll_takes_the_whole_catalogue_with_variations(
    client, httpx_mock, load_received, integration
):
    variation = json.loads(load_received("0017")[1])  # VER-TSHIRT-S, parent 13
    products = [
        {"id": 13, "sku": "VER-TSHIRT", "type": "variable", "date_modified_gmt": "2026-11-27T22:12:55"},
        {"id": 12, "sku": "VER-STICKER-001", "type": "simple", "date_modified_gmt": "2026-11-27T22:12:54"},
    ]  # fmt: skip
    httpx_mock.add_response(url=re.compile(f"{API}/products\\?.*"), json=products)
    httpx_mock.add_response(url=re.compile(f"{API}/products/13/variations.*"), json=[variation])

    found = await pages(client, DataType.PRODUCTS, None, days=None)  # products: whole history

    assert [path for path, _ in params(httpx_mock)] == [
        "/wp-json/wc/v3/products",
        "/wp-json/wc/v3/products/13/variations",
    ]
    assert "modified_after" not in params(httpx_mock)[0][1]
    variations, parents = found
    assert variations.cursor is None  # the cursor moves only with the page of parents
    assert parents.cursor == "2026-11-27T22:12:55"
    assert [i.topic for i in parents.items] == ["product.updated"] * 2
    (item,) = variations.items
    event = RawEvent(1, "shop", item.topic, {}, item.body, NOW)
    (incoming,) = hooks.hub_webhook_parse(integration=integration, event=event)
    assert incoming.external_id == str(variation["id"])
    assert incoming.obj.sku == "VER-TSHIRT-S"
    assert incoming.obj.parent_sku == "VER-TSHIRT"


async def test_contacts_are_a_full_scan_and_keep_the_cursor(client, httpx_mock, load_received):
    customer = json.loads(load_received("0019")[1])
    httpx_mock.add_response(json=[customer], headers={"X-WP-TotalPages": "1"})

    (page,) = await pages(client, DataType.CONTACTS, "kept")

    assert params(httpx_mock) == [
        ("/wp-json/wc/v3/customers", {"orderby": "id", "order": "asc", "per_page": "100", "page": "1"})
    ]  # fmt: skip
    assert page.cursor == "kept"
    assert page.items[0].topic == "customer.updated"


async def test_other_data_types_poll_nothing(client, httpx_mock):
    assert await pages(client, DataType.CHECKOUTS, None) == []
    assert httpx_mock.get_requests() == []


async def test_the_hook_takes_the_first_import_look_back_from_the_integration(with_settings, httpx_mock):
    shop = replace(with_settings(), resources={}, first_import={DataType.ORDERS: 86400.0})
    httpx_mock.add_response(json=[])

    found = [
        p async for p in hooks.hub_poll(integration=shop, data_type=DataType.ORDERS, cursor=None)
    ]
    await shop.resources["client"].aclose()

    assert found == []
    after = datetime.fromisoformat(params(httpx_mock)[0][1]["modified_after"]).replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - after).total_seconds() - 86400) < 60
