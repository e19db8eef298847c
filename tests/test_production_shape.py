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
