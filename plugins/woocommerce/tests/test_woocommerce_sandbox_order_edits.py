"""Orders, products and variations edited through the sandbox's REST API, refunds, and clocks.

As WooCommerce 9.9.5 does it (its REST controllers): ``line_items`` by ``id`` change, quantity
0 removes, an item without ``id`` is added, stock follows the lines of an order whose stock is
reduced, a new quantity alone keeps a line's totals; refunds through the status or the refunds
endpoint; dates to the whole second.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import cycle
from typing import Any

import pytest
from connect_hub_woocommerce.sandbox import RunningSandbox
from connect_hub_woocommerce.sandbox.client import SandboxClient
from connect_hub_woocommerce.sandbox.values import utcnow

WHOLE_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


@pytest.fixture
def shop(client: SandboxClient) -> SandboxClient:
    """The conftest's sandbox client, reset and seeded."""
    return client


def stock(shop: SandboxClient, sku: str) -> int:
    return next(p["stock_quantity"] for p in shop.state()["products"] if p["sku"] == sku)


def notes(shop: SandboxClient, order_id: int) -> list[str]:
    return [n["note"] for n in reversed(shop.ok("GET", f"/orders/{order_id}/notes"))]


def line(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(li for li in order["line_items"] if li["sku"] == sku)


# --- order edits -------------------------------------------------------------------------------


def test_a_new_quantity_moves_the_stock_and_keeps_the_totals_unless_sent(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 1), ("POSTER-1", 2)], email="e@example.test")
    assert stock(shop, "MUG-1") == 39
    mug = line(order, "MUG-1")
    edited = shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [{"id": mug["id"], "quantity": 5}]})
    assert line(edited, "MUG-1")["quantity"] == 5
    assert line(edited, "MUG-1")["total"] == "12.50"  # the real API leaves it to the client
    assert line(edited, "MUG-1")["price"] == 2.5
    assert stock(shop, "MUG-1") == 35
    assert "Adjusted stock: Mug (39&rarr;35)" in notes(shop, order["id"])
    priced = shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [
        {"id": mug["id"], "quantity": 4, "subtotal": "50.00", "total": "50.00"}]})  # fmt: skip
    assert (line(priced, "MUG-1")["total"], line(priced, "MUG-1")["price"]) == ("50.00", 12.5)
    assert priced["total"] == "88.00"
    assert stock(shop, "MUG-1") == 36
    assert [m["value"] for m in line(priced, "MUG-1")["meta_data"] if m["key"] == "_reduced_stock"] == ["4"]


def test_quantity_zero_removes_a_line_and_gives_its_stock_back(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 2), ("TSHIRT-M", 1)], email="f@example.test")
    assert (stock(shop, "MUG-1"), stock(shop, "TSHIRT-M")) == (38, 11)
    shirt = line(order, "TSHIRT-M")
    edited = shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [{"id": shirt["id"], "quantity": 0}]})
    assert [li["sku"] for li in edited["line_items"]] == ["MUG-1"]
    assert edited["total"] == "25.00"
    assert stock(shop, "TSHIRT-M") == 12
    by_null = shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [
        {"id": line(edited, "MUG-1")["id"], "product_id": None}]})  # fmt: skip
    assert by_null["line_items"] == [] and stock(shop, "MUG-1") == 40


def test_an_item_without_id_is_added_and_takes_its_stock(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 1)], email="g@example.test")
    large = shop.product_id("TSHIRT-L")
    edited = shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [{"variation_id": large, "quantity": 2}]})
    added = line(edited, "TSHIRT-L")
    assert (added["quantity"], added["total"], added["variation_id"]) == (2, "44.00", large)
    assert added["product_id"] == shop.product_id("TSHIRT")
    assert added["name"] == "T-Shirt - L" and added["parent_name"] == "T-Shirt"
    assert stock(shop, "TSHIRT-L") == 1
    assert edited["total"] == "56.50"


def test_a_pending_order_is_edited_without_touching_stock(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 1)], email="h@example.test", status="pending")
    mug = line(order, "MUG-1")
    shop.ok("PUT", f"/orders/{order['id']}", {"line_items": [{"id": mug["id"], "quantity": 3}]})
    assert stock(shop, "MUG-1") == 40
    processing = shop.ok("PUT", f"/orders/{order['id']}", {"status": "processing"})
    assert stock(shop, "MUG-1") == 37  # the whole edited quantity, once
    cancelled = shop.ok("PUT", f"/orders/{order['id']}", {"status": "cancelled"})
    assert stock(shop, "MUG-1") == 40
    assert processing["status"] == "processing" and cancelled["status"] == "cancelled"


def test_an_address_changes_field_by_field(shop: SandboxClient):
    order = shop.place_order(
        [("MUG-1", 1)], email="i@example.test",
        shipping={"first_name": "Ida", "address_1": "1 Old St", "city": "Delft", "country": "NL"},
    )  # fmt: skip
    edited = shop.ok("PUT", f"/orders/{order['id']}", {"shipping": {"address_1": "5 New St"}})
    assert edited["shipping"]["address_1"] == "5 New St"
    assert (edited["shipping"]["first_name"], edited["shipping"]["city"]) == ("Ida", "Delft")
    assert edited["billing"]["email"] == "i@example.test"


def test_an_unknown_line_id_is_refused_and_nothing_changes(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 1)], email="j@example.test")
    mug = line(order, "MUG-1")
    refused = shop.rest("PUT", f"/orders/{order['id']}", {
        "shipping": {"city": "Elsewhere"},
        "line_items": [{"id": mug["id"], "quantity": 3}, {"id": 99999, "quantity": 1}],
    })  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["code"] == "woocommerce_rest_invalid_item_id"
    after = shop.ok("GET", f"/orders/{order['id']}")
    assert line(after, "MUG-1")["quantity"] == 1 and after["shipping"]["city"] == ""
    assert after["date_modified"] == order["date_modified"]
    assert stock(shop, "MUG-1") == 39


# --- refunds ------------------------------------------------------------------------------------


def test_status_refunded_refunds_the_rest_without_restocking(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 2)], email="k@example.test")
    refunded = shop.ok("PUT", f"/orders/{order['id']}", {"status": "refunded"})
    assert refunded["status"] == "refunded"
    [entry] = refunded["refunds"]
    assert (entry["reason"], entry["total"]) == ("Order fully refunded.", "-25.00")
    assert refunded["total"] == "25.00"  # the total stays; the refunds are listed beside it
    assert stock(shop, "MUG-1") == 38
    [refund] = shop.ok("GET", f"/orders/{order['id']}/refunds")
    assert (refund["id"], refund["amount"], refund["line_items"]) == (entry["id"], "25.00", [])
    assert any(n.startswith("Order status set to refunded.") for n in notes(shop, order["id"]))


def test_a_refund_through_the_gateway_fails_for_bank_transfer(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 1)], email="l@example.test")
    refused = shop.rest("POST", f"/orders/{order['id']}/refunds", {"amount": "5.00"})
    assert refused.status_code == 500
    assert refused.json()["message"] == (
        "The payment gateway for this order does not support automatic refunds."
    )
    assert shop.ok("GET", f"/orders/{order['id']}")["refunds"] == []


def test_a_partial_refund_restocks_its_lines_and_a_last_one_sets_refunded(shop: SandboxClient):
    order = shop.place_order([("MUG-1", 2), ("POSTER-1", 1)], email="m@example.test")
    mug, poster = line(order, "MUG-1"), line(order, "POSTER-1")
    created = shop.rest("POST", f"/orders/{order['id']}/refunds", {
        "api_refund": False, "reason": "one broke",
        "line_items": [{"id": mug["id"], "quantity": 1, "refund_total": 12.5}],
    })  # fmt: skip
    assert created.status_code == 201
    refund = created.json()
    assert refund["amount"] == "12.50" and refund["reason"] == "one broke"
    assert refund["line_items"][0]["quantity"] == -1 and refund["line_items"][0]["total"] == "-12.50"
    assert stock(shop, "MUG-1") == 39
    assert f"Item #{shop.product_id('MUG-1')} stock increased from 38 to 39." in notes(shop, order["id"])
    partly = shop.ok("GET", f"/orders/{order['id']}")
    assert partly["status"] == "processing" and partly["refunds"][0]["total"] == "-12.50"
    too_much = shop.rest("POST", f"/orders/{order['id']}/refunds", {"api_refund": False, "amount": "40"})
    assert too_much.status_code == 500 and too_much.json()["message"] == "Invalid refund amount."
    shop.ok("POST", f"/orders/{order['id']}/refunds", {
        "api_refund": False, "line_items": [
            {"id": mug["id"], "quantity": 1, "refund_total": "12.50"},
            {"id": poster["id"], "quantity": 1, "refund_total": "19.00"}],
    })  # fmt: skip
    final = shop.ok("GET", f"/orders/{order['id']}")
    assert final["status"] == "refunded" and len(final["refunds"]) == 2
    assert (stock(shop, "MUG-1"), stock(shop, "POSTER-1")) == (40, 15)


# --- products and variations ----------------------------------------------------------------------


def test_product_and_variation_edits_show_in_the_catalogue(shop: SandboxClient):
    mug, shirt, medium = (shop.product_id(s) for s in ("MUG-1", "TSHIRT", "TSHIRT-M"))
    renamed = shop.ok("PUT", f"/products/{mug}", {"name": "Big Mug", "regular_price": "14.00"})
    assert (renamed["name"], renamed["price"]) == ("Big Mug", "14.00")
    variation = shop.ok("PUT", f"/products/{shirt}/variations/{medium}", {"sale_price": "15.00"})
    assert (variation["price"], variation["on_sale"]) == ("15.00", True)
    assert shop.ok("GET", f"/products/{shirt}")["price"] == "15.00"  # the lowest variation price
    order = shop.place_order([("TSHIRT-M", 1), ("MUG-1", 1)], email="n@example.test")
    assert [(li["name"], li["total"]) for li in order["line_items"]] == [
        ("T-Shirt - M", "15.00"), ("Big Mug", "14.00")
    ]


# --- clocks -----------------------------------------------------------------------------------------


def test_dates_are_whole_seconds_so_two_edits_in_one_second_share_one(
    shop: SandboxClient, running_shop: RunningSandbox
):
    order = shop.place_order([("MUG-1", 1)], email="o@example.test")
    for name in ("date_created", "date_modified", "date_created_gmt", "date_modified_gmt", "date_paid"):
        assert WHOLE_SECONDS.match(order[name]), (name, order[name])
    ticks = cycle([datetime(2026, 3, 1, 9, 30, 0, 100_000), datetime(2026, 3, 1, 9, 30, 0, 900_000)])
    running_shop.state.clock = lambda: next(ticks)
    try:
        first = shop.ok("PUT", f"/orders/{order['id']}", {"customer_note": "a"})
        second = shop.ok("PUT", f"/orders/{order['id']}", {"customer_note": "b"})
    finally:
        running_shop.state.clock = utcnow
    assert first["date_modified"] == second["date_modified"] == "2026-03-01T09:30:00"
    assert shop.ok("GET", "/orders", modified_after="2026-03-01T09:30:00") == []


def test_stock_written_through_the_api_is_logged_and_the_shops_own_moves_are_not(
    shop: SandboxClient,
):
    mug, shirt, small = (shop.product_id(s) for s in ("MUG-1", "TSHIRT", "TSHIRT-S"))
    shop.ok("PUT", f"/products/{mug}", {"stock_quantity": 7})
    shop.ok("PUT", f"/products/{shirt}/variations/{small}", {"stock_quantity": 4})
    shop.ok("POST", "/products/batch", {"update": [{"id": mug, "stock_quantity": "x"}]})
    shop.ok("PUT", f"/products/{mug}", {"name": "Mug"})
    shop.place_order([("MUG-1", 1)], email="q@example.test")
    shop.set_stock({"POSTER-1": 3})
    assert [(w["sku"], w["stock_quantity"]) for w in shop.stock_writes()] == [
        ("MUG-1", 7), ("TSHIRT-S", 4), ("MUG-1", 0)
    ]
