"""The WooCommerce connector in a running hub against the sandbox shop, all over real HTTP."""

from __future__ import annotations

import httpx
from connect_hub.canonical import Shipment, Stock
from connect_hub.contracts import Incoming
from connect_hub.pipeline import importing
from support import Hub, Shop, Warehouse, wait_for

TOPICS = {"order.created", "order.updated", "product.created", "product.updated", "customer.created", "customer.updated"}


def merge_from_warehouse(hub: Hub, obj, external_id: str) -> list[int]:
    """Bring an object into the hub as if the warehouse had reported it, and wake the exports."""

    async def go() -> list[int]:
        return await importing.merge(hub.runtime.account, "warehouse", Incoming(obj=obj, external_id=external_id), None)

    ids = hub.runtime.run(go())
    for delivery_id in ids:
        hub.runtime.actors.send_export(delivery_id)
    return ids


def test_onboarding_registers_the_webhooks_and_the_shop_pings_the_hub(make_loop_hub, sandbox) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    hooks = wait_for(lambda: len(shop.webhooks()) >= len(TOPICS) and shop.webhooks(), timeout=20, what="the webhooks in the shop")
    assert {h["topic"] for h in hooks} == TOPICS
    assert all(h["status"] == "active" and h["delivery_url"] == f"{hub.url}/webhooks/shop" for h in hooks)
    assert hub.api("notices")["items"] == []  # every onboarding check passed


def test_an_order_placed_in_the_shop_reaches_the_warehouse(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    shop = Shop(sandbox.url)
    make_loop_hub()
    wait_for(lambda: len(shop.webhooks()) >= len(TOPICS), timeout=20, what="webhooks")
    order_id = shop.place_order([("MUG-1", 2), ("TSHIRT-M", 1)])
    orders = wait_for(warehouse.orders, timeout=20, what="the order at the warehouse")
    assert orders[0]["reference"] == f"shop-{order_id}"
    assert sorted((line["sku"], line["quantity"]) for line in orders[0]["lines"]) == [("MUG-1", 2), ("TSHIRT-M", 1)]


def test_the_first_product_import_takes_the_catalogue_with_variations(make_loop_hub, sandbox) -> None:
    hub = make_loop_hub(at_start=False)
    records = wait_for(lambda: [r for r in hub.api("records?data_type=products")["items"] if r["key"] == "sku:TSHIRT-M"], timeout=20, what="the variation's product record")
    assert records[0]["data"]["parent_sku"] == "TSHIRT"
    skus = {r["key"] for r in hub.api("records?data_type=products&limit=500")["items"]}
    assert {"sku:MUG-1", "sku:POSTER-1", "sku:TSHIRT", "sku:TSHIRT-S", "sku:TSHIRT-L"} <= skus


def test_stock_figures_reach_simple_products_and_variations(make_loop_hub, sandbox) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub(at_start=False)
    merge_from_warehouse(hub, Stock(sku="MUG-1", quantity=7), "MUG-1")
    merge_from_warehouse(hub, Stock(sku="TSHIRT-L", quantity=3), "TSHIRT-L")
    wait_for(lambda: shop.product("MUG-1")["stock_quantity"] == 7 and shop.product("TSHIRT-L")["stock_quantity"] == 3, timeout=20, what="stock in the shop")


def test_a_shipment_completes_the_order_with_one_tracking_note(make_loop_hub, sandbox, warehouse: Warehouse) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    wait_for(lambda: len(shop.webhooks()) >= len(TOPICS), timeout=20, what="webhooks")
    order_id = shop.place_order([("POSTER-1", 1)])
    wait_for(warehouse.orders, timeout=20, what="the order at the warehouse")
    shipment = Shipment(order_reference=f"shop-{order_id}", carrier="DHL", tracking_code="JD0001", tracking_url="https://track.example/JD0001")
    [delivery_id] = merge_from_warehouse(hub, shipment, "WH-1:JD0001")
    wait_for(lambda: shop.order(order_id)["status"] == "completed", timeout=20, what="the order completed in the shop")
    notes = [n for n in shop.order(order_id)["notes"] if "JD0001" in str(n)]
    assert len(notes) == 1

    async def replay() -> None:  # the same shipment exported again adds no second note
        from connect_hub.store.models import Delivery, Link

        await Link.filter(account="acme", integration="shop", data_type="shipments").update(last_export_hash="forgotten")
        await Delivery.filter(id=delivery_id).update(state="failed")

    hub.runtime.run(replay())
    assert hub.api(f"deliveries/{delivery_id}/replay", method="POST")["replayed"] == [delivery_id]
    wait_for(lambda: hub.api(f"deliveries/{delivery_id}")["state"] == "done", timeout=20, what="the replayed shipment")
    assert len([n for n in shop.order(order_id)["notes"] if "JD0001" in str(n)]) == 1


def test_the_watchdog_replaces_a_disabled_webhook_and_says_so(make_loop_hub, sandbox) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    hooks = wait_for(lambda: len(shop.webhooks()) >= len(TOPICS) and shop.webhooks(), timeout=20, what="webhooks")
    victim = next(h for h in hooks if h["topic"] == "order.updated")

    sandbox.state.webhooks.records[victim["id"]]["status"] = "disabled"  # as the shop does after 7 failures
    hub.runtime.actors.maintain.send("shop")
    notices = wait_for(lambda: hub.api("notices")["items"], timeout=20, what="a notice")
    assert any("order.updated" in n["message"] for n in notices)
    active = [h for h in shop.webhooks() if h["topic"] == "order.updated" and h["status"] == "active"]
    assert len(active) == 1 and active[0]["id"] != victim["id"]


def test_the_import_command_streams_the_first_import_with_progress(tmp_path, sandbox, warehouse: Warehouse) -> None:
    import os
    import subprocess
    import sys

    from support import ENV, free_port, loop_yaml

    text = loop_yaml(account="acme", store=f"sqlite://{tmp_path}/cli.db", broker="memory://", port=free_port(), shop=sandbox, warehouse_url=warehouse.url, at_start=False)
    (tmp_path / "acme.yaml").write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", "import", "shop", "products", "--config", str(tmp_path / "acme.yaml")],
        capture_output=True, text=True, env={**os.environ, **ENV, "COLUMNS": "120"}, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "7 products fetched from shop; 0 failed" in result.stdout
    assert "imported" in result.stdout and "7/7" in result.stdout


def test_the_import_command_says_when_the_shop_stopped_the_poll_and_exits_non_zero(tmp_path, sandbox, warehouse: Warehouse) -> None:
    import os
    import subprocess
    import sys

    from support import ENV, free_port, loop_yaml

    text = loop_yaml(account="acme", store=f"sqlite://{tmp_path}/cli.db", broker="memory://", port=free_port(), shop=sandbox, warehouse_url=warehouse.url, at_start=False)
    (tmp_path / "acme.yaml").write_text(text)
    httpx.post(f"{sandbox.url}/_sandbox/faults", json={"status": 401, "count": -1, "path_prefix": "/wp-json/wc/v3/products"}).raise_for_status()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "connect_hub.cli", "import", "shop", "products", "--config", str(tmp_path / "acme.yaml")],
            capture_output=True, text=True, env={**os.environ, **ENV, "COLUMNS": "120"}, timeout=120, check=False,
        )
    finally:
        httpx.delete(f"{sandbox.url}/_sandbox/faults").raise_for_status()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "0 products fetched from shop" in result.stdout
    assert "the import of products from shop stopped:" in result.stderr and "run the command again" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr



def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of a process's children, from /proc."""
    from pathlib import Path

    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append((int(child), Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()))
    return found


def test_the_import_command_imports_in_a_second_process_and_takes_over_when_that_one_dies(tmp_path, sandbox, warehouse: Warehouse) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys

    from support import ENV, free_port, loop_yaml

    httpx.post(f"{sandbox.url}/_sandbox/seed", json={"extra_products": 3000}).raise_for_status()
    expected = 7 + 3000  # the seed's simple products, T-shirt and its variations, and the extra ones
    text = loop_yaml(account="acme", store=f"sqlite://{tmp_path}/cli.db", broker="memory://", port=free_port(), shop=sandbox, warehouse_url=warehouse.url, at_start=False)
    (tmp_path / "acme.yaml").write_text(text)
    command = subprocess.Popen(
        [sys.executable, "-m", "connect_hub.cli", "import", "shop", "products", "--config", str(tmp_path / "acme.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV, "COLUMNS": "120"},
    )

    def records() -> int:
        try:
            with sqlite3.connect(f"file:{tmp_path}/cli.db?mode=ro", uri=True, timeout=5) as db:
                return db.execute("SELECT COUNT(*) FROM hub_record WHERE data_type = 'products'").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0

    try:
        # when: the second process has imported part of the catalogue, and dies
        wait_for(lambda: records() >= 200, timeout=60, what="the first 200 products imported")
        [(importer, _)] = [(pid, cmd) for pid, cmd in _children(command.pid) if "multiprocessing.spawn" in cmd and "resource_tracker" not in cmd]
        os.kill(importer, signal.SIGKILL)
        assert records() < expected, "the import was over before the test could stop its second process"
        out, err = command.communicate(timeout=120)
    finally:
        if command.poll() is None:
            command.kill()
    # then: the command imports the rest itself, says so, and every product is a record once
    assert command.returncode == 0, err
    assert "the import process stopped" in out and "this one imports the rest" in out
    assert f"{expected} products fetched from shop; 0 failed" in out
    assert "Traceback" not in out + err
    with sqlite3.connect(f"file:{tmp_path}/cli.db?mode=ro", uri=True) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM hub_record WHERE data_type = 'products'").fetchone() == (expected, expected)
        assert db.execute("SELECT state, COUNT(*) FROM hub_event GROUP BY state").fetchall() == [("done", expected)]
