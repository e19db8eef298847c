"""Pure mapping of canonical orders to the warehouse's JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest
from connect_hub.canonical import Address, Order, OrderLine, OrderStatus
from connect_hub.errors import PermanentError
from connect_hub_efulfillment.mapping import address_payload, order_payload


def make_order(**changes) -> Order:
    fields = {
        "reference": "shop-1042",
        "source": "shop",
        "number": "1042",
        "status": OrderStatus.PROCESSING,
        "currency": "EUR",
        "total": Decimal("25.00"),
        "email": "ann@example.com",
        "shipping": Address(
            first_name="Ann",
            last_name="Smith",
            company="Smith BV",
            line1="Main street 1",
            line2="2nd floor",
            postcode="3511 AA",
            city="Utrecht",
            state="UT",
            country="NL",
            phone="+31 30 123",
            email="ship@example.com",
        ),
        "lines": [
            OrderLine(sku="MUG-1", name="Mug", quantity=2, unit_price=Decimal(10)),
            OrderLine(sku="TEA-9", name="Tea", quantity=1, product_record_id=12),
        ],
    }
    return Order(**(fields | changes))


def test_order_payload():
    assert order_payload(make_order()) == {
        "reference": "shop-1042",
        "email": "ann@example.com",
        "shipping_address": {
            "name": "Ann Smith",
            "company": "Smith BV",
            "address1": "Main street 1",
            "address2": "2nd floor",
            "postcode": "3511 AA",
            "city": "Utrecht",
            "state": "UT",
            "country": "NL",
            "phone": "+31 30 123",
        },
        "lines": [
            {"sku": "MUG-1", "quantity": 2, "name": "Mug"},
            {"sku": "TEA-9", "quantity": 1, "name": "Tea"},
        ],
    }


def test_email_falls_back_to_the_shipping_then_billing_address():
    assert order_payload(make_order(email=""))["email"] == "ship@example.com"
    no_emails = make_order(email="", shipping=Address(), billing=Address(email="bill@example.com"))
    assert order_payload(no_emails)["email"] == "bill@example.com"


def test_address_name_without_empty_parts():
    assert address_payload(Address(last_name="Smith"))["name"] == "Smith"
    assert address_payload(Address())["name"] == ""


def test_a_line_without_sku_is_permanent_and_named():
    order = make_order(
        lines=[
            OrderLine(sku="MUG-1", quantity=1),
            OrderLine(sku=None, name="Gift wrap", quantity=1),
        ]
    )

    with pytest.raises(PermanentError, match=r"shop-1042: line 2 \(Gift wrap\) has no SKU"):
        order_payload(order)


def test_a_line_with_a_non_positive_quantity_is_permanent():
    with pytest.raises(PermanentError, match=r"line 1 \(MUG-1\) has quantity 0"):
        order_payload(make_order(lines=[OrderLine(sku="MUG-1", quantity=0)]))
