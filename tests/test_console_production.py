"""The console of a production-shaped hub (PostgreSQL, Redis, a service and two worker processes):
it reads the shared store, and a replay from the service's page is exported by a worker."""

from __future__ import annotations

import pytest
from support import Warehouse, order_body, wait_for
from test_console_auth import csrf_of, signed_in
from test_production_shape import production  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_a_replay_from_the_console_of_the_service_is_exported_by_a_worker(production, warehouse: Warehouse) -> None:  # noqa: F811
    procs, hub = production
    warehouse.fault(status=422, count=1, path_prefix="/api/v1/orders", method="POST")
    assert hub.post_webhook(order_body()).status_code == 202
    [failed] = wait_for(lambda: hub.deliveries(state="failed"), timeout=30, what="a failed delivery")
    client = signed_in(hub)
    ledger = client.get("/console/search", params={"q": "22"}, follow_redirects=True)
    assert "warehouse: failed after 1 try" in ledger.text and "answered 422" in ledger.text
    response = client.post("/console/replay", data={"csrf": csrf_of(ledger.text), "delivery": str(failed["id"]), "next": str(ledger.url.path)})
    assert response.status_code == 303
    try:
        wait_for(lambda: hub.api(f"deliveries/{failed['id']}")["state"] == "done", timeout=30, what="the replayed delivery done by a worker")
    except AssertionError:
        raise AssertionError(procs.log()) from None
    assert [o["reference"] for o in warehouse.orders()] == ["shop-22"]
    assert "warehouse: done, has version 1 as WH-" in client.get(ledger.url.path).text
