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
from selenium.webdriver.common.keys import Keys
from support import ADMIN_TOKEN, Hub, Shop, Warehouse, wait_for

pytestmark = pytest.mark.slow
ACCESSIBILITY = r"""
const problems = [];
if (!document.documentElement.lang) problems.push("the page has no language");
if (document.querySelectorAll("h1").length !== 1) problems.push("the page has not one h1");
for (const field of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
  if (!(field.labels && field.labels.length) && !field.getAttribute("aria-label")) problems.push("no label: " + (field.name || field.id));
}
for (const button of document.querySelectorAll("button")) if (!button.textContent.trim()) problems.push("a button without words");
for (const table of document.querySelectorAll("table")) if (!table.querySelector("caption")) problems.push("a table without caption");
function rgb(text) { return text.match(/[\d.]+/g).map(Number); }
function luminance(c) {
  const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(el) {
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c;
  }
  return [255, 255, 255];
}
for (const el of document.querySelectorAll("body *")) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || !el.getClientRects().length) continue;
  const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + " for " + el.tagName + ": " + el.textContent.trim().slice(0, 40));
}
return problems;
"""
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


def assert_accessible(b: Browser) -> None:
    """Labels, one heading, captions, and a text contrast of at least 4.5:1 (WCAG AA)."""
    assert b.run_js(ACCESSIBILITY) == [], b.url


def sign_in(b: Browser, hub: Hub) -> None:
    b.open(f"{hub.url}/console/")
    b.wait_for(lambda: "/console/login" in b.url, what="the sign-in page")
    b.screenshot("sign-in")
    assert_accessible(b)
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
    assert_accessible(browser)
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
    assert_accessible(browser)
    browser.screenshot("ledger-dead")
    browser.find("body").send_keys(Keys.TAB)
    assert browser.run_js("return document.activeElement.textContent") == "Skip to the content"

    warehouse.clear_faults()  # the warehouse is back
    row.find_element("css selector", "button").send_keys(Keys.ENTER)  # from the keyboard
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
    assert "warehouse: done, has version 2 as WH-" in where  # its completed version: the warehouse holds it as it is
    assert "shipped (DHL, TRACK-1), reported by warehouse" in where
    assert browser.run_js("return document.documentElement.scrollWidth <= window.innerWidth"), "the page is wider than a phone"
    assert_accessible(browser)
    browser.screenshot("ledger-phone")
    browser.open(f"{hub.url}/console/failures")
    assert_accessible(browser)
    browser.open(f"{hub.url}/console/rules")
    assert_accessible(browser)
    browser.screenshot("rules-phone")


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
