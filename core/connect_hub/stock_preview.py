"""What the first stock sync will change, read from both sides before anything is written.

``connect-hub onboard`` shows it for a stock source and for the integrations it sets stock in:
the source's figure for each SKU it carries against the stock the other side shows now, and the
other side's SKUs the source does not carry, whose stock the hub leaves as it is. It reads
through the connectors' own polls and parsers and stores nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connect_hub.account import Account
from connect_hub.canonical import Product, Stock
from connect_hub.contracts import Check, Integration, RawEvent
from connect_hub.datatypes.stocks import stock_sources
from connect_hub.manifest import DataType

LISTED = 10
"""Most SKUs named per list (the sentence says how many more)."""


async def first_stock_sync(account: Account, integration: Integration) -> list[Check]:
    """One check per (stock source, integration it sets stock in) that ``integration`` is part
    of; empty when it is neither. The integrations involved must be started."""
    sources = stock_sources(account)
    if integration.name in sources:
        pairs = [(integration, target) for target in account.integrations.values() if target.name != integration.name and target.exports(DataType.STOCKS)]
    elif sources and integration.exports(DataType.STOCKS):
        pairs = [(account.integrations[sources[0]], integration)]
    else:
        return []
    checks = []
    for source, target in pairs:
        try:
            figures = await _stock_figures(account, source)
            shown = await _shown_stock(account, target)
        except Exception as exc:  # noqa: BLE001 - a preview that cannot be read is said, not raised
            checks.append(Check("first stock sync", False, f"Cannot preview the stock {source.name} sets in {target.name}: {exc}"))
            continue
        checks.append(Check("first stock sync", True, describe(source.name, target.name, figures, shown)))
    return checks


def describe(source: str, target: str, figures: dict[str, int], shown: dict[str, int | None]) -> str:
    """The preview in sentences: what changes, what already matches, what is left alone."""
    changes = [f"{sku} {_shown(shown[sku])} → {figures[sku]}" for sku in sorted(shown) if sku in figures and shown[sku] != figures[sku]]
    same = sum(1 for sku in shown if sku in figures and shown[sku] == figures[sku])
    uncarried = sorted(sku for sku in shown if sku not in figures and shown[sku] is not None)
    absent = sum(1 for sku in figures if sku not in shown)
    parts = [f"The first stock sync from {source} sets {len(changes)} SKU{_s(changes)} in {target}" + (f": {_listed(changes)}" if changes else "")]
    parts.append(f"{same} already match{'es' if same == 1 else ''}")
    if uncarried:
        are = "are" if len(uncarried) > 1 else "is"
        parts.append(f"{len(uncarried)} SKU{_s(uncarried)} of {target} {are} not carried by {source} and keep{'' if len(uncarried) > 1 else 's'} {'their' if len(uncarried) > 1 else 'its'} stock: {_listed(uncarried)}")
    if absent:
        parts.append(f"{absent} SKU{'s' if absent != 1 else ''} {source} carries {'are' if absent != 1 else 'is'} not sold in {target}")
    return "; ".join(parts) + "."


async def _stock_figures(account: Account, source: Integration) -> dict[str, int]:
    figures: dict[str, int] = {}
    async for obj in _polled(account, source, DataType.STOCKS):
        if isinstance(obj, Stock):
            figures[obj.sku] = obj.quantity
    return figures


async def _shown_stock(account: Account, target: Integration) -> dict[str, int | None]:
    """Stock per SKU as the target shows it (None: it does not manage that product's stock)."""
    shown: dict[str, int | None] = {}
    async for obj in _polled(account, target, DataType.PRODUCTS):
        if isinstance(obj, Product) and obj.sku:
            shown[obj.sku] = obj.stock_quantity if obj.manage_stock else None
    return shown


async def _polled(account: Account, integration: Integration, data_type: DataType):  # type: ignore[no-untyped-def]
    """Every object a full poll of ``data_type`` brings, parsed as an import would, one page
    at a time."""
    pages = account.plugins.poll(integration, data_type, None)
    if pages is None:
        return
    async for page in pages:
        for number, item in enumerate(page.items):
            raw = RawEvent(id=number, integration=integration.name, topic=item.topic, headers={}, body=item.body, received_at=datetime.now(UTC))
            for incoming in await account.plugins.parse_event(integration, raw):
                yield incoming.obj


def _shown(value: int | None) -> str:
    return "unmanaged" if value is None else str(value)


def _s(items: list[str]) -> str:
    return "" if len(items) == 1 else "s"


def _listed(items: list[str]) -> str:
    return ", ".join(items[:LISTED]) + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")
