"""The companion plugin: its topics parsed, shipments written through it once, pairing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from connect_hub.canonical import Shipment
from connect_hub.contracts import ExportRequest, ExportResult
from connect_hub.errors import MappingError
from connect_hub_woocommerce import companion, hooks, webhooks
from connect_hub_woocommerce.client import WooClient

SHOP = "https://shop.example"
PLUGIN = f"{SHOP}/wp-json/connect-hub/v1"
API = f"{SHOP}/wp-json/wc/v3"
NO_ROUTE = {"code": "rest_no_route", "message": "No route was found matching the URL and request method.", "data": {"status": 404}}  # fmt: skip
CHECKOUT = {
    "id": "6f1c8a0e-2f4b-4a43-9a55-0b8f3c1d2e7a", "status": "pending", "email": "cara@example.test",
    "first_name": "Cara", "last_name": "Cart", "currency": "EUR", "total": "12.50",
    "lines": [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "price": "6.25"}],
    "recovery_url": "https://shop.example/checkout/?cart=1", "updated_at_gmt": "2026-11-27T22:13:54Z",
}  # fmt: skip
SHOP_SHIPMENT = {
    "order_id": 123, "order_number": "123",
    "shipment": {"id": "0b5e7d2a", "provider": "DHL", "tracking_number": "JD014600", "tracking_url": "https://dhl.example/JD014600",
                 "created_at_gmt": "2026-11-28T09:00:00Z", "source": "shop"},
}  # fmt: skip


def parse(integration, make_event, topic: str, data: dict):
    return webhooks.parse(integration, make_event(topic=topic, body=json.dumps(data).encode()))


def test_a_checkout_update_is_a_pending_checkout_linked_by_its_id(integration, make_event):
    [item] = parse(integration, make_event, "checkout.updated", CHECKOUT)
    checkout = item.obj
    assert item.external_id == checkout.reference == CHECKOUT["id"]
    assert (checkout.status, checkout.email, checkout.first_name, checkout.total) == ("pending", "cara@example.test", "Cara", Decimal("12.50"))
    assert (checkout.lines[0].sku, checkout.lines[0].unit_price, checkout.lines[0].total) == ("MUG-1", Decimal("6.25"), Decimal("12.50"))
    assert checkout.modified_at == datetime(2026, 11, 27, 22, 13, 54, tzinfo=UTC)


def test_a_completed_checkout_names_its_order(integration, make_event):
    [item] = parse(integration, make_event, "checkout.completed", {**CHECKOUT, "status": "completed", "order_id": 123})
    assert (item.obj.status, item.obj.order_reference) == ("completed", "shop-123")


def test_a_checkout_with_an_unknown_status_is_refused(integration, make_event):
    with pytest.raises(MappingError, match="status 'lost' is none of pending, completed"):
        parse(integration, make_event, "checkout.updated", {**CHECKOUT, "status": "lost"})


def test_a_shipment_entered_in_the_shop_names_the_order_and_the_shops_order_id(integration, make_event):
    [item] = parse(integration, make_event, "shipment.created", SHOP_SHIPMENT)
    assert item.external_id == "0b5e7d2a" and item.related == {"order": "123"}
    assert item.obj == Shipment(
        order_reference="shop-123", carrier="DHL", tracking_code="JD014600", tracking_url="https://dhl.example/JD014600",
        shipped_at=datetime(2026, 11, 28, 9, tzinfo=UTC), modified_at=datetime(2026, 11, 28, 9, tzinfo=UTC),
    )  # fmt: skip


def test_a_shipment_the_hub_wrote_is_no_news(integration, make_event):
    hubs_own = {**SHOP_SHIPMENT, "shipment": {**SHOP_SHIPMENT["shipment"], "source": "hub"}}
    assert parse(integration, make_event, "shipment.created", hubs_own) == []


def test_an_order_carries_the_checkout_it_was_placed_from(integration, make_event, load_received):
    _, body = load_received("0013")
    data = json.loads(body)
    data["meta_data"] = [*data.get("meta_data", []), {"id": 9, "key": "_connect_hub_checkout_id", "value": CHECKOUT["id"]}]
    orders = [i.obj for i in parse(integration, make_event, "order.updated", data) if i.data_type == "orders"]
    assert orders[0].checkout_reference == CHECKOUT["id"]


# --- Shipments through the plugin -------------------------------------------------------------


async def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
async def shop(integration):
    shop = replace(integration, resources={})
    shop.resources["client"] = WooClient(SHOP, "ck_x", "cs_x", name="acme/shop", requests_per_second=0, sleep=no_sleep)
    yield shop
    await shop.resources["client"].aclose()


def shipment_request(record_id: int = 42) -> ExportRequest:
    parcel = Shipment(order_reference="shop-19", carrier="UPS", tracking_code="1Z999", tracking_url="https://ups.example/1Z999")
    return ExportRequest(data_type=parcel.data_type, record_id=record_id, version=1, obj=parcel, external_id=None, last_export_hash=None, related={"order": "19"})


async def test_with_the_plugin_a_shipment_goes_through_its_route_with_the_hubs_id(shop, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json={"version": "0.1.0", "paired": True})
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/orders/19/shipments", status_code=201, json={"id": "a1"})
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/orders/19/shipments", status_code=200, json={"id": "a1"})
    httpx_mock.add_response(method="PUT", url=f"{API}/orders/19", json={"id": 19}, is_reusable=True)

    first = await hooks.hub_export(integration=shop, request=shipment_request())
    replayed = await hooks.hub_export(integration=shop, request=shipment_request())

    assert first == replayed == ExportResult(external_id="19/shipments/a1")
    posts = [json.loads(r.content) for r in httpx_mock.get_requests() if r.method == "POST"]
    assert posts[0] == posts[1] == {"provider": "UPS", "tracking_number": "1Z999", "tracking_url": "https://ups.example/1Z999", "external_id": "connect-hub-42"}
    assert [r.method for r in httpx_mock.get_requests()].count("GET") == 1  # the plugin's presence is kept a while
    assert [json.loads(r.content) for r in httpx_mock.get_requests() if r.method == "PUT"] == [{"status": "completed"}] * 2
    assert not any("/notes" in r.url.path or "shipment-tracking" in r.url.path for r in httpx_mock.get_requests())


async def test_the_plugins_presence_is_asked_again_after_a_while(shop, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", status_code=404, json=NO_ROUTE)
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json={"version": "0.1.0", "paired": True})
    client = shop.resources["client"]
    assert await companion.plugin_present(client, shop, clock=lambda: 0.0) is False
    assert await companion.plugin_present(client, shop, clock=lambda: 10.0) is False
    assert await companion.plugin_present(client, shop, clock=lambda: companion.STATUS_TTL + 1) is True


# --- Pairing ----------------------------------------------------------------------------------


@pytest.fixture
def pairing_shop(shop):
    return replace(shop, settings={**shop.settings, "pairing_code": "PAIR-9"}, public_url="https://hub.example")


async def test_pairing_sends_the_code_the_hubs_webhook_address_and_the_secret(pairing_shop, httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/pair", json={"paired": True})
    check = await companion.pair(pairing_shop.resources["client"], pairing_shop)
    assert check.ok and check.name == "companion plugin paired"
    [sent] = [json.loads(r.content) for r in httpx_mock.get_requests()]
    assert sent == {"code": "PAIR-9", "hub_url": "https://hub.example/webhooks/shop", "secret": "verify-secret-123"}
    assert "verify-secret-123" not in check.message


async def test_pairing_without_the_plugin_says_to_install_it(pairing_shop, httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/pair", status_code=404, json=NO_ROUTE)
    check = await companion.pair(pairing_shop.resources["client"], pairing_shop)
    assert not check.ok and "install and activate the Connect Hub plugin" in check.message


async def test_a_wrong_pairing_code_is_one_sentence_naming_the_setting(pairing_shop, httpx_mock):
    refused = {"code": "connect_hub_invalid_pairing_code", "message": "The pairing code is not the one this shop shows.", "data": {"status": 403}}
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/pair", status_code=403, json=refused)
    check = await companion.pair(pairing_shop.resources["client"], pairing_shop)
    assert not check.ok and "pairing_code" in check.message and "PAIR-9" not in check.message


# --- Issue 10: messages, pairing seen from onboarding --------------------------------------

HUB_URL = "https://hub.example/webhooks/shop"
OUR_FINGERPRINT = "bbc24d76"  # sha256("connect-hub-webhook:verify-secret-123")[:8], as the plugin reports it


def plugin_status(**changes) -> dict:
    return {"plugin": "connect-hub-companion", "version": "1.0.0", "paired": True, "hub_url": HUB_URL,
            "woocommerce": "9.9.5", "secret_fingerprint": OUR_FINGERPRINT, **changes}  # fmt: skip


def test_the_fingerprint_is_the_one_the_plugin_reports():
    from connect_hub_woocommerce.watchdog import secret_fingerprint

    assert secret_fingerprint("verify-secret-123") == OUR_FINGERPRINT


def test_no_hub_message_points_at_a_screen_the_plugin_does_not_have():
    """The plugin's screen is WooCommerce > Settings > Advanced > Connect Hub."""
    from pathlib import Path

    import connect_hub_woocommerce

    package = Path(connect_hub_woocommerce.__file__).parent
    wrong = [str(p.relative_to(package)) for p in package.rglob("*.py") if "WooCommerce > Connect Hub" in p.read_text()]
    assert wrong == []
    from connect_hub_woocommerce.manifest import MANIFEST

    [setting] = [s for s in MANIFEST.settings if s.name == "pairing_code"]
    assert "WooCommerce > Settings > Advanced > Connect Hub" in setting.description


async def test_a_refused_code_names_the_plugins_settings_screen_and_the_way_by_hand(pairing_shop, httpx_mock):
    refused = {"code": "connect_hub_pairing_invalid_code", "message": "The pairing code is wrong, expired or used already.", "data": {"status": 403}}
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status(paired=False, hub_url="", secret_fingerprint=""))
    httpx_mock.add_response(method="POST", url=f"{PLUGIN}/pair", status_code=403, json=refused)
    check = await companion.check(pairing_shop.resources["client"], pairing_shop)
    assert not check.ok
    assert "WooCommerce > Settings > Advanced > Connect Hub" in check.message
    assert "connect-hub wordpress-plugin --pairing shop" in check.message


async def test_once_paired_a_used_code_left_in_the_configuration_is_not_sent_again(pairing_shop, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status())
    check = await companion.check(pairing_shop.resources["client"], pairing_shop)
    assert check.ok, check.message
    assert "pairing_code is no longer needed" in check.message
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]  # no POST /pair, no 403


async def test_without_a_code_onboarding_still_looks_for_the_plugin(shop, httpx_mock):
    shop = replace(shop, public_url="https://hub.example")
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status())
    check = await companion.check(shop.resources["client"], shop)
    assert check.ok and HUB_URL in check.message


async def test_an_unpaired_plugin_without_a_code_says_how_to_pair_it(shop, httpx_mock):
    shop = replace(shop, public_url="https://hub.example")
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status(paired=False, hub_url="", secret_fingerprint=""))
    check = await companion.check(shop.resources["client"], shop)
    assert not check.ok
    assert "not paired" in check.message and "pairing_code" in check.message
    assert "connect-hub wordpress-plugin --pairing shop" in check.message


async def test_a_plugin_paired_elsewhere_or_with_another_secret_is_a_failed_check(shop, httpx_mock):
    shop = replace(shop, public_url="https://hub.example")
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status(hub_url="https://old-hub.example/webhooks/shop"))
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", json=plugin_status(secret_fingerprint="0badf00d"))
    elsewhere = await companion.check(shop.resources["client"], shop)
    assert not elsewhere.ok and "sends to https://old-hub.example/webhooks/shop, not to https://hub.example/webhooks/shop" in elsewhere.message
    other_secret = await companion.check(shop.resources["client"], shop)
    assert not other_secret.ok and "another secret" in other_secret.message
    assert "verify-secret-123" not in elsewhere.message + other_secret.message


async def test_without_plugin_and_code_there_is_nothing_to_check(shop, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{PLUGIN}/status", status_code=404, json=NO_ROUTE)
    assert await companion.check(shop.resources["client"], shop) is None
