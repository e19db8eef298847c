"""Pure functions between WooCommerce REST/webhook JSON and the hub's canonical objects.

A webhook body is the same object as ``GET /wc/v3/{resource}s/{id}``, so these functions serve
webhooks and polling alike. Money becomes ``Decimal`` from the text WooCommerce sends (callers
should parse JSON with ``parse_float=Decimal`` so that numbers such as a line's ``price`` keep
their digits); times come from the ``*_gmt`` fields as UTC. The way back (``*_to_wc``) builds
request bodies for exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connect_hub.canonical import (
    Address,
    Checkout,
    CheckoutStatus,
    Contact,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Shipment,
)
from connect_hub.errors import MappingError

# --- Tables -----------------------------------------------------------------------------------

ADDRESS_FIELDS: dict[str, str] = {
    # Address field <- WooCommerce billing/shipping field
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company",
    "line1": "address_1",
    "line2": "address_2",
    "postcode": "postcode",
    "city": "city",
    "state": "state",
    "country": "country",
    "phone": "phone",
    "email": "email",
}

ORDER_STATUSES: dict[str, OrderStatus] = {
    # The standard WooCommerce statuses; a shop's custom ones go through the status_map setting.
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "on-hold": OrderStatus.ON_HOLD,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
}

CHECKOUT_META_KEY = "_connect_hub_checkout_id"
"""Order meta where the companion plugin keeps the id of the checkout the order was placed from."""

PLUGIN_CHECKOUT_STATUSES: dict[str, CheckoutStatus] = {
    # The companion plugin's checkout statuses; abandonment is the hub's own judgement.
    "pending": CheckoutStatus.PENDING,
    "completed": CheckoutStatus.COMPLETED,
}

SHOP_SHIPMENT_SOURCE = "shop"
"""``shipment.source`` of a shipment a shop manager entered (the hub's own writes say ``hub``)."""

CHECKOUT_DRAFT = "checkout-draft"
"""The block checkout's cart in progress: not an order yet (no payment, no order mail)."""


# --- Orders -----------------------------------------------------------------------------------


def parse_order(
    data: Mapping[str, Any], integration_name: str, status_map: Mapping[str, str]
) -> Order | None:
    """The Order in ``data``, or None for a ``checkout-draft``.

    The block checkout saves the cart as a ``checkout-draft`` order while the shopper is still
    typing; it is not an order until it leaves that status (as ``pending`` or ``processing``),
    and WooCommerce sends ``order.updated`` then. Importing drafts would hand warehouses orders
    that may never be placed.
    """
    if data.get("status") == CHECKOUT_DRAFT:
        return None
    return order_from_wc(data, integration_name, status_map)


def order_from_wc(
    data: Mapping[str, Any], integration_name: str, status_map: Mapping[str, str]
) -> Order:
    """Map a WooCommerce order; a custom status the hub cannot place leaves ``status`` None."""
    number = str(data.get("number") or data.get("id", ""))
    what = f"order {number} of integration {integration_name!r}"
    billing = data.get("billing") or {}
    return Order(
        reference=f"{integration_name}-{number}",
        source=integration_name,
        number=number,
        status=order_status(data.get("status", ""), what, status_map),
        source_status=data.get("status", ""),
        currency=data.get("currency", ""),
        total=money(data.get("total"), what, "total"),
        shipping_total=money(data.get("shipping_total"), what, "shipping_total"),
        tax_total=money(data.get("total_tax"), what, "total_tax"),
        email=billing.get("email", ""),
        billing=address_from_wc(billing),
        shipping=address_from_wc(data.get("shipping") or {}),
        lines=[line_from_wc(item, what) for item in data.get("line_items") or ()],
        note=data.get("customer_note", ""),
        created_at=gmt_datetime(data, "date_created"),
        modified_at=gmt_datetime(data, "date_modified"),
        checkout_reference=meta_value(data, CHECKOUT_META_KEY) or "",
    )


def order_status(status: str, what: str, status_map: Mapping[str, str]) -> OrderStatus | None:
    """The hub status for a WooCommerce status; ``status_map`` comes first, then the standard.

    None for a custom status that neither places: the order keeps it as ``source_status`` for an
    import rule to map, and the hub keeps it as failed if none does.
    """
    if status in status_map:
        target = str(status_map[status])
        try:
            return OrderStatus(target.replace("-", "_"))
        except ValueError:
            known = ", ".join(s.value for s in OrderStatus)
            raise MappingError(
                f"{what}: status_map maps {status!r} to {target!r}, which is not a hub status "
                f"({known})"
            ) from None
    return ORDER_STATUSES.get(status)


def line_from_wc(item: Mapping[str, Any], what: str) -> OrderLine:
    """One order line; an empty SKU (a product without one) becomes None."""
    return OrderLine(
        sku=item.get("sku") or None,
        name=item.get("name", ""),
        quantity=int(item.get("quantity", 0)),
        unit_price=money(item.get("price"), what, "line_items.price"),  # a JSON number
        total=money(item.get("total"), what, "line_items.total"),
    )


# --- Companion plugin: checkouts and shipments -------------------------------------------------


def checkout_from_plugin(data: Mapping[str, Any], integration_name: str) -> Checkout:
    """A ``checkout.updated`` / ``checkout.completed`` body; the reference is the checkout id
    and the modified time ``updated_at_gmt``."""
    reference = str(data.get("id") or "")
    what = f"checkout {reference or '(no id)'} of integration {integration_name!r}"
    if not reference:
        raise MappingError(f"{what}: the body has no id, so it cannot be linked")
    status = PLUGIN_CHECKOUT_STATUSES.get(str(data.get("status") or ""))
    if status is None:
        known = ", ".join(PLUGIN_CHECKOUT_STATUSES)
        raise MappingError(f"{what}: status {data.get('status')!r} is none of {known}")
    order_number = data.get("order_number") or data.get("order_id")
    return Checkout(
        reference=reference,
        email=str(data.get("email") or ""),
        first_name=str(data.get("first_name") or ""),
        last_name=str(data.get("last_name") or ""),
        status=status,
        currency=str(data.get("currency") or ""),
        total=money(data.get("total"), what, "total"),
        lines=[checkout_line(line, what) for line in data.get("lines") or ()],
        recovery_url=str(data.get("recovery_url") or ""),
        order_reference=f"{integration_name}-{order_number}" if order_number else "",
        modified_at=gmt_datetime(data, "updated_at"),
    )


def checkout_line(line: Mapping[str, Any], what: str) -> OrderLine:
    """One cart line ``{"sku", "name", "quantity", "price"}``; the total is price x quantity."""
    price = money(line.get("price"), what, "lines.price")
    quantity = int(line.get("quantity") or 0)
    return OrderLine(
        sku=line.get("sku") or None,
        name=str(line.get("name") or ""),
        quantity=quantity,
        unit_price=price,
        total=price * quantity,
    )


def shipment_from_plugin(data: Mapping[str, Any], integration_name: str) -> Shipment | None:
    """A ``shipment.created`` body, or None unless a shop manager entered it (``source: shop``):
    the hub's own writes come back with another source and are no news."""
    shipment = data.get("shipment") or {}
    if shipment.get("source") != SHOP_SHIPMENT_SOURCE:
        return None
    number = str(data.get("order_number") or data.get("order_id") or "")
    if not number:
        raise MappingError(
            f"shipment {shipment.get('id')} of integration {integration_name!r} names no order"
        )
    shipped_at = gmt_datetime(shipment, "created_at")
    return Shipment(
        order_reference=f"{integration_name}-{number}",
        carrier=str(shipment.get("provider") or ""),
        tracking_code=str(shipment.get("tracking_number") or ""),
        tracking_url=str(shipment.get("tracking_url") or ""),
        shipped_at=shipped_at,
        modified_at=shipped_at,
    )


# --- Contacts ---------------------------------------------------------------------------------


def contact_from_wc_customer(data: Mapping[str, Any]) -> Contact:
    """Map a WooCommerce customer (``/customers/{id}``); names come from the account."""
    email = data.get("email") or ""
    if not email:
        raise MappingError(
            f"customer {data.get('id')} has no e-mail address, so it cannot be linked"
        )
    billing = data.get("billing") or {}
    return Contact(
        email=email,
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        company=billing.get("company", ""),
        phone=billing.get("phone", ""),
        billing=address_from_wc(billing),
        shipping=address_from_wc(data.get("shipping") or {}),
        modified_at=gmt_datetime(data, "date_modified"),
    )


def contact_from_order_billing(data: Mapping[str, Any]) -> Contact | None:
    """The person who placed an order (a guest checkout too), or None without an e-mail.

    ``modified_at`` is the order's creation time, not its last change: the billing details are a
    snapshot taken at checkout, so a later status change of an old order must not count as a
    newer version of the contact than an edit made to the customer's account since.
    """
    billing = data.get("billing") or {}
    email = billing.get("email") or ""
    if not email:
        return None
    return Contact(
        email=email,
        first_name=billing.get("first_name", ""),
        last_name=billing.get("last_name", ""),
        company=billing.get("company", ""),
        phone=billing.get("phone", ""),
        billing=address_from_wc(billing),
        shipping=address_from_wc(data.get("shipping") or {}),
        modified_at=gmt_datetime(data, "date_created"),
    )


def address_from_wc(data: Mapping[str, Any]) -> Address:
    """A billing or shipping address; missing fields and nulls become empty strings."""
    return Address(**{field: data.get(wc) or "" for field, wc in ADDRESS_FIELDS.items()})


def customer_to_wc(contact: Contact) -> dict[str, Any]:
    """The body that creates or updates a WooCommerce customer from a contact.

    Addresses are sent only when the contact has them (None leaves the shop's as they are);
    the shipping address has no e-mail field in WooCommerce. The contact's phone and company
    are the billing address's (WooCommerce keeps them nowhere else), so they are sent there
    even without an address: a phone changed elsewhere reaches the shop.
    """
    body: dict[str, Any] = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
    }
    if contact.billing is not None:
        body["billing"] = address_to_wc(contact.billing)
    else:
        body["billing"] = {}
    for field in ("phone", "company"):
        if getattr(contact, field):
            body["billing"][field] = getattr(contact, field)
    if not body["billing"]:
        del body["billing"]
    if contact.shipping is not None:
        shipping = address_to_wc(contact.shipping)
        shipping.pop("email")
        body["shipping"] = shipping
    return body


def address_to_wc(address: Address) -> dict[str, str]:
    """An address as WooCommerce's billing/shipping object."""
    return {wc: getattr(address, field) for field, wc in ADDRESS_FIELDS.items()}


# --- Products ---------------------------------------------------------------------------------


PARENT_SKU = "_parent_sku"
"""Key the poll adds to a variation's body: its parent's SKU (the API gives only the id)."""


def product_from_wc(data: Mapping[str, Any], barcode_meta_key: str | None = None) -> Product:
    """Map a product or a variation (a variation arrives as ``product.updated`` with its own id).

    A variation's webhook body names its parent by id only, so ``parent_sku`` is None unless the
    body carries ``_parent_sku`` (the poll adds it); its attributes
    (``[{"name": "Size", "option": "S"}]``) become ``{"Size": "S"}``. A variation whose stock the
    parent manages (``manage_stock: "parent"``) reports no stock of its own. The barcode is the
    GTIN field, or the ``barcode_meta_key`` meta value when that is given and set.
    """
    variation = data.get("type") == "variation" or bool(data.get("parent_id"))
    manage_stock = data.get("manage_stock") is True
    stock = data.get("stock_quantity")
    what = f"product {data.get('id')}"
    return Product(
        sku=data.get("sku") or None,
        barcode=meta_value(data, barcode_meta_key) or data.get("global_unique_id") or None,
        name=data.get("name", ""),
        price=optional_money(data.get("price"), what, "price"),
        parent_sku=data.get(PARENT_SKU) or None,
        attributes=variation_attributes(data) if variation else {},
        manage_stock=manage_stock,
        stock_quantity=int(stock) if manage_stock and stock is not None else None,
        modified_at=gmt_datetime(data, "date_modified"),
    )


def meta_value(data: Mapping[str, Any], key: str | None) -> str | None:
    """The text of meta field ``key`` (``meta_data: [{"key", "value"}]``), None if unset."""
    if not key:
        return None
    for meta in data.get("meta_data") or ():
        if meta.get("key") == key and meta.get("value") not in (None, ""):
            return str(meta["value"])
    return None


def variation_attributes(data: Mapping[str, Any]) -> dict[str, str]:
    """A variation's chosen options by attribute name."""
    return {
        str(attribute.get("name", "")): str(attribute.get("option", ""))
        for attribute in data.get("attributes") or ()
        if attribute.get("name")
    }


# --- Values -----------------------------------------------------------------------------------


def money(value: Any, what: str, field: str) -> Decimal:
    """A Decimal from WooCommerce's decimal text (or a number); empty or absent is zero."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"{what}: {field} is {value!r}, which is not an amount") from None


def optional_money(value: Any, what: str, field: str) -> Decimal | None:
    """Like :func:`money`, but empty or absent is None (a variable product has no own price)."""
    return None if value is None or value == "" else money(value, what, field)


def gmt_datetime(data: Mapping[str, Any], name: str) -> datetime | None:
    """``{name}_gmt`` as an aware UTC datetime, else ``{name}`` read as UTC, else None.

    The field without ``_gmt`` is the shop's local time without an offset; it is only a fallback
    for bodies that lack the GMT field.
    """
    text = data.get(f"{name}_gmt") or data.get(name)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(str(text))
    except ValueError:
        raise MappingError(f"{name} is {text!r}, which is not a date and time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
