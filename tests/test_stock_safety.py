"""Stock safety: the stock source's figures go out only for SKUs it carries.

A warehouse that carries some of the shop's SKUs (none, at first) is connected to the sandbox
shop over real HTTP: the shop's other SKUs keep their stock, are named once in a notice, and
``onboard``'s preview says beforehand what the first stock sync will change.
"""

from __future__ import annotations

import httpx
from connect_hub.config import parse_config
from connect_hub.pipeline.maintenance import maintain
from connect_hub.runtime import Runtime
from connect_hub.stock_preview import first_stock_sync
from support import Hub, Shop, Warehouse, free_port, loop_yaml, wait_for

SEEDED = {"MUG-1": 40, "POSTER-1": 15, "STICKER-1": 200, "TSHIRT-S": 10, "TSHIRT-M": 12, "TSHIRT-L": 3}
"""The sandbox shop's stock as it is seeded."""


def shop_stock(shop: Shop) -> dict[str, int]:
    return {p["sku"]: p["stock_quantity"] for p in shop.state()["products"] if p["sku"] in SEEDED}


def notices(hub: Hub) -> list[str]:
    return [n["message"] for n in hub.api("notices")["items"] if n["kind"] == "stock_not_carried"]


def test_an_empty_warehouse_changes_no_stock_in_the_shop(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    wait_for(lambda: len(shop.webhooks()) >= 6, timeout=20, what="the hub's webhooks in the shop")
    order_id = shop.place_order([("MUG-1", 1)])
    wait_for(lambda: warehouse.orders(), timeout=20, what="the order at the warehouse")
    wait_for(lambda: hub.api("status")["integrations"]["warehouse"]["deliveries"].get("done"), timeout=20, what="the order delivered")

    stock = shop_stock(shop)
    assert stock == {**SEEDED, "MUG-1": 39}  # the shop's own sale only; nothing set to 0
    assert order_id and hub.deliveries(integration="shop", data_type="stocks") == []


def test_carried_skus_follow_the_warehouse_the_others_keep_their_stock_and_are_named_once(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    shop = Shop(sandbox.url)
    httpx.post(f"{warehouse.url}/_sim/stock", json={"MUG-1": 7, "TSHIRT-M": 4}).raise_for_status()
    hub = make_loop_hub()
    wait_for(lambda: shop_stock(shop)["MUG-1"] == 7 and shop_stock(shop)["TSHIRT-M"] == 4, timeout=20, what="carried stock in the shop")
    wait_for(lambda: len(hub.api("records?data_type=products&limit=500")["items"]) >= 7, timeout=20, what="the catalogue imported")

    account = hub.runtime.account
    hub.runtime.run(maintain(account, "warehouse"))
    hub.runtime.run(maintain(account, "warehouse"))

    assert shop_stock(shop) == {**SEEDED, "MUG-1": 7, "TSHIRT-M": 4}
    [message] = notices(hub)  # once, however many passes
    assert message == (
        "4 SKUs of shop are not carried by warehouse, so their stock in shop is left as it is: "
        "POSTER-1, STICKER-1, TSHIRT-L, TSHIRT-S. Add them to warehouse if it should ship them."
    )


def test_onboard_says_what_the_first_stock_sync_will_change(tmp_path, sandbox, warehouse: Warehouse) -> None:
    httpx.post(f"{warehouse.url}/_sim/stock", json={"MUG-1": 7, "TSHIRT-L": 3, "GIFT-9": 5}).raise_for_status()
    text = loop_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", broker="memory://", port=free_port(), shop=sandbox, warehouse_url=warehouse.url)
    runtime = Runtime(parse_config(text, file=str(tmp_path / "acme.yaml")), migrate=True)
    runtime.start()  # as onboard runs: before any poll or worker could sync a figure
    try:
        account = runtime.account
        [check] = runtime.run(first_stock_sync(account, account.integrations["warehouse"]))
    finally:
        runtime.stop()

    assert check.ok
    assert check.message == (
        "The first stock sync from warehouse sets 1 SKU in shop: MUG-1 40 → 7; 1 already matches; "
        "4 SKUs of shop are not carried by warehouse and keep their stock: POSTER-1, STICKER-1, TSHIRT-M, TSHIRT-S; "
        "1 SKU warehouse carries is not sold in shop."
    )


def test_stock_the_shop_moved_by_itself_is_set_back_to_the_warehouses_figure(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    from connect_hub.manifest import DataType
    from connect_hub.pipeline.polling import run_poll

    shop = Shop(sandbox.url)
    httpx.post(f"{warehouse.url}/_sim/stock", json={"MUG-1": 7}).raise_for_status()
    hub = make_loop_hub()
    wait_for(lambda: shop_stock(shop)["MUG-1"] == 7, timeout=20, what="the warehouse's figure in the shop")
    wait_for(lambda: len(shop.webhooks()) >= 6, timeout=20, what="the hub's webhooks in the shop")  # else only a poll would tell
    httpx.post(f"{sandbox.url}/_sandbox/stock", json={"MUG-1": 9}).raise_for_status()  # a refund put two back
    wait_for(lambda: [r for r in hub.api("records?data_type=products&key=sku:MUG-1")["items"] if r["data"]["stock_quantity"] == 9], timeout=20, what="the shop's product update")

    woken: list[int] = []
    hub.runtime.run(run_poll(hub.runtime.account, "warehouse", DataType.STOCKS, woken.extend))  # the reconciliation
    for event_id in woken:
        hub.runtime.actors.send_import(event_id)

    wait_for(lambda: shop_stock(shop)["MUG-1"] == 7, timeout=20, what="the figure set back")


def test_a_sku_renamed_in_the_shop_gets_no_stock_meant_for_its_old_sku(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    """The stock export keeps SKU -> product id; a shop manager then renames the product's SKU.
    The warehouse's next figure for the old SKU must not land on the product under its new SKU,
    which the warehouse does not carry."""
    shop = Shop(sandbox.url)
    httpx.post(f"{warehouse.url}/_sim/stock", json={"POSTER-1": 7}).raise_for_status()
    hub = make_loop_hub()
    wait_for(lambda: shop_stock(shop)["POSTER-1"] == 7, timeout=20, what="the warehouse's figure in the shop")
    from connect_hub_woocommerce.sandbox.client import SandboxClient

    client = SandboxClient(sandbox.url, sandbox.consumer_key, sandbox.consumer_secret)
    poster = client.product_id("POSTER-1")
    client.ok("PUT", f"/products/{poster}", {"sku": "POSTER-2"})
    httpx.post(f"{warehouse.url}/_sim/stock", json={"POSTER-1": 3}).raise_for_status()
    wait_for(lambda: hub.deliveries(integration="shop", data_type="stocks") and all(
        d["state"] not in ("pending", "running") for d in hub.deliveries(integration="shop", data_type="stocks")
    ) and len(hub.deliveries(integration="shop", data_type="stocks")) >= 2, timeout=20, what="the second figure handled")

    written = [(w["sku"], w["stock_quantity"]) for w in client.stock_writes()]
    assert ("POSTER-2", 3) not in written, written
