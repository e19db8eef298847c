"""Stock figures: one source of stock, what is already sold, and only SKUs the source carries.

Identity: one figure per SKU (``sku:<SKU>``); a figure is absolute and the latest wins. When a
preset makes an integration the stock source, figures from every other integration are ignored.
A source reports only the SKUs it carries (a warehouse's articles): a SKU it does not know is
never set to 0 elsewhere. With ``subtract_unsent_orders`` the figure kept is the reported one
less the quantities of processing orders that have not reached the source yet.
"""

from __future__ import annotations

from connect_hub.account import Account
from connect_hub.canonical import Canonical, OrderStatus, Stock
from connect_hub.contracts import Incoming, Integration
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.manifest import DataType
from connect_hub.store.models import Delivery, DeliveryState, Record

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
