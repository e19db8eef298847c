"""Polling: what changed in the shop since a cursor, page by page, as webhook-like items.

Each item is the resource's JSON exactly as the API returns it, under the topic its webhook
would have (``order.updated``, ``product.updated``, ``customer.updated``), so the webhook parser
reads both paths alike.

- **Orders**: ``modified_after`` (GMT) from the cursor minus an overlap window, oldest change
  first; the first poll looks back ``first_import_days``.
- **Products**: the same, but the first poll takes the whole catalogue. A variable product's
  variations (own id, SKU and stock) are paged too, each carrying its parent's SKU as
  ``_parent_sku``.
- **Contacts**: customers have no date filter, so every poll is a full scan; the cursor stays.

The cursor is the latest ``date_modified_gmt`` seen (ISO text, e.g. ``2026-11-27T22:13:56``).
A page's cursor only covers what was yielded up to it, so a crash resumes without a gap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from connect_hub import jsontext
from connect_hub.contracts import PolledItem, PollPage
from connect_hub.manifest import DataType

from connect_hub_woocommerce.client import Json, WooClient
from connect_hub_woocommerce.mapping import PARENT_SKU

OVERLAP = timedelta(minutes=10)
"""How far before the cursor a poll starts again: changes saved late or in the same second."""


def since(cursor: str | None, first_import: datetime | None) -> str | None:
    """The GMT ``modified_after`` for a poll from ``cursor``; None means no filter at all.

    With a cursor: the cursor minus :data:`OVERLAP`. Without: ``first_import`` (where the
    integration's first import starts, from its preset or YAML), or None for everything.
    """
    if cursor:
        start = parse_gmt(cursor) - OVERLAP
    elif first_import is not None:
        start = first_import
    else:
        return None
    return start.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def parse_gmt(text: str) -> datetime:
    """A WooCommerce GMT time (no offset) or a cursor as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def advance(cursor: str | None, items: list[Json]) -> str | None:
    """The later of ``cursor`` and the items' latest ``date_modified_gmt``."""
    latest = cursor
    for resource in items:
        modified = resource.get("date_modified_gmt")
        if modified and (latest is None or parse_gmt(modified) > parse_gmt(latest)):
            latest = str(modified)
    return latest


def item(topic: str, data: Json) -> PolledItem:
    """One polled resource as an item (compact JSON, non-ASCII kept)."""
    return PolledItem(topic=topic, body=jsontext.dumps(data))


async def poll(
    client: WooClient,
    data_type: DataType,
    cursor: str | None,
    *,
    first_import: datetime | None,
) -> AsyncIterator[PollPage]:
    """The pages of changes of ``data_type`` since ``cursor`` (or since ``first_import`` the
    first time); nothing for other types."""
    if data_type == DataType.ORDERS:
        pages = poll_orders(client, since(cursor, first_import), cursor)
    elif data_type == DataType.PRODUCTS:
        pages = poll_products(client, since(cursor, first_import), cursor)
    elif data_type == DataType.CONTACTS:
        pages = poll_customers(client, cursor)
    else:
        return
    async for page in pages:
        yield page


async def poll_orders(
    client: WooClient, modified_after: str | None, cursor: str | None
) -> AsyncIterator[PollPage]:
    async for orders in client.iter_orders(modified_after):
        cursor = advance(cursor, orders)
        yield PollPage(items=[item("order.updated", o) for o in orders], cursor=cursor, total=getattr(orders, "total", None))


async def poll_products(
    client: WooClient, modified_after: str | None, cursor: str | None
) -> AsyncIterator[PollPage]:
    """Each page of products after the pages of its variable products' variations: the page
    that moves the cursor comes last, once everything before it is stored."""
    async for products in client.iter_products(modified_after):
        for product in products:
            if product.get("type") == "variable":
                async for page in poll_variations(client, product, cursor):
                    yield page
        cursor = advance(cursor, products)
        yield PollPage(items=[item("product.updated", p) for p in products], cursor=cursor, total=getattr(products, "total", None))


async def poll_variations(
    client: WooClient, parent: Json, cursor: str | None
) -> AsyncIterator[PollPage]:
    parent_sku = parent.get("sku") or None
    async for variations in client.iter_variations(parent["id"]):
        items = [item("product.updated", {**v, PARENT_SKU: parent_sku}) for v in variations]
        yield PollPage(items=items, cursor=cursor)


async def poll_customers(client: WooClient, cursor: str | None) -> AsyncIterator[PollPage]:
    async for customers in client.iter_customers():
        yield PollPage(items=[item("customer.updated", c) for c in customers], cursor=cursor, total=getattr(customers, "total", None))
