"""One policy per data type: identity, merge, checks, follow-ups and routing (see ``base``).

A new data type is a new module here with its :class:`~connect_hub.datatypes.base.DataTypePolicy`
subclass, registered in :data:`POLICIES`, not more branches in the pipeline.
"""

from __future__ import annotations

from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.datatypes.checkouts import CheckoutPolicy
from connect_hub.datatypes.contacts import ContactPolicy
from connect_hub.datatypes.orders import OrderPolicy
from connect_hub.datatypes.products import ProductPolicy
from connect_hub.datatypes.shipments import ShipmentPolicy
from connect_hub.datatypes.stocks import StockPolicy
from connect_hub.manifest import DataType

POLICIES: dict[DataType, DataTypePolicy] = {
    policy.data_type: policy
    for policy in (OrderPolicy(), ContactPolicy(), ProductPolicy(), StockPolicy(), CheckoutPolicy(), ShipmentPolicy())
}


def policy_for(data_type: DataType | str) -> DataTypePolicy:
    """The policy of ``data_type``."""
    return POLICIES[DataType(data_type)]


__all__ = ["POLICIES", "DataTypePolicy", "policy_for"]
