"""Pure functions: canonical hub orders -> the warehouse's JSON, its webhook bodies -> canonical."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connect_hub.canonical import Address, Order, OrderLine, Shipment, Stock
from connect_hub.errors import MappingError, PermanentError

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


# --- warehouse -> hub ----------------------------------------------------------------------


def stock_from_warehouse(body: dict[str, Any], fallback_time: datetime) -> Stock:
    """A ``stock.changed`` body ``{"sku", "quantity", "changed_at"}`` as a Stock figure.

    ``fallback_time`` (when the event arrived) stands in for a missing ``changed_at``.
    """
    return Stock(
        sku=_text(body, "sku", required=True),
        quantity=_count(body, "quantity", "stock.changed"),
        modified_at=_time(body, "changed_at") or fallback_time,
    )


def shipment_from_warehouse(body: dict[str, Any], fallback_time: datetime) -> Shipment:
    """An ``order.shipped`` body as a Shipment of the order with the hub's ``reference``."""
    shipped_at = _time(body, "shipped_at")
    lines = body.get("lines", [])
    if not isinstance(lines, list):
        raise MappingError("order.shipped: lines must be a list")
    return Shipment(
        order_reference=_text(body, "reference", required=True),
        carrier=_text(body, "carrier"),
        tracking_code=_text(body, "tracking_code"),
        tracking_url=_text(body, "tracking_url"),
        lines=[_shipped_line(number, line) for number, line in enumerate(lines, 1)],
        shipped_at=shipped_at,
        modified_at=shipped_at or fallback_time,
    )


def shipment_external_id(body: dict[str, Any]) -> str:
    """The shipment's id at the warehouse: its order id and tracking code."""
    return f"{_text(body, 'order_id', required=True)}:{_text(body, 'tracking_code')}"


def stock_body(item: dict[str, Any]) -> dict[str, Any]:
    """A stock list item of the API in the shape of a ``stock.changed`` webhook body."""
    return {
        key: item[key] for key in ("sku", "quantity", "changed_at") if item.get(key) is not None
    }


def _shipped_line(number: int, line: Any) -> OrderLine:
    if not isinstance(line, dict):
        raise MappingError(f"order.shipped: line {number} is not an object")
    return OrderLine(
        sku=_text(line, "sku", required=True),
        name=_text(line, "name"),
        quantity=_count(line, "quantity", f"order.shipped line {number}"),
    )


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise MappingError(
            f"{key} must be a{' non-empty' if required else ''} string, got {value!r}"
        )
    return value


def _count(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MappingError(f"{where}: {key} must be an integer, got {value!r}")
    return value


def _time(data: dict[str, Any], key: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (a naive one is taken as UTC), or None."""
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise MappingError(f"{key} must be an ISO 8601 time, got {value!r}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
