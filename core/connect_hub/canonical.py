"""The hub's canonical objects: one format for every connector, each with a stable content hash.

Money is a ``Decimal`` (never a float); times are timezone-aware UTC. ``modified_at`` is the
source's last-modified time: it orders versions ("no going back") and is left out of the hash,
like the hub's own link fields, so a re-send of unchanged content hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

from connect_hub.manifest import DataType


def count(default: Any = PydanticUndefined) -> Any:
    """A quantity's field: an integer of 64 bits at most, which the store's JSON (orjson;
    PostgreSQL's ``bigint``) keeps exactly; a source that sends a bigger one has its object
    refused as it is read. Required unless given a ``default``."""
    return Field(default, ge=-(2**63), le=2**63 - 1)


class Canonical(BaseModel):
    """Base of all canonical objects."""

    model_config = ConfigDict(extra="forbid")

    data_type: ClassVar[DataType]
    hash_exclude: ClassVar[set[str]] = {"modified_at"}

    modified_at: datetime | None = None

    @abstractmethod
    def match_key(self) -> str:
        """The key that links this object to its master record across connectors."""

    def content(self) -> dict[str, Any]:
        """The JSON-ready content that the hash covers."""
        return self.content_of(self.model_dump(mode="json"))

    def content_of(self, data: dict[str, Any]) -> dict[str, Any]:
        """The content within ``data``, this object's JSON-ready dump (left as it is): the data
        without the ``hash_exclude`` fields."""
        return {name: value for name, value in data.items() if name not in self.hash_exclude}

    def content_hash(self) -> str:
        """SHA-256 over the canonical JSON of the content (sorted keys, no whitespace)."""
        return content_hash(self.content())

    def stored(self) -> tuple[dict[str, Any], str]:
        """What a record keeps of the object, from one dump: its JSON-ready data, and its
        :meth:`content_hash`."""
        data = self.model_dump(mode="json")
        return data, content_hash(self.content_of(data))


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 over ``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``.

    Those bytes are what every stored hash was made of, so they may never change. orjson writes
    the very same bytes, several times faster, for what content holds: text, integers, booleans
    and null (money is Decimal text, and no canonical field is a float, whose notation orjson
    writes otherwise); :mod:`json` writes what orjson refuses (an integer beyond 64 bits).
    """
    try:
        data = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    state: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""


class Contact(Canonical):
    """A person: customer, lead or subscriber; matched by e-mail."""

    data_type: ClassVar[DataType] = DataType.CONTACTS

    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    phone: str = ""
    billing: Address | None = None
    shipping: Address | None = None

    def match_key(self) -> str:
        return f"email:{self.email.strip().lower()}"


class Product(Canonical):
    """A sellable item; a variation carries its parent's SKU. Matched by SKU, else barcode."""

    data_type: ClassVar[DataType] = DataType.PRODUCTS

    sku: str | None = None
    barcode: str | None = None
    name: str = ""
    price: Decimal | None = None
    parent_sku: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    manage_stock: bool = False
    stock_quantity: int | None = count(None)

    def match_key(self) -> str:
        if self.sku:
            return f"sku:{self.sku}"
        if self.barcode:
            return f"barcode:{self.barcode}"
        raise ValueError("a product needs a SKU or a barcode to be linked")


class Stock(Canonical):
    """An absolute stock figure for one SKU, as its source reports it."""

    data_type: ClassVar[DataType] = DataType.STOCKS

    sku: str
    quantity: int = count()
    """Available to sell: what the source reports, less ``unsent`` when the hub subtracts it."""
    unsent: int = count(0)
    """Quantities of orders sold but not yet received by the stock source (already subtracted)."""

    def match_key(self) -> str:
        return f"sku:{self.sku}"


class OrderStatus(StrEnum):
    """Hub order statuses; connectors map their own onto these."""

    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None
    name: str = ""
    quantity: int = count()
    unit_price: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    product_record_id: int | None = None
    """Set by the hub: the master product this line's SKU links to (not part of the hash)."""


class Order(Canonical):
    """An order, identified by its source: ``reference`` is unique within the account."""

    data_type: ClassVar[DataType] = DataType.ORDERS
    hash_exclude: ClassVar[set[str]] = {"modified_at"}

    reference: str
    """The hub's order reference, e.g. ``shop-1042``: stable, used as the key downstream."""
    source: str
    number: str
    status: OrderStatus | None
    """None while the source's status has no hub status yet (an import rule may map it; an order
    still without one after the import rules is kept as failed)."""
    source_status: str = ""
    """The status as the source names it (``wc-awaiting-pickup``), for rules to map."""
    currency: str
    total: Decimal
    shipping_total: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    email: str = ""
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)
    lines: list[OrderLine]
    note: str = ""
    created_at: datetime | None = None
    checkout_reference: str = ""
    """The checkout this order was placed from (``Checkout.reference``), when the source knows it."""

    def match_key(self) -> str:
        return f"order:{self.reference}"

    def content_of(self, data: dict[str, Any]) -> dict[str, Any]:
        """Without the lines' product links, and without ``checkout_reference`` when there is
        none: orders without one hash as they did before the field."""
        content = super().content_of(data)
        if not self.checkout_reference:
            del content["checkout_reference"]
        content["lines"] = [{name: value for name, value in line.items() if name != "product_record_id"} for line in data["lines"]]
        return content


class CheckoutStatus(StrEnum):
    """A checkout only moves forward: pending, then abandoned or completed; abandoned, then
    completed. ``CHECKOUT_STATUS_RANK`` orders them."""

    PENDING = "pending"
    ABANDONED = "abandoned"
    COMPLETED = "completed"


CHECKOUT_STATUS_RANK: dict[CheckoutStatus, int] = {
    CheckoutStatus.PENDING: 0,
    CheckoutStatus.ABANDONED: 1,
    CheckoutStatus.COMPLETED: 2,
}


class Checkout(Canonical):
    """A cart whose shopper is known, until it becomes an order or is abandoned."""

    data_type: ClassVar[DataType] = DataType.CHECKOUTS

    reference: str
    email: str
    first_name: str = ""
    last_name: str = ""
    status: CheckoutStatus = CheckoutStatus.PENDING
    currency: str = ""
    total: Decimal = Decimal(0)
    lines: list[OrderLine] = Field(default_factory=list)
    recovery_url: str = ""
    order_reference: str = ""
    """The hub's reference of the order placed from it, once completed (when known)."""

    def match_key(self) -> str:
        return f"checkout:{self.reference}"


class Shipment(Canonical):
    """A parcel sent for an order: carrier, tracking code and link, shipped lines."""

    data_type: ClassVar[DataType] = DataType.SHIPMENTS

    order_reference: str
    carrier: str = ""
    tracking_code: str = ""
    tracking_url: str = ""
    lines: list[OrderLine] = Field(default_factory=list)
    shipped_at: datetime | None = None

    def match_key(self) -> str:
        return f"shipment:{self.order_reference}:{self.tracking_code}"


MODELS: dict[DataType, type[Canonical]] = {
    model.data_type: model for model in (Contact, Product, Stock, Order, Checkout, Shipment)
}


def load(data_type: DataType | str, data: dict[str, Any]) -> Canonical:
    """Rebuild a canonical object of the given type from its stored JSON."""
    return MODELS[DataType(data_type)].model_validate(data)
