"""Stock figures: one source of stock, what is already sold, and only SKUs the source carries.

Identity: one figure per SKU (``sku:<SKU>``); a figure is absolute and the latest wins. When a
preset makes an integration the stock source, figures from every other integration are ignored.
A source reports only the SKUs it carries (a warehouse's articles): a SKU it does not know is
never set to 0 elsewhere. With ``subtract_unsent_orders`` the figure kept is the reported one
less the quantities of processing orders that have not reached the source yet.
"""

from __future__ import annotations

from typing import Any

from connect_hub.account import Account
from connect_hub.canonical import Canonical, OrderStatus, Stock
from connect_hub.contracts import Incoming, Integration
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.manifest import DataType
from connect_hub.store.models import Delivery, DeliveryState, Link, Record

UNSENT_STATES = (DeliveryState.PENDING, DeliveryState.RUNNING, DeliveryState.FAILED, DeliveryState.DEAD)


class StockPolicy(DataTypePolicy):
    data_type = DataType.STOCKS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Stock)
        return f"stock of {obj.sku}"

    async def prepare(self, account: Account, integration: Integration, item: Incoming) -> Incoming | str:
        if reason := ignored_stock_reason(account, integration):
            return reason
        assert isinstance(item.obj, Stock)
        item.obj = await available_stock(account, integration, item.obj)
        return item

    def related_keys(self, obj: Canonical) -> dict[str, tuple[DataType, str]]:
        assert isinstance(obj, Stock)
        return {"product": (DataType.PRODUCTS, f"sku:{obj.sku}")}

    async def drifted(self, account: Account, source: str, record: Record, obj: Canonical, connection: Any) -> list[str]:
        """Integrations that show another stock for the SKU than the source's unchanged figure.

        A shop moves stock by itself (a refund or a cancellation puts items back): its product,
        imported after the hub last set its stock, shows a figure the stock source does not. That
        integration gets the figure again, unless orders for the SKU are still on their way to
        the source (the shop has rightly sold them already).
        """
        assert isinstance(obj, Stock)
        product = await Record.filter(
            account=account.name, data_type=str(DataType.PRODUCTS), key=f"sku:{obj.sku}"
        ).using_db(connection).first()
        shown = (product.data or {}).get("stock_quantity") if product is not None else None
        if product is None or shown is None or shown == obj.quantity or product.source == source:
            return []
        target = account.integration(product.source)
        if target is None or not target.exports(DataType.STOCKS) or await unsent_quantity(account, source, obj.sku):
            return []
        last = await Link.filter(
            account=account.name, integration=target.name, data_type=str(DataType.STOCKS), record_id=record.id
        ).using_db(connection).first()
        if last is not None and last.last_exported_at is not None and product.updated_at <= last.last_exported_at:
            return []  # the shop has not told what it shows since the hub last set it
        return [target.name]


def stock_sources(account: Account) -> list[str]:
    """Integrations whose preset makes them the only source of stock."""
    return [name for name, i in account.integrations.items() if i.stock_source]


def ignored_stock_reason(account: Account, integration: Integration) -> str | None:
    """Why a stock figure from ``integration`` is not imported, or None when it is."""
    sources = stock_sources(account)
    if sources and integration.name not in sources:
        return f"stock from {integration.name} is ignored: {', '.join(sources)} is the stock source"
    return None


async def unsent_quantity(account: Account, stock_source: str, sku: str) -> int:
    """Units of ``sku`` in processing orders that have not reached ``stock_source`` yet."""
    record_ids = set(
        await Delivery.filter(account=account.name, integration=stock_source, data_type="orders", state__in=UNSENT_STATES)
        .values_list("record_id", flat=True)
    )
    if not record_ids:
        return 0
    received = set(
        await Delivery.filter(account=account.name, integration=stock_source, record_id__in=record_ids, state=DeliveryState.DONE)
        .values_list("record_id", flat=True)
    )
    total = 0
    for data in await Record.filter(id__in=record_ids - received).values_list("data", flat=True):
        if data.get("status") != OrderStatus.PROCESSING:
            continue
        total += sum(line["quantity"] for line in data.get("lines", []) if line.get("sku") == sku)
    return total


async def available_stock(account: Account, integration: Integration, stock: Stock) -> Stock:
    """The figure to keep: as reported, or less what is sold but not yet at the source."""
    if not integration.subtract_unsent_orders:
        return stock
    unsent = await unsent_quantity(account, integration.name, stock.sku)
    return stock.model_copy(update={"quantity": max(stock.quantity - unsent, 0), "unsent": unsent})
