"""The whole loop over real HTTP: sandbox shop -> hub -> warehouse -> hub -> sandbox shop.

Checks the final state of both sides: every order at the warehouse once, every shipped order
completed in the shop with one tracking note, every stock figure equal on both sides; a
warehouse answering 500s and 429s for a while delays but loses nothing; a cancelled order never
ships. The same scenario runs embedded and in production shape (Redis, PostgreSQL, two worker
processes).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from connect_hub.config import parse_config
from connect_hub.demo import Demo, Snapshot, for_world
from connect_hub.world import running_world
from support import ENV, Processes, free_port, loop_yaml, wait_until_ready

pytestmark = pytest.mark.slow


def scenario(demo: Demo, warehouse_url: str, *, timeout: float = 60) -> Snapshot:
    """Orders with simple and variable products, a warehouse that fails for a while, a cancel."""
    demo.wait_for_onboarding()
    demo.stock_the_warehouse()
    httpx.post(f"{warehouse_url}/_sim/faults", json={"status": 500, "count": 3, "path_prefix": "/api/v1/orders", "method": "POST"}).raise_for_status()
    httpx.post(f"{warehouse_url}/_sim/faults", json={"status": 429, "count": 2, "retry_after": 1, "path_prefix": "/api/v1/orders", "method": "POST"}).raise_for_status()
    for _ in range(4):
        demo.place_order()
    cancelled = demo.place_order()
    demo.cancel_in_shop(cancelled)
    deadline = time.monotonic() + timeout
    snap = demo.snapshot()
    while time.monotonic() < deadline and not demo.settled(snap):
        time.sleep(0.5)
        snap = demo.snapshot()
    return snap


def assert_loop_closed(demo: Demo, snap: Snapshot) -> None:
    shipped = [o for o in demo.progress.orders if o not in demo.progress.cancelled]
    for order_id in shipped:
        reference = f"{demo.shop_name}-{order_id}"
        assert snap.warehouse_orders[reference].extra["create_requests"] >= 1
        assert snap.warehouse_orders[reference].status == "shipped"
        order = snap.shop_orders[order_id]
        assert order.status == "completed", f"order {order_id} is {order.status}"
        assert len(order.tracking) == 1, order.extra["notes"]
    references = [o.reference for o in snap.warehouse_orders.values()]
    assert len(references) == len(set(references))  # every order at the warehouse once
    for order_id in demo.progress.cancelled:
        at_warehouse = snap.warehouse_orders.get(f"{demo.shop_name}-{order_id}")
        assert at_warehouse is None or at_warehouse.status == "cancelled"
        assert snap.shop_orders[order_id].status == "cancelled"
    assert demo.stock_levels and set(demo.stock_levels) <= set(snap.shop_stock)
    for sku in demo.stock_levels:
        assert snap.shop_stock[sku] == snap.warehouse_stock[sku], sku
    assert demo.settled(snap)
    assert not any(state in ("failed", "dead") for (_, _, state) in snap.deliveries)


def test_the_loop_closes_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    text = _world_yaml(tmp_path, store=f"sqlite://{tmp_path}/hub.db", broker="memory://")
    with running_world(parse_config(text, file="loop.yaml"), pace=1.0) as world:
        assert [type(s).__name__ for s in world.simulators.values()] == ["SandboxShop", "SimulatedWarehouse"]
        demo = for_world(world)
        snap = scenario(demo, world.simulators["warehouse"].url)
        assert_loop_closed(demo, snap)


def _world_yaml(tmp_path: Path, *, store: str, broker: str, port: int | None = None) -> str:
    class Shop:
        url = f"http://127.0.0.1:{free_port()}"
        consumer_key = "ck_loop_test"
        consumer_secret = "cs_loop_test"

    return loop_yaml(
        account=f"loop-{uuid.uuid4().hex[:8]}", store=store, broker=broker, port=port or free_port(),
        shop=Shop, warehouse_url=f"http://127.0.0.1:{free_port()}",
    )


def api_counts(hub_url: str) -> dict[tuple[str, str, str], int]:
    """The hub's deliveries by (integration, data type, state), read through the admin API."""
    counts: dict[tuple[str, str, str], int] = {}
    after = 0
    while True:
        page = httpx.get(f"{hub_url}/api/v1/deliveries", params={"after": after, "limit": 500}, headers={"authorization": f"Bearer {ENV['TEST_ADMIN_TOKEN']}"}).json()
        for d in page["items"]:
            key = (d["integration"], d["data_type"], d["state"])
            counts[key] = counts.get(key, 0) + 1
        if page["next_after"] is None:
            return counts
        after = page["next_after"]


def test_the_loop_closes_in_production_shape(tmp_path: Path, postgres: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_hub_efulfillment.simulator.role import SimulatedWarehouse
    from connect_hub_efulfillment.simulator.server import running_simulator
    from connect_hub_woocommerce.sandbox.keys import ApiKey
    from connect_hub_woocommerce.sandbox.server import running_sandbox
    from connect_hub_woocommerce.simulator import SandboxShop

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    text = _world_yaml(tmp_path, store=postgres, broker=redis_url, port=port)
    config = parse_config(text, file="loop.yaml")
    shop_settings = config.integrations["shop"].settings
    shop_port = int(shop_settings["url"].rsplit(":", 1)[1])
    warehouse_port = int(config.integrations["warehouse"].settings["url"].rsplit(":", 1)[1])
    file = tmp_path / "production-loop.yaml"
    file.write_text(text)
    procs = Processes(file, tmp_path)
    key = ApiKey("ck_loop_test", "cs_loop_test")
    with running_sandbox(port=shop_port, keys=(key,), seed=True, queue_interval=0.2) as shop, running_simulator(port=warehouse_port, api_key=ENV["TEST_WAREHOUSE_KEY"], ship_after=1.0) as warehouse:
        assert procs.cli("migrate", "--config", str(file)).returncode == 0
        procs.start("service", "serve")
        procs.start("worker-1", "worker")
        procs.start("worker-2", "worker")
        hub_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(hub_url)
            demo = Demo(("shop", SandboxShop("shop", shop)), ("warehouse", SimulatedWarehouse(warehouse)), lambda: api_counts(hub_url))
            snap = scenario(demo, warehouse.url, timeout=90)
            assert_loop_closed(demo, snap)
        except AssertionError:
            raise AssertionError(procs.log()) from None
        finally:
            procs.stop_all()

