"""Canonical objects: stable content hashes that ignore the source's time and the hub's links."""

from __future__ import annotations

import hashlib
import json
import typing
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from connect_hub.canonical import (
    MODELS,
    Contact,
    Order,
    OrderLine,
    Product,
    Stock,
    content_hash,
    load,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel


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


# --- the hash's bytes: what every stored hash was made of ------------------------------------

def reference_hash(content: object) -> str:
    """The hash as the hub has always made it: the standard library's JSON text."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


CONTENT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), CONTENT, max_size=6))
def test_the_hash_is_made_of_the_standard_librarys_json_text(content: dict) -> None:
    assert content_hash(content) == reference_hash(content)


def test_an_orders_hash_is_the_one_earlier_versions_stored() -> None:
    """Made by the hub before it wrote the hash's JSON with orjson (e9c983c), for non-ASCII text
    and the largest quantity."""
    order = an_order(email="zoë@example.com", lines=[OrderLine(sku="Ä-1", quantity=2**63 - 1)])
    assert order.content_hash() == "4d5e771b6bc1bc3831ad195c8b85599184352a4dbb07d56155d4b4d8afdee84a"


def test_what_a_record_keeps_is_the_whole_dump_and_the_content_hash_from_one_dump() -> None:
    linked = an_order(lines=[OrderLine(sku="A", quantity=1, product_record_id=42)], modified_at=datetime(2026, 1, 1, tzinfo=UTC))
    objects = [
        linked, an_order(checkout_reference="shop-cart-7"), Contact(email="Zoë@Example.com", first_name="Zoë"),
        Product(sku="MUG-1", name="Mug", price=Decimal("4.50")), Stock(sku="MUG-1", quantity=3),
    ]
    for obj in objects:
        data, content = obj.stored()
        assert (data, content) == (obj.model_dump(mode="json"), obj.content_hash()), type(obj).__name__
    data, _ = linked.stored()
    assert data["lines"][0]["product_record_id"] == 42 and data["modified_at"], "the record keeps what the hash leaves out"
    assert linked.stored()[1] == an_order().content_hash()


def test_a_quantity_the_store_cannot_keep_exactly_is_refused_as_the_object_is_read() -> None:
    with pytest.raises(ValueError, match="less than or equal to 9223372036854775807"):
        OrderLine(sku="A", quantity=2**64)
    with pytest.raises(ValueError):
        Stock(sku="A", quantity=-(2**63) - 1)
    with pytest.raises(ValueError):
        Product(sku="A", stock_quantity=10**20)


def floats_in(annotation: object, seen: set[type]) -> list[str]:
    """Where a float may sit in a field annotation (through lists, dicts, unions, nested models)."""
    if annotation is float:
        return ["float"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        return [f"{annotation.__name__}.{name}: {where}" for name, field in annotation.model_fields.items()
                for where in floats_in(field.annotation, seen)]
    return [where for argument in typing.get_args(annotation) for where in floats_in(argument, seen)]


def test_no_canonical_field_is_a_float_whose_notation_would_change_the_hash() -> None:
    assert [where for model in MODELS.values() for where in floats_in(model, set())] == []
