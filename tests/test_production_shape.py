"""The first flow in production shape: Redis broker, PostgreSQL store, the service and two
``connect-hub worker`` processes as separate OS processes, including a ``kill -9`` mid-export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import Processes, RemoteHub, Warehouse, account_yaml, free_port, order_body, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def production(tmp_path: Path, postgres: str, redis_url: str, warehouse: Warehouse) -> Iterator[tuple[Processes, RemoteHub]]:
    account = f"prod-{uuid.uuid4().hex[:8]}"  # rows and queues of this run only
    port = free_port()
    text = account_yaml(account=account, store=postgres, broker=redis_url, warehouse_url=warehouse.url)
    text = text.replace("port: 0", f"port: {port}")
    config = tmp_path / "production.yaml"
    config.write_text(text)
    procs = Processes(config, tmp_path)
    migrated = procs.cli("migrate", "--config", str(config))
    assert migrated.returncode == 0, migrated.stderr
    procs.start("service", "serve")
    procs.start("worker-1", "worker")
    procs.start("worker-2", "worker")
    hub = RemoteHub(f"http://127.0.0.1:{port}")

    def ready() -> bool:
        try:
            return httpx.get(f"{hub.url}/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout=90, what="the service to be ready")  # a cold start on a loaded machine
        yield procs, hub
    finally:
        procs.stop_all()


def test_production_shape_delivers_once_and_survives_kill_9_of_a_worker(production, warehouse: Warehouse) -> None:
    procs, hub = production
    first = order_body()
    assert hub.post_webhook(first).status_code == 202
    assert hub.post_webhook(first).status_code == 202
    wait_for(lambda: [o for o in warehouse.orders() if o["reference"] == "shop-22"], timeout=30, what="order 22 at the warehouse")

    # The warehouse stores the next order, then hangs before answering: the worker is mid-export.
    warehouse.fault(delay_after_create=6, count=1, path_prefix="/api/v1/orders", method="POST")
    assert hub.post_webhook(order_body(id=23, number="23")).status_code == 202
    wait_for(lambda: [o for o in warehouse.orders() if o["reference"] == "shop-23"], timeout=30, what="order 23 stored at the warehouse")
    procs.kill9("worker-1")
    procs.kill9("worker-2")
    procs.start("worker-3", "worker")

    def exported() -> list[dict]:
        return [d for d in hub.deliveries(integration="warehouse") if d["state"] == "done"]

    try:
        wait_for(lambda: len(exported()) == 2, timeout=45, what="both deliveries done after the restart")
    except AssertionError:
        raise AssertionError(procs.log()) from None
    orders = {o["reference"]: o for o in warehouse.orders()}
    assert sorted(orders) == ["shop-22", "shop-23"]
    assert orders["shop-22"]["create_requests"] == 1
    assert orders["shop-23"]["create_requests"] == 1  # the retry after the crash found it there
    actions = {d["record_id"]: d["action"] for d in exported()}
    assert sorted(actions.values()) == ["created", "unchanged"]
    status = procs.cli("status", "--config", str(procs.config))
    assert status.returncode == 0, status.stderr
    assert hub.api("status")["integrations"]["warehouse"]["deliveries"] == {"done": 2}
