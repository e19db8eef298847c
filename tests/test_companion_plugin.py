"""Shipments through the companion plugin: routed to where the order came from, written once.

Routing at the pipeline level (SQLite), then over real HTTP with the sandbox shop's companion
plugin, a second sandbox shop as the marketplace the orders come from, and the warehouse.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from connect_hub.account import Account, build_account
from connect_hub.canonical import Order, OrderLine, Shipment
from connect_hub.config import parse_config
from connect_hub.contracts import Incoming
from connect_hub.pipeline import importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, Link, Record
from connect_hub_woocommerce.sandbox.server import running_sandbox
from support import ENV, Hub, Shop, Warehouse, account_yaml, wait_for
from test_shop_against_sandbox import TOPICS, merge_from_warehouse

MARKET = """
  market:
    connector: woocommerce
    preset: shop-with-efulfillment
    settings:
      url: {url}
      api_key: ${{TEST_MARKET_KEY:-ck_demo}}
      api_secret: ${{TEST_MARKET_SECRET:-cs_demo}}
      requests_per_second: 200
"""


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[None]:
    await open_store(f"sqlite://{tmp_path}/store.db", apply_migrations=True)
    yield
    await close_store()


def make_account() -> Account:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra=MARKET.format(url="https://market.example"))
    return build_account(parse_config(text, environ=ENV), Plugins.load())


def order(source: str, number: str) -> Order:
    return Order(reference=f"{source}-{number}", source=source, number=number, status="processing", currency="EUR", total=Decimal(5), lines=[OrderLine(sku="MUG-1", quantity=1)])


def shipment(order_reference: str, code: str = "TRACK-1") -> Shipment:
    return Shipment(order_reference=order_reference, carrier="DHL", tracking_code=code)


async def targets_of(account: Account, ids: list[int]) -> set[str]:
    return {(await Delivery.get(id=i)).integration for i in ids}


async def test_a_shipment_goes_only_to_the_integration_its_order_came_from(store) -> None:
    account = make_account()
    await importing.merge(account, "market", Incoming(order("market", "5"), "5"), None)
    await importing.merge(account, "shop", Incoming(order("shop", "7"), "7"), None)

    shop_entered = await importing.merge(account, "shop", Incoming(shipment("market-5"), "s-1"), None)
    assert await targets_of(account, shop_entered) == {"market"}
    from_the_warehouse = await importing.merge(account, "warehouse", Incoming(shipment("shop-7"), "w-1"), None)
    assert await targets_of(account, from_the_warehouse) == {"shop"}
    for_its_own_order = await importing.merge(account, "shop", Incoming(shipment("shop-7", "TRACK-2"), "s-2"), None)
    assert for_its_own_order == []  # the order's source is the shipment's source: no echo


async def test_a_shipment_for_an_unknown_order_goes_to_every_exporter_but_its_source(store) -> None:
    account = make_account()
    ids = await importing.merge(account, "warehouse", Incoming(shipment("elsewhere-1"), "w-9"), None)
    assert await targets_of(account, ids) == {"shop", "market"}


async def test_a_shop_shipment_for_an_order_the_hub_placed_there_is_for_that_order(store) -> None:
    account = make_account()
    await importing.merge(account, "market", Incoming(order("market", "5"), "5"), None)
    record = await Record.get(account=account.name, key="order:market-5")
    await Link.create(account=account.name, integration="shop", data_type="orders", external_id="900", record_id=record.id)
    body = json.dumps({
        "order_id": 900, "order_number": "900",
        "shipment": {"id": "0b5e", "provider": "DHL", "tracking_number": "SHOP-1", "tracking_url": "", "created_at_gmt": "2026-11-27T22:13:54Z", "source": "shop"},
    }).encode()  # fmt: skip
    ids = await importing.import_event(account, await store_event(account.name, "shop", "shipment.created", {}, body))
    [record] = await Record.filter(account=account.name, data_type="shipments")
    assert record.data["order_reference"] == "market-5"
    assert await targets_of(account, ids) == {"market"}


def test_a_warehouse_shipment_is_written_through_the_plugin_once_even_on_replay(make_companion_hub, companion_sandbox, warehouse: Warehouse) -> None:
    shop = Shop(companion_sandbox.url)
    hub: Hub = make_companion_hub()
    wait_for(lambda: len(shop.webhooks()) >= len(TOPICS) and shop.state()["companion"]["paired"], timeout=20, what="webhooks and pairing")
    order_id = shop.place_order([("POSTER-1", 1)])
    wait_for(warehouse.orders, timeout=20, what="the order at the warehouse")
    parcel = Shipment(order_reference=f"shop-{order_id}", carrier="DHL", tracking_code="JD0002", tracking_url="https://track.example/JD0002")
    [delivery_id] = merge_from_warehouse(hub, parcel, "WH-1:JD0002")
    wait_for(lambda: shop.order(order_id)["status"] == "completed", timeout=20, what="the order completed in the shop")
    [written] = shop.order(order_id)["shipments"]
    assert (written["tracking_number"], written["provider"], written["source"]) == ("JD0002", "DHL", "hub")
    assert written["external_id"].startswith("connect-hub-")
    assert not [n for n in shop.order(order_id)["notes"] if "JD0002" in str(n)]  # the plugin shows it, not a note

    async def forget() -> None:  # as if the export had never been recorded
        await Link.filter(account="acme", integration="shop", data_type="shipments").update(last_export_hash="forgotten")
        await Delivery.filter(id=delivery_id).update(state="failed")

    hub.runtime.run(forget())
    assert hub.api(f"deliveries/{delivery_id}/replay", method="POST")["replayed"] == [delivery_id]
    wait_for(lambda: hub.api(f"deliveries/{delivery_id}")["state"] == "done", timeout=20, what="the replayed shipment")
    assert len(shop.order(order_id)["shipments"]) == 1
    # The plugin announced the hub's own shipment (source hub): no news, no second record.
    wait_for(lambda: any(d["topic"] == "shipment.created" for d in httpx.get(f"{shop.url}/_sandbox/deliveries").json()), timeout=20, what="shipment.created sent")
    wait_for(lambda: all(e["state"] == "done" for e in hub.events()), timeout=20, what="events imported")
    assert len(hub.api("records?data_type=shipments")["items"]) == 1


def test_a_shipment_entered_in_the_shop_reaches_the_marketplace_the_order_came_from(make_companion_hub, companion_sandbox) -> None:
    shop = Shop(companion_sandbox.url)
    with running_sandbox(port=0, seed=True, queue_interval=0.2) as market_sandbox:
        market = Shop(market_sandbox.url)
        hub: Hub = make_companion_hub(extra=MARKET.format(url=market.url), more_shop="    flows: {orders: {import: false}}")
        wait_for(lambda: len(market.webhooks()) >= len(TOPICS) and shop.state()["companion"]["paired"], timeout=20, what="onboarding")
        market_order = market.place_order([("MUG-1", 1)])
        record = wait_for(lambda: next((r for r in hub.api("records?data_type=orders")["items"] if r["key"] == f"order:market-{market_order}"), None), timeout=20, what="the marketplace order in the hub")
        shop_order = shop.place_order([("MUG-1", 1)])  # the copy the shop fulfils, placed by the hub
        hub.runtime.run(Link.create(account="acme", integration="shop", data_type="orders", external_id=str(shop_order), record_id=record["id"]))

        entered = {"provider": "DHL", "tracking_number": "SHOP-77", "tracking_url": "https://track.example/SHOP-77"}
        httpx.post(f"{shop.url}/_sandbox/orders/{shop_order}/shipments", json=entered).raise_for_status()

        wait_for(lambda: market.order(market_order)["status"] == "completed", timeout=20, what="the marketplace order completed")
        assert len([n for n in market.order(market_order)["notes"] if "SHOP-77" in n["note"]]) == 1
        [shipment_record] = hub.api("records?data_type=shipments")["items"]
        assert shipment_record["data"]["order_reference"] == f"market-{market_order}"
        assert {d["integration"] for d in hub.deliveries(data_type="shipments")} == {"market"}
