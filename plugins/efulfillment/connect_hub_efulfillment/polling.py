"""Stock reconciliation: page through the warehouse's whole stock list, one PollPage per page.

Every poll is a full scan (the cursor stays None): the warehouse has no "changed since" filter,
and a full list is what heals a missed ``stock.changed`` webhook. Each item becomes an Event
shaped like that webhook's body, so both paths parse the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from connect_hub.contracts import PolledItem, PollPage

from connect_hub_efulfillment.client import WarehouseClient
from connect_hub_efulfillment.mapping import stock_body
from connect_hub_efulfillment.webhooks import STOCK_CHANGED

PAGE_SIZE = 100


async def poll_stock(
    client: WarehouseClient, page_size: int = PAGE_SIZE
) -> AsyncIterator[PollPage]:
    """Yield the stock list page by page; only one page is held at a time."""
    number = 1
    while True:
        page = await client.list_stock(number, per_page=page_size)
        if page.items:
            items = [
                PolledItem(topic=STOCK_CHANGED, body=json.dumps(stock_body(item)).encode())
                for item in page.items
                if isinstance(item, dict)
            ]
            yield PollPage(items=items, cursor=None)
        if len(page.items) < page_size or number * page_size >= page.total:
            return
        number += 1
