"""Objects the contract suite exports when the connector gives none of its own for a data type.

Each call with a new number makes a new object (new e-mail, SKU or reference), so exports in one
run never collide with each other or with the remote's own data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from connect_hub.canonical import (
    Address,
    Canonical,
    Checkout,
    Contact,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Shipment,
    Stock,
)
from connect_hub.manifest import DataType

RUN = uuid.uuid4().hex[:6]
"""Part of every sample's identity, different in each test run."""


@dataclass(frozen=True)
class Sample:
    """One object to export, with the external ids of the objects it refers to (``related``:
    e.g. ``{"order": "1042"}`` for a shipment)."""

    obj: Canonical
    related: Mapping[str, str] = field(default_factory=dict)
    record_id: int = 1


def _address(number: int) -> Address:
    return Address(first_name="Ada", last_name=f"Contract{number}", line1=f"{number} Suite Street", postcode="1011 AB", city="Amsterdam", country="NL")


def default_sample(data_type: DataType, number: int) -> Sample:
    """A plain, valid object of ``data_type``; ``number`` makes it unique in this run."""
    now = datetime.now(UTC).replace(microsecond=0)
    if data_type == DataType.CONTACTS:
        return Sample(Contact(email=f"contract-{RUN}-{number}@example.test", first_name="Ada", last_name=f"Contract{number}", modified_at=now))
    if data_type == DataType.PRODUCTS:
        return Sample(Product(sku=f"CONTRACT-{RUN}-{number}", name=f"Contract product {number}", price=Decimal("12.50"), modified_at=now))
    if data_type == DataType.STOCKS:
        return Sample(Stock(sku=f"CONTRACT-{RUN}-{number}", quantity=5 + number, modified_at=now))
    line = OrderLine(sku=f"CONTRACT-{RUN}-1", name="Contract product", quantity=1, unit_price=Decimal("12.50"), total=Decimal("12.50"))
    if data_type == DataType.ORDERS:
        return Sample(Order(
            reference=f"contract-{RUN}-{number}", source="contract", number=str(number), status=OrderStatus.PROCESSING,
            currency="EUR", total=Decimal("12.50"), email=f"contract-{RUN}-{number}@example.test",
            billing=_address(number), shipping=_address(number), lines=[line], created_at=now, modified_at=now,
        ))
    if data_type == DataType.CHECKOUTS:
        return Sample(Checkout(reference=f"contract-{RUN}-{number}", email=f"contract-{RUN}-{number}@example.test", currency="EUR", total=Decimal("12.50"), lines=[line], modified_at=now))
    return Sample(Shipment(order_reference=f"contract-{RUN}-{number}", carrier="PostNL", tracking_code=f"3S{RUN.upper()}{number:04d}", lines=[line], shipped_at=now, modified_at=now))
