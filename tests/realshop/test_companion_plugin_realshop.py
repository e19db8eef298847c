"""The companion plugin in a real WordPress 6.8.8 + WooCommerce 9.9.5 (HPOS on), with a real hub.

Installed as on a host with file changes disabled (the zip unpacked into wp-content/plugins, then
activated), paired by the hub's onboarding with the code the plugin shows. Every test fails on a
message of the plugin in ``debug.log`` (WP_DEBUG and WP_DEBUG_LOG are on). WP-Cron is off in the
test shop: what reaches the hub without :meth:`RealShop.run_queue` was sent when the request
ended (Action Scheduler's async request).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from browser import Browser, browser  # noqa: F401 - the fixture
from connect_hub.config import parse_config
from connect_hub.embedded import running_hub
from connect_hub.runtime import Runtime
from connect_hub_efulfillment.simulator.server import running_simulator
from connect_hub_woocommerce.auth import WooAuth
from connect_hub_woocommerce.wordpress_plugin import PLUGIN_SLUG, write_zip
from realshop.shop import RealShop
from support import ENV, WAREHOUSE_KEY, Hub, free_port, loop_yaml, wait_for

BASENAME = f"{PLUGIN_SLUG}/{PLUGIN_SLUG}.php"
PLUGIN_MARKS = ("connect-hub-companion", "connect_hub", "Connect_Hub", "Connect Hub", "woocommerce_blocks_checkout_order_processed")
"""What a message of the plugin names: its folder, functions, classes, options, or a hook it used."""
CODE_ENV = "TEST_REALSHOP_PAIRING_CODE"
WAIT = 60.0
"""Seconds to wait for the shop's background work (a loopback request under load)."""


def wait_gently(condition: Any, what: str) -> Any:
    """``wait_for`` for conditions that run PHP (a process each): every half second."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {WAIT}s waiting for {what}")


def plugin_messages(log: str) -> list[str]:
    return [line for line in log.splitlines() if any(mark in line for mark in PLUGIN_MARKS)]


@dataclass
class Companion:
    shop: RealShop
    activation_log: str
    products: dict[str, int]
    uninstalled: bool = False


@pytest.fixture(scope="module")
def companion(realshop: RealShop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Companion]:
    """The plugin unzipped into wp-content/plugins and activated, with DISALLOW_FILE_MODS on (no
    Upload Plugin), as its README tells; a payment method and two products for the checkouts."""
    realshop.define("DISALLOW_FILE_MODS", True)
    archive = write_zip(tmp_path_factory.mktemp("zip"))
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(realshop.content / "plugins")
    before = len(realshop.debug_messages())
    realshop.activate_plugin(BASENAME)
    activation_log = realshop.debug_messages()[before:]
    realshop.php("update_option( 'woocommerce_cod_settings', array( 'enabled' => 'yes', 'title' => 'Cash on delivery', 'enable_for_virtual' => 'yes' ) ); return null;")
    products = {}
    for sku, price in (("CH-MUG", "6.25"), ("CH-POSTER", "12.00")):
        found = realshop.api("GET", "products", params={"sku": sku})
        product = found[0] if found else realshop.api("POST", "products", json={"name": f"Companion {sku}", "sku": sku, "regular_price": price, "virtual": True})
        products[sku] = product["id"]
    installed = Companion(realshop, activation_log, products)
    yield installed
    if not installed.uninstalled:
        realshop.deactivate_plugin(BASENAME, uninstall=True)
    extra = realshop.root / "realshop-extra.php"
    extra.write_text("".join(line for line in extra.read_text().splitlines(keepends=True) if "DISALLOW_FILE_MODS" not in line))


@pytest.fixture(scope="module")
def hub_env(companion: Companion) -> dict[str, str]:
    """The tests' environment with the pairing code the plugin shows now."""
    code = companion.shop.php("return Connect_Hub_Pairing::current_code()['code'];", admin=True)
    return {**os.environ, **ENV, CODE_ENV: code}


@pytest.fixture(scope="module")
def hub(companion: Companion, hub_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub (SQLite, in-process broker) with the real shop and the warehouse simulator; its
    onboarding registers the webhooks and pairs the plugin with ``pairing_code``."""
    shop = companion.shop
    folder = tmp_path_factory.mktemp("hub")
    with running_simulator(port=0, api_key=WAREHOUSE_KEY) as warehouse:
        port = free_port()
        text = loop_yaml(
            account="acme", store=f"sqlite://{folder}/hub.db", broker="memory://", port=port, shop=shop, warehouse_url=warehouse.url,
            shop_extra=f"      pairing_code: ${{{CODE_ENV}}}\n      abandoned_after_minutes: 1\n      requests_per_second: 50",
        )
        text = text.replace("      requests_per_second: 200\n", "", 1)
        config = folder / "hub.yaml"
        config.write_text(text)
        runtime = Runtime(parse_config(text, file=str(config), environ=hub_env), migrate=True)
        with running_hub(runtime, port=port) as process:
            hub = Hub(process)
            wait_gently(lambda: shop.php("return Connect_Hub_Settings::is_paired();"), what="the plugin paired by onboarding")
            yield hub
        for webhook in shop.api("GET", "webhooks", params={"per_page": 100}):
            if webhook["delivery_url"].startswith(f"http://127.0.0.1:{port}/"):
                shop.api("DELETE", f"webhooks/{webhook['id']}", params={"force": "true"})


@pytest.fixture(autouse=True)
def no_plugin_message_in_debug_log(realshop: RealShop) -> Iterator[None]:
    start = len(realshop.debug_messages())
    yield
    assert plugin_messages(realshop.debug_messages()[start:]) == []


def records(hub: Hub, data_type: str) -> list[dict[str, Any]]:
    return hub.api(f"records?data_type={data_type}")["items"]


def checkout_in_hub(hub: Hub, email: str, status: str) -> dict[str, Any] | None:
    return next((r for r in records(hub, "checkouts") if r["data"].get("email") == email and r["data"].get("status") == status), None)


class StoreApi:
    """A shopper's cart through the Store API (what the block checkout calls), one session."""

    def __init__(self, shop: RealShop):
        self.client = httpx.Client(base_url=f"{shop.url}/wp-json/wc/store/v1", timeout=60)
        cart = self.client.get("/cart")
        cart.raise_for_status()
        self.headers = {"Nonce": cart.headers["nonce"], "Cart-Token": cart.headers["cart-token"]}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code < 300, f"{path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def address(self, email: str, first_name: str) -> dict[str, str]:
        return {"first_name": first_name, "last_name": "Shopper", "address_1": "Unter den Linden 1", "city": "Berlin", "postcode": "10117", "country": "DE", "email": email, "phone": ""}


# --- activation and pairing -----------------------------------------------------------------------


def test_activation_and_pairing_by_onboarding(companion: Companion, hub: Hub, hub_env: dict[str, str]) -> None:
    shop = companion.shop
    assert plugin_messages(companion.activation_log) == []
    status = shop.rest("GET", "connect-hub/v1/status").json()
    assert status["paired"] is True and status["hub_url"] == f"{hub.url}/webhooks/shop"
    assert status["woocommerce"] == "9.9.5"
    # Issue 10, defect 8: the used code stays in the configuration; onboarding again is fine.
    again = subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", "onboard", "shop", "--config", str(hub.config_file)],
        capture_output=True, text=True, env={**hub_env, "COLUMNS": "300"}, timeout=180, check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "ok companion plugin paired" in again.stdout and "pairing_code is no longer needed" in again.stdout


def test_rest_routes_refuse_requests_without_or_with_wrong_auth(companion: Companion, hub: Hub) -> None:
    shop = companion.shop
    wrong_key = WooAuth("ck_" + "0" * 40, shop.consumer_secret)
    wrong_secret = WooAuth(shop.consumer_key, "cs_" + "0" * 40)
    routes = [("GET", "status"), ("GET", "orders/1/shipments"), ("POST", "orders/1/shipments"), ("POST", "pair")]
    for method, route in routes:
        for auth in (None, wrong_key, wrong_secret):
            answer = shop.rest(method, f"connect-hub/v1/{route}", auth=auth, json={"code": "X", "hub_url": "http://evil.example/x", "secret": "s", "tracking_number": "X"})
            assert answer.status_code == 401, (method, route, auth and auth.__class__, answer.status_code, answer.text[:300])
    assert shop.rest("GET", "connect-hub/v1/status").status_code == 200
    assert shop.php("return Connect_Hub_Settings::hub_url();") == f"{hub.url}/webhooks/shop", "nothing was changed"


# --- checkouts through the Store API --------------------------------------------------------------


def test_a_store_api_checkout_is_pending_in_the_hub_then_completed_by_its_order(companion: Companion, hub: Hub) -> None:
    shopper = StoreApi(companion.shop)
    email = "cara.checkout@example.test"
    shopper.post("/cart/add-item", {"id": companion.products["CH-MUG"], "quantity": 2})
    shopper.post("/cart/update-customer", {"billing_address": shopper.address(email, "Cara")})
    # No queue run: the request that queued it started the sending (issue 10, defect 9).
    pending = wait_for(lambda: checkout_in_hub(hub, email, "pending"), timeout=WAIT, what="the checkout pending in the hub")
    assert [(line["sku"], line["quantity"]) for line in pending["data"]["lines"]] == [("CH-MUG", 2)]
    assert pending["data"]["first_name"] == "Cara"

    order = shopper.post("/checkout", {"billing_address": shopper.address(email, "Cara"), "payment_method": "cod"})
    completed = wait_for(lambda: checkout_in_hub(hub, email, "completed"), timeout=WAIT, what="the checkout completed in the hub")
    assert completed["key"] == pending["key"]
    assert completed["data"]["order_reference"] == f"shop-{order['order_id']}"


def test_a_checkout_without_order_is_abandoned_after_the_timeout(companion: Companion, hub: Hub) -> None:
    from connect_hub.pipeline.checkouts import abandon_stale

    shopper = StoreApi(companion.shop)
    email = "abe.abandoned@example.test"
    shopper.post("/cart/add-item", {"id": companion.products["CH-POSTER"], "quantity": 1})
    shopper.post("/cart/update-customer", {"billing_address": shopper.address(email, "Abe")})
    wait_for(lambda: checkout_in_hub(hub, email, "pending"), timeout=WAIT, what="the checkout pending in the hub")
    hub.runtime.run(abandon_stale(hub.runtime.account))
    assert checkout_in_hub(hub, email, "pending"), "not before its minute"
    # abandoned_after_minutes is 1: a minute and a second later, as the scheduler would see it.
    hub.runtime.run(abandon_stale(hub.runtime.account, now=datetime.now(UTC) + timedelta(minutes=1, seconds=1)))
    assert checkout_in_hub(hub, email, "abandoned"), records(hub, "checkouts")


# --- the Shipments panel in a real browser ----------------------------------------------------------


def log_in(window: Browser, shop: RealShop) -> None:
    window.open(f"{shop.url}/wp-login.php")
    window.wait_for(lambda: window.find("#user_login"), what="the login form")
    window.fill("#user_login", shop.admin_user)
    window.fill("#user_pass", shop.admin_password)
    window.find("#wp-submit").click()
    window.wait_for(lambda: "/wp-admin/" in window.url and window.find("#wpadminbar"), timeout=WAIT, what="wp-admin")


def place_order(shop: RealShop, companion: Companion, email: str) -> dict[str, Any]:
    return shop.api("POST", "orders", json={
        "status": "processing", "payment_method": "cod", "set_paid": False,
        "billing": {"first_name": "Sam", "last_name": "Shipped", "email": email, "address_1": "Hauptstr. 5", "city": "Köln", "postcode": "50667", "country": "DE"},
        "line_items": [{"product_id": companion.products["CH-MUG"], "quantity": 1}],
    })  # fmt: skip


def open_order(window: Browser, shop: RealShop, order_id: int) -> None:
    window.open(f"{shop.url}/wp-admin/admin.php?page=wc-orders&action=edit&id={order_id}")
    window.wait_for(lambda: window.find("#connect-hub-shipments"), timeout=WAIT, what="the Shipments box")


def click(window: Browser, css: str) -> None:
    """Click as a person would, the element scrolled to the middle (not under the admin bar)."""
    element = window.find(css)
    window.run_js("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def submitted(window: Browser, css: str, ready: str) -> None:
    """Click a submit button and wait for the next page (``ready`` on it, loaded)."""
    window.run_js("document.body.dataset.realshopBefore = '1';")
    click(window, css)
    window.wait_for(
        lambda: window.run_js("return document.readyState === 'complete' && !document.body.dataset.realshopBefore;") and window.find(ready),
        timeout=WAIT, what="the next page",
    )


def save_order(window: Browser, status: str | None = None) -> None:
    if status:  # the status select is enhanced by select2: set the select itself
        window.run_js("jQuery('#order_status').val(arguments[0]).trigger('change');", status)
    submitted(window, "#woocommerce-order-actions button[name='save']", "#connect-hub-shipments")


def test_the_shipments_panel_in_a_browser(companion: Companion, hub: Hub, browser: Browser) -> None:  # noqa: F811
    shop = companion.shop
    order = place_order(shop, companion, "sam.shipped@example.test")
    shop.run_queue()  # the order's webhooks: the hub knows the order
    wait_for(lambda: any(r["key"] == f"order:shop-{order['id']}" for r in records(hub, "orders")), timeout=WAIT, what="the order in the hub")
    shop.clear_mails()
    log_in(browser, shop)
    open_order(browser, shop, order["id"])

    # Issue 10, defect 4: a link that is not http(s) is refused with a message, what was typed kept.
    browser.fill("#connect-hub-provider", "DHL")
    browser.fill("#connect-hub-tracking-number", "JD0001234")
    browser.fill("#connect-hub-tracking-url", "javascript:alert(1)")
    save_order(browser)
    browser.wait_for_text("the tracking link must start with http:// or https://")
    assert browser.find("#connect-hub-tracking-number").get_attribute("value") == "JD0001234"
    assert "No shipment yet." in browser.find("#connect-hub-shipments").text
    browser.screenshot("refused link")

    # One save: the shipment and "Completed" (issue 10, defect 1: the e-mail has the tracking).
    browser.fill("#connect-hub-tracking-url", "https://track.example/JD0001234")
    save_order(browser, status="wc-completed")
    box = browser.find("#connect-hub-shipments").text
    assert "DHL: JD0001234" in box
    local = datetime.now(UTC).astimezone(ZoneInfo(shop.php("return wp_timezone_string();")))
    assert local.strftime("%B %-d, %Y") in box, box  # the shop's date format and time zone (defect 10)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", box), box
    browser.screenshot("shipment added")

    stored = shop.rest("GET", f"connect-hub/v1/orders/{order['id']}/shipments").json()
    assert [(s["provider"], s["tracking_number"], s["tracking_url"], s["source"]) for s in stored] == [("DHL", "JD0001234", "https://track.example/JD0001234", "shop")]
    # The customer's "completed order" e-mail (WooCommerce 9.9: "Your order from ... is on its way!").
    completed = [m for m in shop.mails() if "sam.shipped@example.test" in m["to"]]
    assert len(completed) == 1, [m["subject"] for m in shop.mails()]
    assert "on its way" in completed[0]["subject"] or "complete" in completed[0]["subject"].lower()
    assert "JD0001234" in completed[0]["message"] and "https://track.example/JD0001234" in completed[0]["message"]

    # The hub gets it without a queue run (defect 9), and the panel and a note say so (defect 10).
    shipment = wait_for(lambda: next((r for r in records(hub, "shipments") if r["data"].get("tracking_code") == "JD0001234"), None), timeout=WAIT, what="the shipment in the hub")
    assert shipment["data"]["order_reference"] == f"shop-{order['id']}"
    assert shipment["data"]["carrier"] == "DHL"
    wait_gently(lambda: "Sent to the hub" in shop.php(f"ob_start(); Connect_Hub_Admin::render( wc_get_order( {order['id']} ) ); return ob_get_clean();"), what="the box saying it was sent")
    open_order(browser, shop, order["id"])
    assert f"Sent to the hub ({hub.url}/webhooks/shop)" in browser.find("#connect-hub-shipments").text
    notes = browser.find("#woocommerce-order-notes").text
    assert "Shipment added: DHL JD0001234" in notes and "Shipment JD0001234 sent to the hub" in notes


def test_the_settings_screen_keeps_the_secret_out_of_the_page_and_refuses_a_url_without_http(companion: Companion, hub: Hub, browser: Browser) -> None:  # noqa: F811
    shop = companion.shop
    secret = shop.php("return Connect_Hub_Settings::secret();")
    log_in(browser, shop)
    browser.open(f"{shop.url}/wp-admin/admin.php?page=wc-settings&tab=advanced&section=connect_hub")
    browser.wait_for_text("Paired with")
    page = browser.driver.page_source
    assert secret and secret not in page  # issue 10, defect 7
    assert "Pairing code:" not in browser.text  # defect 8: no fresh code beside "Paired with"
    # Defect 3: a URL typed without http(s):// is refused, the pairing kept.
    browser.fill("#connect_hub_hub_url", "hub.example/webhooks/shop")
    submitted(browser, "p.submit button[name='save']", "#connect_hub_hub_url")
    browser.wait_for_text("must start with http:// or https://")
    browser.screenshot("url refused")
    assert "Paired with" in browser.text
    assert shop.php("return Connect_Hub_Settings::hub_url();") == f"{hub.url}/webhooks/shop"
    assert shop.php("return Connect_Hub_Settings::secret();") == secret, "the empty secret field kept it"


def test_a_shipment_the_hub_refuses_is_kept_and_sent_after_pairing_again(companion: Companion, hub: Hub, hub_env: dict[str, str]) -> None:
    shop = companion.shop
    order = place_order(shop, companion, "rita.refused@example.test")
    shop.run_queue()
    secret = shop.php("return Connect_Hub_Settings::secret();")
    shop.php("update_option( 'connect_hub_secret', 'not-the-hubs-secret', false ); return null;")
    shop.php(f"Connect_Hub_Shipments::add( wc_get_order( {order['id']} ), array( 'provider' => 'UPS', 'tracking_number' => '1ZREFUSED', 'tracking_url' => '', 'external_id' => '' ), 'shop' ); return null;")
    shop.run_queue()
    held = wait_gently(lambda: shop.php("return Connect_Hub_Sender::held();"), what="the refused shipment held")
    assert [h["reason"] for h in held.values()] == ["HTTP 401"]
    assert not any(r["data"].get("tracking_code") == "1ZREFUSED" for r in records(hub, "shipments"))
    # Pairing again by hand, with what `connect-hub wordpress-plugin --pairing shop` shows.
    shown = subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", "wordpress-plugin", "--pairing", "shop", "--config", str(hub.config_file)],
        capture_output=True, text=True, env=hub_env, timeout=120, check=True,
    ).stdout
    url = shown.split("Hub URL:", 1)[1].split()[0]
    given = shown.split("Shared secret:", 1)[1].split()[0]
    assert (url, given) == (f"{hub.url}/webhooks/shop", secret)
    shop.php(f"update_option( 'connect_hub_secret', {json.dumps(given)}, false ); return null;")
    wait_for(lambda: any(r["data"].get("tracking_code") == "1ZREFUSED" for r in records(hub, "shipments")), timeout=WAIT, what="the held shipment in the hub")
    assert shop.php("return Connect_Hub_Sender::held();") == []


def test_uninstall_removes_the_plugins_options_and_queued_work_and_keeps_the_shipments(companion: Companion, hub: Hub) -> None:
    """Last: deleting the plugin in wp-admin runs uninstall.php."""
    shop = companion.shop
    shipped = shop.sql("SELECT COUNT(*) FROM wp_wc_orders_meta WHERE meta_key = '_connect_hub_shipments'")[0][0]
    assert int(shipped) >= 1
    shop.deactivate_plugin(BASENAME, uninstall=True)
    companion.uninstalled = True
    assert shop.sql("SELECT option_name FROM wp_options WHERE option_name LIKE 'connect\\_hub\\_%'") == []
    assert shop.pending_actions("connect_hub_send") == [] and shop.pending_actions("connect_hub_cleanup") == []
    assert not (shop.content / "plugins" / PLUGIN_SLUG).exists()
    assert shop.sql("SELECT COUNT(*) FROM wp_wc_orders_meta WHERE meta_key = '_connect_hub_shipments'")[0][0] == shipped, "order history stays"
