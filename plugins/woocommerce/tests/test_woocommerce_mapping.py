"""Mapping of real WooCommerce bodies to canonical orders, contacts and products."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from connect_hub.canonical import Address, Contact, OrderStatus
from connect_hub.errors import MappingError
from connect_hub_woocommerce.mapping import (
    ORDER_STATUSES,
    contact_from_order_billing,
    contact_from_wc_customer,
    customer_to_wc,
    order_from_wc,
    parse_order,
    product_from_wc,
)


def body_of(load_received, name: str) -> dict:
    """A received sample's body as the hooks read it (fractions as Decimal)."""
    return json.loads(load_received(name)[1], parse_float=Decimal)


# --- Orders -----------------------------------------------------------------------------------


def test_the_created_order_maps_to_an_order(load_received):
    order = order_from_wc(body_of(load_received, "0011"), "shop", {})

    assert order.reference == "shop-22"
    assert order.source == "shop"
    assert order.number == "22"
    assert order.status is OrderStatus.PENDING
    assert order.currency == "USD"
    assert order.total == Decimal("12.50")
    assert order.shipping_total == Decimal("0.00")
    assert order.email == "hook.1795817631@example.test"
    assert order.billing.first_name == "Hook"
    assert order.created_at == datetime(2026, 11, 27, 22, 13, 54, tzinfo=UTC)
    assert order.modified_at == datetime(2026, 11, 27, 22, 13, 54, tzinfo=UTC)
    (line,) = order.lines
    assert line.sku == "VER-MUG-001"
    assert line.name == "Verify Mug"
    assert line.quantity == 1
    assert line.unit_price == Decimal("12.5")
    assert line.total == Decimal("12.50")


def test_the_processing_update_maps_to_processing(load_received):
    order = order_from_wc(body_of(load_received, "0013"), "shop", {})

    assert order.status is OrderStatus.PROCESSING
    assert order.modified_at == datetime(2026, 11, 27, 22, 13, 56, tzinfo=UTC)


def test_money_from_a_plain_json_load_is_still_decimal(load_payload):
    order = order_from_wc(load_payload("order_created"), "shop", {})

    assert order.total == Decimal("12.50")
    assert order.lines[0].unit_price == Decimal("12.5")


@pytest.mark.parametrize(("status", "expected"), list(ORDER_STATUSES.items()))
def test_every_standard_status_maps(load_payload, status, expected):
    data = load_payload("order_created") | {"status": status}

    assert order_from_wc(data, "shop", {}).status is expected


def test_all_seven_standard_statuses_are_in_the_table():
    assert set(ORDER_STATUSES) == {
        "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"
    }  # fmt: skip
    assert set(ORDER_STATUSES.values()) == set(OrderStatus)


def test_a_custom_status_without_mapping_is_left_for_the_rules(load_payload):
    data = load_payload("order_created") | {"status": "awaiting-pickup"}

    order = order_from_wc(data, "shop", {})

    assert order.status is None
    assert order.source_status == "awaiting-pickup"


def test_a_custom_status_maps_through_the_status_map(load_payload):
    data = load_payload("order_created") | {"status": "awaiting-pickup"}

    order = order_from_wc(data, "shop", {"awaiting-pickup": "processing"})

    assert order.status is OrderStatus.PROCESSING


def test_the_status_map_takes_woocommerce_spelling_of_on_hold(load_payload):
    data = load_payload("order_created") | {"status": "awaiting-stock"}

    assert order_from_wc(data, "shop", {"awaiting-stock": "on-hold"}).status is OrderStatus.ON_HOLD


def test_a_status_map_to_no_hub_status_is_a_clear_error(load_payload):
    data = load_payload("order_created") | {"status": "awaiting-pickup"}

    with pytest.raises(MappingError, match="not a hub status"):
        order_from_wc(data, "shop", {"awaiting-pickup": "picked"})


def test_a_checkout_draft_is_no_order(load_payload):
    data = load_payload("order_created") | {"status": "checkout-draft"}

    assert parse_order(data, "shop", {}) is None


def test_parse_order_returns_other_orders(load_payload):
    order = parse_order(load_payload("order_created"), "shop", {})

    assert order is not None and order.reference == "shop-22"


def test_a_line_without_sku_has_sku_none(load_payload):
    data = load_payload("order_created")
    data["line_items"][0]["sku"] = ""

    assert order_from_wc(data, "shop", {}).lines[0].sku is None


def test_an_amount_that_is_no_number_is_a_mapping_error(load_payload):
    data = load_payload("order_created") | {"total": "twelve"}

    with pytest.raises(MappingError, match="total"):
        order_from_wc(data, "shop", {})


def test_modified_at_falls_back_to_date_modified(load_payload):
    data = load_payload("order_created")
    del data["date_modified_gmt"]

    order = order_from_wc(data, "shop", {})

    assert order.modified_at == datetime(2026, 11, 27, 22, 13, 54, tzinfo=UTC)


def test_the_same_payload_parsed_twice_hashes_the_same(load_received):
    first = order_from_wc(body_of(load_received, "0011"), "shop", {})
    second = order_from_wc(body_of(load_received, "0011"), "shop", {})

    assert first.content_hash() == second.content_hash()


def test_created_and_updated_with_the_same_content_hash_the_same(load_received):
    created = order_from_wc(body_of(load_received, "0011"), "shop", {})
    updated = order_from_wc(body_of(load_received, "0012"), "shop", {})

    assert created.content_hash() == updated.content_hash()


def test_a_status_change_changes_the_hash(load_received):
    pending = order_from_wc(body_of(load_received, "0011"), "shop", {})
    processing = order_from_wc(body_of(load_received, "0013"), "shop", {})

    assert pending.content_hash() != processing.content_hash()


# --- Contacts ---------------------------------------------------------------------------------


def test_a_customer_maps_to_a_contact(load_payload):
    contact = contact_from_wc_customer(load_payload("customer_created"))

    assert contact.email == "hook.1795817631@example.test"
    assert (contact.first_name, contact.last_name) == ("Hook", "Tester")
    assert contact.billing is not None and contact.billing.country == "US"
    assert contact.shipping is not None and contact.shipping.email == ""
    assert contact.modified_at == datetime(2026, 11, 27, 22, 13, 51, tzinfo=UTC)
    assert contact.match_key() == "email:hook.1795817631@example.test"


@pytest.mark.parametrize("name", ["0006", "0008", "0010", "0019", "0038"])
def test_every_customer_sample_maps(load_received, name):
    data = body_of(load_received, name)

    contact = contact_from_wc_customer(data)

    assert contact.email == data["email"]
    assert contact.last_name == data["last_name"]


def test_a_customer_update_changes_the_hash(load_received):
    before = contact_from_wc_customer(body_of(load_received, "0009"))
    after = contact_from_wc_customer(body_of(load_received, "0010"))

    assert after.last_name == "Tester-Updated"
    assert before.content_hash() != after.content_hash()


def test_a_customer_without_email_is_a_mapping_error(load_payload):
    with pytest.raises(MappingError, match="e-mail"):
        contact_from_wc_customer(load_payload("customer_created") | {"email": ""})


def test_the_order_billing_is_a_contact_as_of_the_order_date(load_received):
    contact = contact_from_order_billing(body_of(load_received, "0018"))

    assert contact is not None
    assert contact.email == "hook.1795817631@example.test"
    assert contact.first_name == "Hook"
    assert contact.modified_at == datetime(2026, 11, 27, 22, 13, 54, tzinfo=UTC)


def test_the_billing_contact_is_stable_across_order_updates(load_received):
    contacts = [contact_from_order_billing(body_of(load_received, n)) for n in ("0011", "0022")]

    assert contacts[0] == contacts[1]


def test_an_order_without_email_has_no_contact(load_payload):
    data = load_payload("order_created")
    data["billing"]["email"] = ""

    assert contact_from_order_billing(data) is None


# --- Products ---------------------------------------------------------------------------------


def test_a_simple_product_maps(load_payload):
    product = product_from_wc(load_payload("product_updated"))

    assert product.sku == "VER-MUG-001"
    assert product.barcode is None
    assert product.name == "Verify Mug"
    assert product.price == Decimal("12.50")
    assert product.parent_sku is None
    assert product.attributes == {}
    assert product.manage_stock is True
    assert product.stock_quantity == 39
    assert product.modified_at == datetime(2026, 11, 27, 22, 13, 56, tzinfo=UTC)


def test_a_variation_keeps_its_attributes_but_cannot_know_its_parent_sku(load_payload):
    product = product_from_wc(load_payload("product_updated-variation"))

    assert product.sku == "VER-TSHIRT-S"
    assert product.parent_sku is None
    assert product.attributes == {"Size": "S"}
    assert product.price == Decimal("20.00")
    assert product.stock_quantity == 9


def test_the_received_variation_maps_like_its_payload(load_received, load_payload):
    received = product_from_wc(body_of(load_received, "0017"))

    assert received == product_from_wc(load_payload("product_updated-variation"))


def test_a_child_with_a_parent_id_counts_as_a_variation(load_payload):
    data = load_payload("product_updated-variation") | {"type": "simple"}

    assert product_from_wc(data).attributes == {"Size": "S"}


def test_a_global_unique_id_is_the_barcode(load_payload):
    product = product_from_wc(
        load_payload("product_updated") | {"global_unique_id": "4006381333931"}
    )

    assert product.barcode == "4006381333931"


def test_a_product_without_price_or_stock_management(load_payload):
    data = load_payload("product_updated") | {
        "price": "", "manage_stock": False, "stock_quantity": None, "sku": ""
    }  # fmt: skip

    product = product_from_wc(data)

    assert product.price is None
    assert product.manage_stock is False
    assert product.stock_quantity is None
    assert product.sku is None


def test_a_variation_whose_parent_manages_stock_reports_none(load_payload):
    data = load_payload("product_updated-variation") | {"manage_stock": "parent"}

    product = product_from_wc(data)

    assert product.manage_stock is False
    assert product.stock_quantity is None


def test_a_stock_change_changes_the_hash_and_a_resend_does_not(load_received):
    first, again, changed = (
        product_from_wc(body_of(load_received, n)) for n in ("0015", "0015", "0016")
    )

    assert first.content_hash() == again.content_hash()
    assert first.content_hash() != changed.content_hash()


def test_a_polled_variation_carries_its_parents_sku(load_payload):
    data = load_payload("product_updated-variation") | {"_parent_sku": "VER-TSHIRT"}

    assert product_from_wc(data).parent_sku == "VER-TSHIRT"


def test_the_barcode_comes_from_the_meta_key_when_one_is_set(load_payload):
    data = load_payload("product_updated") | {
        "global_unique_id": "4006381333931",
        "meta_data": [{"id": 1, "key": "_ean", "value": "5901234123457"}],
    }

    assert product_from_wc(data).barcode == "4006381333931"
    assert product_from_wc(data, "_ean").barcode == "5901234123457"
    assert product_from_wc(data, "_gtin").barcode == "4006381333931"


def test_a_contact_becomes_a_customer_body():
    contact = Contact(
        email="ann@example.test", first_name="Ann", last_name="Lee",
        billing=Address(line1="1 Main St", city="Utrecht", email="ann@example.test"),
        shipping=Address(line1="2 Side St", city="Delft"),
    )  # fmt: skip

    body = customer_to_wc(contact)

    assert body["email"] == "ann@example.test"
    assert (body["first_name"], body["last_name"]) == ("Ann", "Lee")
    assert (
        body["billing"]["address_1"] == "1 Main St"
        and body["billing"]["email"] == "ann@example.test"
    )
    assert body["shipping"]["city"] == "Delft" and "email" not in body["shipping"]


def test_a_contact_without_addresses_leaves_the_shops_addresses_alone():
    assert customer_to_wc(Contact(email="a@example.test")) == {
        "email": "a@example.test", "first_name": "", "last_name": ""
    }  # fmt: skip
