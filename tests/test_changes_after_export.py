"""An order changed after the warehouse has it: it reaches the warehouse while the warehouse
still takes changes, and ends failed with what to do once picking has started.

Over real HTTP: signed WooCommerce order webhooks (a real captured body, edited as a shop
manager edits an order) into an embedded hub, and the warehouse simulator behind it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from support import SAMPLES, Hub, Warehouse, wait_for

CAPTURED = json.loads(json.loads((SAMPLES / "0013-order_updated.json").read_text())["body_raw"])
ADDRESS = {"first_name": "Ann", "last_name": "Smit", "address_1": "Main street 1", "city": "Utrecht", "postcode": "3511 AA", "country": "NL"}


def edited(version: int, *, quantity: int, city: str, status: str = "processing") -> bytes:
    """Order 22 as the shop sends it after its ``version``-th save (whole-second times)."""
    line = {**CAPTURED["line_items"][0], "quantity": quantity}
    return json.dumps({
        **CAPTURED, "status": status, "line_items": [line], "shipping": {**ADDRESS, "city": city},
        "date_modified_gmt": f"2026-11-27T22:2{version}:00",
    }).encode()  # fmt: skip


def deliveries(hub: Hub) -> list[dict[str, Any]]:
    return sorted(hub.deliveries(integration="warehouse"), key=lambda d: d["id"])


def settled(hub: Hub, count: int) -> list[dict[str, Any]]:
    wait_for(lambda: len(deliveries(hub)) == count and all(d["state"] not in ("pending", "running") for d in deliveries(hub)), what=f"{count} deliveries settled")
    return deliveries(hub)


def held(warehouse: Warehouse) -> dict[str, Any]:
    [order] = warehouse.orders()
    return order


def test_an_order_edited_after_export_reaches_the_warehouse(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(edited(1, quantity=1, city="Utrecht"))
    first = settled(hub, 1)
    hub.post_webhook(edited(2, quantity=5, city="Delft"))

    created, updated = settled(hub, 2)

    assert (created["action"], updated["action"]) == ("created", "updated")
    assert (created["state"], updated["state"]) == ("done", "done")
    order = held(warehouse)
    assert order["lines"][0]["quantity"] == 5 and order["shipping_address"]["city"] == "Delft"
    assert order["create_requests"] == 1 and first[0]["external_id"] == updated["external_id"]


def test_a_change_once_picking_started_fails_saying_where_to_change_it(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(edited(1, quantity=1, city="Utrecht"))
    settled(hub, 1)
    httpx.post(f"{warehouse.url}/_sim/orders/shop-22/pick").raise_for_status()
    hub.post_webhook(edited(2, quantity=5, city="Utrecht"))

    _, refused = settled(hub, 2)

    assert refused["state"] == "failed" and refused["attempts"] == 1  # not retried as if it might pass
    assert refused["last_error"] == (
        "order shop-22 to warehouse: the warehouse is already picking order shop-22 (WH-000001), so the "
        "change (the lines) cannot reach it: change it in the warehouse's portal or ask the warehouse"
    )
    assert held(warehouse)["lines"][0]["quantity"] == 1


def test_an_unchanged_resend_after_export_writes_nothing(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(edited(1, quantity=2, city="Utrecht"))
    settled(hub, 1)
    hub.post_webhook(edited(2, quantity=2, city="Utrecht", status="processing"))  # a meta-only save

    assert len(settled(hub, 1)) == 1  # same content: no new version, nothing to send
    assert [r["method"] for r in httpx.get(f"{warehouse.url}/_sim/requests").json() if r["path"].startswith("/api/v1/orders")] == ["POST"]  # the first try's create; the resend sent nothing
