"""Pure functions: canonical hub objects -> the warehouse's JSON."""

from __future__ import annotations

from typing import Any

from connect_hub.canonical import Address, Order, OrderLine
from connect_hub.errors import PermanentError

ADDRESS_FIELDS: dict[str, str] = {
    # warehouse field: canonical Address field
    "company": "company",
    "address1": "line1",
    "address2": "line2",
    "postcode": "postcode",
    "city": "city",
    "state": "state",
    "country": "country",
    "phone": "phone",
}


def order_payload(order: Order) -> dict[str, Any]:
    """The warehouse order for a hub order; its ``reference`` is the warehouse's key."""
    return {
        "reference": order.reference,
        "email": order.email or order.shipping.email or order.billing.email,
        "shipping_address": address_payload(order.shipping),
        "lines": [_line(order.reference, n, line) for n, line in enumerate(order.lines, 1)],
    }


def address_payload(address: Address) -> dict[str, str]:
    """The warehouse address: one ``name`` and the fields of :data:`ADDRESS_FIELDS`."""
    name = " ".join(part for part in (address.first_name, address.last_name) if part)
    fields = {ours: getattr(address, theirs) for ours, theirs in ADDRESS_FIELDS.items()}
    return {"name": name} | fields


def _line(reference: str, number: int, line: OrderLine) -> dict[str, Any]:
    if not line.sku:
        raise PermanentError(
            f"order {reference}: line {number} ({line.name or 'no name'}) has no SKU; "
            "the warehouse can only ship products with a SKU"
        )
    if line.quantity <= 0:
        raise PermanentError(
            f"order {reference}: line {number} ({line.sku}) has quantity "
            f"{line.quantity}; the warehouse needs a positive quantity"
        )
    return {"sku": line.sku, "quantity": line.quantity, "name": line.name}
