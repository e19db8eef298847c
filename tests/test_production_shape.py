"""The first flow in production shape: Redis broker, PostgreSQL store, the service and two
``connect-hub worker`` processes as separate OS processes, including a ``kill -9`` mid-export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import (
    Processes,
    RemoteHub,
    Warehouse,
    order_body,
    production_hub,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def production(tmp_path: Path, postgres: str, redis_url: str, warehouse: Warehouse) -> Iterator[tuple[Processes, RemoteHub]]:
    with production_hub(tmp_path, postgres, redis_url, warehouse) as running:
        yield running


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


def test_a_worker_killed_with_several_exports_and_imports_in_flight_loses_and_duplicates_nothing(
    tmp_path: Path, postgres: str, redis_url: str, warehouse: Warehouse
) -> None:
    """SIGKILL of the only worker while it holds several messages: exports the warehouse has stored
    but not answered, imports and exports fetched from Redis and not yet acknowledged. A new worker
    finishes them: every accepted order reaches the warehouse exactly once."""
    count = 24
    with production_hub(tmp_path, postgres, redis_url, warehouse, workers=1) as (procs, hub):
        warehouse.fault(delay_after_create=8, count=count, path_prefix="/api/v1/orders", method="POST")
        for n in range(count):
            assert hub.post_webhook(order_body(id=500 + n, number=str(500 + n))).status_code == 202

        def stored() -> list[dict]:
            return [o for o in warehouse.orders() if o["reference"].startswith("shop-5")]

        wait_for(lambda: len(stored()) >= 4, timeout=30, what="several orders stored, their answers held back")
        in_flight = len(stored())
        procs.kill9("worker-1")
        assert in_flight < count, "the worker was killed after it had finished: nothing was in flight"
        done_before = [d for d in hub.deliveries(integration="warehouse") if d["state"] == "done"]
        assert done_before == [], "an export was answered before the kill: the kill was not mid-flight"
        procs.start("worker-2", "worker")

        def done() -> list[dict]:
            return [d for d in hub.api(f"deliveries?integration=warehouse&limit={count * 2}")["items"] if d["state"] == "done"]

        try:
            wait_for(lambda: len(done()) == count, timeout=90, what="every order's delivery done after the restart")
        except AssertionError:
            raise AssertionError(procs.log()) from None
        orders = [o for o in warehouse.orders() if o["reference"].startswith("shop-5")]
        assert sorted(o["reference"] for o in orders) == sorted(f"shop-{500 + n}" for n in range(count))
        assert all(o["create_requests"] == 1 for o in orders), [o for o in orders if o["create_requests"] != 1]
        status = hub.api("status")["integrations"]
        assert status["warehouse"]["deliveries"] == {"done": count}
        assert status["shop"]["events"] == {"done": count}
