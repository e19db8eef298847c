"""Registered and guest customers in the sandbox, over real HTTP, compared with a real shop.

The real shop's answers are in ``samples/seed/POST-customers.json`` (a customer created through
the REST API) and ``samples/seed/POST-orders.json`` (an order for that customer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from connect_hub_woocommerce.sandbox.client import SandboxClient

SEED = Path(__file__).parent / "samples" / "seed"
VOLATILE = {"id", "date_created", "date_created_gmt", "date_modified", "date_modified_gmt",
            "avatar_url", "_links", "order_key", "payment_url"}  # fmt: skip


def capture(name: str) -> dict[str, Any]:
    return json.loads((SEED / name).read_text())


def shape(value: Any) -> Any:
    """The keys (nested) and value types of a JSON value; a list by its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def without(data: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in names}


@pytest.fixture
def shop(client: SandboxClient) -> SandboxClient:
    """The conftest's sandbox client, reset and seeded."""
    return client


def test_a_customer_created_through_the_api_is_the_one_a_real_shop_answers(shop: SandboxClient):
    real = capture("POST-customers.json")
    created = shop.rest("POST", "/customers", real["request"]["json"])
    assert created.status_code == 201
    body = created.json()
    assert shape(body) == shape(real["body"])
    assert without(body, VOLATILE | {"meta_data"}) == without(real["body"], VOLATILE | {"meta_data"})
    assert [m["key"] for m in body["meta_data"]] == ["default_password_nag"]
    assert created.headers["location"].endswith(f"/wp-json/wc/v3/customers/{body['id']}")
    assert shop.ok("GET", f"/customers/{body['id']}") == body


def test_an_order_for_a_customer_is_the_one_a_real_shop_answers(shop: SandboxClient):
    customer = shop.ok("POST", "/customers", capture("POST-customers.json")["request"]["json"])
    real = capture("POST-orders.json")
    request = {**real["request"]["json"], "customer_id": customer["id"]}
    request["line_items"] = [
        {"product_id": shop.product_id("MUG-1"), "quantity": 2},
        {"product_id": shop.product_id("STICKER-1"), "quantity": 5},
    ]
    body = shop.ok("POST", "/orders", request)
    assert shape(body) == shape(real["body"])
    assert body["customer_id"] == customer["id"]
    assert body["_links"]["customer"] == [
        {"href": f"{shop.url}/wp-json/wc/v3/customers/{customer['id']}"}
    ]
    for name in ("status", "billing", "shipping", "payment_method", "total", "created_via"):
        assert body[name] == real["body"][name], name
    assert body["order_key"].startswith("wc_order_") and body["order_key"][9:].isalnum()
    assert [m["key"] for m in body["line_items"][0]["meta_data"]] == ["_reduced_stock"]
    assert shop.ok("GET", f"/customers/{customer['id']}")["is_paying_customer"] is True


def test_an_order_for_a_customer_that_does_not_exist_is_refused(shop: SandboxClient):
    refused = shop.rest("POST", "/orders", {"customer_id": 999, "line_items": []})
    assert refused.status_code == 400
    assert refused.json()["code"] == "woocommerce_rest_invalid_customer_id"
    assert shop.state()["orders"] == []


def test_a_registered_customer_orders_logged_in_with_the_accounts_addresses(shop: SandboxClient):
    account = shop.register(
        email="ann@example.test", first_name="Ann", last_name="Lee",
        billing={"first_name": "Ann", "last_name": "Lee", "address_1": "2 Main St",
                 "city": "Utrecht", "postcode": "3511 AA", "country": "NL",
                 "email": "ann@example.test", "phone": "+31 30 123 4567"},
        shipping={"first_name": "Ann", "last_name": "Lee", "address_1": "2 Main St",
                  "city": "Utrecht", "postcode": "3511 AA", "country": "NL"},
    )  # fmt: skip
    placed = shop.place_order([("MUG-1", 1)], customer_id=account["id"])
    order = shop.ok("GET", f"/orders/{placed['id']}")
    assert order["customer_id"] == account["id"]
    assert order["billing"] == account["billing"]
    assert order["shipping"] == account["shipping"]
    assert order["created_via"] == "checkout"


def test_a_logged_in_checkout_saves_a_new_address_to_the_account(shop: SandboxClient):
    account = shop.register(email="bo@example.test", first_name="Bo")
    moved = {"address_1": "9 New Road", "city": "Leiden", "postcode": "2311 EZ", "country": "NL"}
    placed = shop.place_order(
        [("POSTER-1", 1)], customer_id=account["id"],
        billing={**moved, "last_name": "Berg", "phone": "+31 71 000"}, shipping=moved,
    )  # fmt: skip
    after = shop.ok("GET", f"/customers/{account['id']}")
    assert after["last_name"] == "Berg"  # the account had none: the checkout's name
    assert after["billing"]["address_1"] == "9 New Road" and after["billing"]["phone"] == "+31 71 000"
    assert after["billing"]["email"] == "bo@example.test"
    assert after["shipping"]["city"] == "Leiden"
    assert shop.ok("GET", f"/orders/{placed['id']}")["billing"]["email"] == "bo@example.test"


def test_a_guest_with_a_registered_e_mail_stays_a_guest(shop: SandboxClient):
    account = shop.register(email="cy@example.test", first_name="Cy", last_name="Ng")
    placed = shop.place_order([("MUG-1", 1)], email="cy@example.test", billing={"first_name": "C."})
    order = shop.ok("GET", f"/orders/{placed['id']}")
    assert order["customer_id"] == 0
    assert "customer" not in order["_links"]
    assert order["billing"]["email"] == "cy@example.test" and order["billing"]["first_name"] == "C."
    assert shop.ok("GET", f"/customers/{account['id']}")["is_paying_customer"] is False
    assert [o["customer_id"] for o in shop.state()["orders"]] == [0]


def test_a_customer_changes_the_e_mail_after_ordering(shop: SandboxClient):
    account = shop.register(email="di@example.test", first_name="Di",
                            billing={"email": "di@example.test"})  # fmt: skip
    first = shop.place_order([("MUG-1", 1)], customer_id=account["id"])
    changed = shop.ok("PUT", f"/customers/{account['id']}", {"email": "di.new@example.test"})
    assert changed["email"] == "di.new@example.test"
    assert changed["billing"]["email"] == "di@example.test"  # the account's e-mail only
    taken = shop.rest("PUT", f"/customers/{account['id']}", {"email": "jane@example.test"})
    assert taken.status_code == 400
    assert taken.json()["code"] == "registration-error-email-exists"
    second = shop.place_order(
        [("MUG-1", 1)], customer_id=account["id"], billing={"email": "di.new@example.test"}
    )
    emails = {o["id"]: o["email"] for o in shop.state()["orders"]}
    assert emails == {first["id"]: "di@example.test", second["id"]: "di.new@example.test"}
    assert [c["id"] for c in shop.ok("GET", "/customers", email="di.new@example.test")] == [
        account["id"]
    ]
    assert shop.ok("GET", "/customers", email="di@example.test") == []
