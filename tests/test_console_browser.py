"""The console in a real browser: a merchant finds an order, sees why it failed, fixes, replays.

The hub runs with the WooCommerce sandbox and the warehouse simulator over real HTTP. One order
goes through; the warehouse then goes down for orders, so the next one ends dead with the
warehouse's answer as its reason. In headless chromium the merchant signs in, finds that order by
its number, reads the failed delivery and its reason on the order's ledger, brings the warehouse
back, replays from the page and sees the delivery done without reloading. Screenshots are kept in
test-artifacts/.
"""

from __future__ import annotations

import httpx
import pytest
from browser import PHONE, Browser, browser, browser_without_js  # noqa: F401
from support import ADMIN_TOKEN, Hub, Shop, Warehouse, wait_for

pytestmark = pytest.mark.slow
OUTAGE = {"status": 503, "count": -1, "path_prefix": "/api/v1/orders", "method": "POST"}


def deliveries_to_warehouse(hub: Hub, order_id: int) -> list[dict]:
    records = [r for r in hub.api("records?data_type=orders")["items"] if r["key"] == f"order:shop-{order_id}"]
    if not records:
        return []
    return [d for d in hub.deliveries(integration="warehouse") if d["record_id"] == records[0]["id"]]


def one_order_through_and_one_dead(hub: Hub, shop: Shop, warehouse: Warehouse) -> tuple[int, int]:
    wait_for(lambda: len(shop.webhooks()) >= 6, timeout=30, what="the shop's webhooks")
    good = shop.place_order([("MUG-1", 2), ("TSHIRT-M", 1)], email="ada@example.test")
    wait_for(lambda: any(o["reference"] == f"shop-{good}" for o in warehouse.orders()), timeout=30, what="the first order at the warehouse")
    httpx.post(f"{warehouse.url}/_sim/orders/shop-{good}/ship", json={"carrier": "DHL", "tracking_code": "TRACK-1"}).raise_for_status()
    warehouse.fault(**OUTAGE)
    bad = shop.place_order([("POSTER-1", 1)], email="grace@example.test")
    wait_for(lambda: [d for d in deliveries_to_warehouse(hub, bad) if d["state"] == "dead"], timeout=60, what="the second order's delivery to be dead")
    return good, bad


def sign_in(b: Browser, hub: Hub) -> None:
    b.open(f"{hub.url}/console/")
    b.wait_for(lambda: "/console/login" in b.url, what="the sign-in page")
    b.screenshot("sign-in")
    b.fill("#token", ADMIN_TOKEN)
    b.find("#token").submit()
    b.wait_for_text("Work in the hub")


def test_a_merchant_finds_a_failed_order_fixes_the_cause_replays_and_sees_it_done(
    make_loop_hub, sandbox, warehouse: Warehouse, browser: Browser  # noqa: F811
) -> None:
    hub = make_loop_hub()
    shop = Shop(sandbox.url)
    good, bad = one_order_through_and_one_dead(hub, shop, warehouse)

    sign_in(browser, hub)
    assert ADMIN_TOKEN not in browser.driver.page_source
    assert "6 of 6 registered and active" in browser.find("#integration-shop").text
    browser.screenshot("overview")

    browser.fill("#top-q", str(bad))
    browser.find("#top-q").submit()
    browser.wait_for_text("Where it is")
    where = browser.find("#where").text
    assert f"order {bad}" in browser.find("h1").text
    assert "warehouse: dead after 6 tries" in where
    assert "answered 503" in where and "Fix the cause, then replay it" in where
    row = browser.find("#deliveries tbody tr")
    assert "dead" in row.text and "answered 503" in row.text
    assert "connect-hub replay" in row.text
    browser.screenshot("ledger-dead")

    warehouse.clear_faults()  # the warehouse is back
    browser.run_js("window.notReloaded = true")
    row.find_element("css selector", "button").click()
    browser.wait_for_text("replayed 1 delivery")
    browser.run_js("window.notReloaded = true")
    browser.wait_for(lambda: "warehouse: done, has version 1 as WH-" in browser.find("#where").text, timeout=30, what="the delivery to be done")
    assert browser.run_js("return window.notReloaded === true"), "the page reloaded instead of updating itself"
    assert any(o["reference"] == f"shop-{bad}" for o in warehouse.orders())
    browser.screenshot("ledger-done")

    browser.resize(PHONE)
    browser.open(f"{hub.url}/console/search?q={good}")
    browser.wait_for_text("Where it is")
    where = browser.find("#where").text
    assert "warehouse: has version 1 as WH-" in where and "not sent: order status completed" in where
    assert "shipped (DHL, TRACK-1), reported by warehouse" in where
    assert browser.run_js("return document.documentElement.scrollWidth <= window.innerWidth"), "the page is wider than a phone"
    browser.screenshot("ledger-phone")


def test_pages_read_with_javascript_off(make_loop_hub, sandbox, warehouse: Warehouse, browser_without_js: Browser) -> None:  # noqa: F811
    hub = make_loop_hub()
    shop = Shop(sandbox.url)
    _, bad = one_order_through_and_one_dead(hub, shop, warehouse)
    b = browser_without_js
    sign_in(b, hub)
    assert "reload the page" in b.text
    b.open(f"{hub.url}/console/search?q={bad}")
    b.wait_for_text("Where it is")
    assert "dead after 6 tries" in b.find("#where").text
    b.open(f"{hub.url}/console/failures")
    assert "answered 503" in b.text and "connect-hub replay" in b.text
    b.screenshot("failures-without-js")
    warehouse.clear_faults()
    b.find("#failure-groups article button").click()
    b.wait_for_text("replayed 1 delivery")
    wait_for(lambda: deliveries_to_warehouse(hub, bad)[0]["state"] == "done", timeout=30, what="the replayed delivery")
