"""Canonical objects: stable content hashes that ignore the source's time and the hub's links."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from connect_hub.canonical import Contact, Order, OrderLine, Product, Stock, load


def an_order(**changes) -> Order:
    values = {"reference": "shop-1", "source": "shop", "number": "1", "status": "processing", "currency": "EUR", "total": Decimal("9.90"), "lines": [OrderLine(sku="A", quantity=1)]}
    values.update(changes)
    return Order(**values)


def test_the_hash_is_stable_and_ignores_modified_time_and_product_links() -> None:
    base = an_order().content_hash()
    assert an_order(modified_at=datetime(2026, 1, 1, tzinfo=UTC)).content_hash() == base
    assert an_order(lines=[OrderLine(sku="A", quantity=1, product_record_id=42)]).content_hash() == base
    assert an_order(total=Decimal("9.91")).content_hash() != base


def test_a_stored_object_loads_back_to_the_same_hash() -> None:
    order = an_order(modified_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert load("orders", order.model_dump(mode="json")).content_hash() == order.content_hash()


def test_match_keys_link_products_by_sku_or_barcode_and_contacts_by_email() -> None:
    assert Product(sku="A-1").match_key() == "sku:A-1"
    assert Product(barcode="4006381333931").match_key() == "barcode:4006381333931"
    assert Contact(email=" Ann@Example.COM ").match_key() == "email:ann@example.com"
    assert Stock(sku="A-1", quantity=3).match_key() == "sku:A-1"
    with pytest.raises(ValueError):
        Product(name="no identity").match_key()


def test_a_variation_carries_its_parent() -> None:
    assert Product(sku="TEE-RED-M", parent_sku="TEE").parent_sku == "TEE"
