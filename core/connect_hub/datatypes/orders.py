"""Orders: identified by their source, with lines linked to master products.

Identity: ``order:<reference>``, where the source connector makes the reference unique in the
account (WooCommerce: ``<integration>-<number>``); in the source it is linked by the system's
order id. Lines point at the master product of their SKU (a bare one is made when none exists).
An order whose status the hub cannot place is kept as failed with the two ways to map it. An
order placed from a checkout completes that checkout.
"""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical, Order, Product
from connect_hub.contracts import Incoming, Integration
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.datatypes.checkouts import completed_by
from connect_hub.manifest import DataType
from connect_hub.pipeline import ledger
from connect_hub.store import rows
from connect_hub.store.models import Record


class OrderPolicy(DataTypePolicy):
    data_type = DataType.ORDERS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Order)
        return f"order {obj.reference}"

    def refusal(self, obj: Canonical, source: str) -> str | None:
        assert isinstance(obj, Order)
        return unplaced_status(obj, source) if obj.status is None else None

    async def before_write(self, account: Account, obj: Canonical, connection: Any) -> None:
        assert isinstance(obj, Order)
        await link_order_lines(account, obj, connection)

    async def follow_ups(self, account: Account, integration: Integration, obj: Canonical) -> list[Incoming]:
        assert isinstance(obj, Order)
        if not integration.imports(DataType.CHECKOUTS):
            return []
        checkout = await completed_by(account, obj)
        return [Incoming(checkout, checkout.reference)] if checkout is not None else []


def unplaced_status(order: Order, integration: str) -> str:
    """Why an order without a hub status is kept as failed, and the two ways to fix it."""
    status = order.source_status
    return (
        f"order {order.number} of integration {integration!r} has the status {status!r}, which has no "
        f"hub status: map it in the integration's status_map setting (status_map: {{{status!r}: processing}}) "
        f"or with an import rule (e.g. map: {{field: status, from: source_status, table: {{{status!r}: processing}}}}), "
        "then replay the event"
    )


async def link_order_lines(account: Account, order: Order, connection: Any) -> None:
    """Point each order line at its master product by SKU, creating a bare one if none exists.

    A bare master product (SKU and name from the line) is not routed anywhere: it waits for a
    product import to fill it in.
    """
    for line in order.lines:
        if not line.sku:
            continue
        product = Product(sku=line.sku, name=line.name)
        record = await rows.record_by_key(account.name, "products", product.match_key(), connection)
        if record is None:
            data, content = product.stored()
            record = await rows.create(
                Record, connection, account=account.name, data_type="products", key=product.match_key(), version=1,
                hash=content, data=data, source=order.source,
            )
            await ledger.note(
                account.name, record, ledger.CREATED, integration=order.source, content_hash=record.hash,
                written=True, connection=connection,
            )
        line.product_record_id = record.id
