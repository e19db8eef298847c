"""Statements per order: what one order's ingest, import and export cost the store, counted.

    .venv/bin/python bench/query_count.py --warehouse URL --folder DIR   # JSON on stdout

A count, not a time: the query-count test (tests/test_queries_per_order.py) pins it and the
benchmark (bench/orders.py) prints it. It runs the pipeline's plain functions one order at a
time on an embedded store (SQLite), so nothing else runs in between, and counts every
statement SQLite executes (``BEGIN`` and ``COMMIT`` included) through
:meth:`connect_hub.store.sqlite_engine.ImmediateSqliteClient.trace`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from connect_hub.account import Account
from connect_hub.pipeline import exporting, importing
from connect_hub.pipeline.ingress import EventWriter
from tortoise import connections

BATCH = 10
"""Orders imported, then exported, together for the batched count (as a webhook group's are)."""


@dataclass(frozen=True)
class OrderStatements:
    """The statements one order cost, by step, and the SQL of each (for a failing test's message)."""

    ingest: list[str]
    imported: list[str]
    exported: list[str]
    delivered: bool

    def counts(self) -> tuple[int, int, int]:
        return len(self.ingest), len(self.imported), len(self.exported)


@asynccontextmanager
async def counted() -> AsyncIterator[list[str]]:
    """The statements the store runs inside the block."""
    client = connections.get("default")
    statements: list[str] = []
    await client.trace(statements.append)
    try:
        yield statements
    finally:
        await client.trace(None)


async def order_statements(account: Account, integration: str, headers: dict[str, str], body: bytes) -> OrderStatements:
    """Ingest one webhook as the service does, import the Event, export its Deliveries."""
    writer = EventWriter()
    async with counted() as ingest:
        event_id = await writer.store(account.name, integration, headers["x-wc-webhook-topic"], headers, body)
    async with counted() as imported:
        delivery_ids = await importing.import_event(account, event_id)
    delivered = bool(delivery_ids)
    async with counted() as exported:
        for delivery_id in delivery_ids:
            outcomes = await exporting.export_delivery(account, delivery_id)
            delivered = delivered and all(o.state == "done" for o in outcomes)
    return OrderStatements(ingest, imported, exported, delivered)


async def batch_import_statements(account: Account, integration: str, webhooks: list[tuple[dict[str, str], bytes]]) -> list[str]:
    """Ingest several webhooks, then count the statements of importing their Events together,
    as an import actor given a webhook group does."""
    writer = EventWriter()
    ids = [await writer.store(account.name, integration, headers["x-wc-webhook-topic"], headers, body) for headers, body in webhooks]
    async with counted() as imported:
        await importing.import_events(account, ids)
    return imported


async def batch_export_statements(account: Account, delivery_ids: list[int]) -> tuple[list[str], list[exporting.Outcome]]:
    """Count the statements of exporting several deliveries together, as an export actor woken
    by an import batch does; and what became of each."""
    async with counted() as exported:
        outcomes = await exporting.export_deliveries(account, delivery_ids)
    return exported, outcomes


def main() -> None:
    """Count four distinct orders on a fresh store against a running warehouse: the first (it
    also creates the master product of its line) and the steady cost of the others."""
    import argparse
    import asyncio
    import json
    import os
    from pathlib import Path

    from connect_hub.account import build_account
    from connect_hub.config import parse_config
    from connect_hub.plugins import Plugins
    from connect_hub.store.database import close_store, open_store
    from connect_hub.store.models import Delivery
    from loadgen import order_webhooks
    from orders import CONFIG, SECRET

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", required=True, help="the warehouse simulator's URL")
    parser.add_argument("--folder", required=True, type=Path, help="where the SQLite store goes")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(store=f"sqlite://{args.folder}/hub.db", broker="memory://", port=0, warehouse_url=args.warehouse)
    account = build_account(parse_config(text, environ=dict(os.environ)), Plugins.load())

    async def go() -> list[tuple[int, int, int]]:
        await open_store(account.config.store, apply_migrations=True)
        try:
            for integration in account.integrations.values():
                await account.plugins.start(integration)
            counts = []
            for _, body, headers in order_webhooks(900_000, 4, SECRET):
                measured = await order_statements(account, "shop", {k.lower(): v for k, v in headers.items()}, body)
                if not measured.delivered:
                    raise SystemExit("an order did not reach the warehouse")
                counts.append(measured.counts())
            batch = [({k.lower(): v for k, v in headers.items()}, body) for _, body, headers in order_webhooks(910_000, BATCH, SECRET)]
            imported = await batch_import_statements(account, "shop", batch)
            planned = [d.id for d in await Delivery.filter(account=account.name, state="pending").order_by("id")]
            exported, outcomes = await batch_export_statements(account, planned)
            if len(planned) != BATCH or any(o.state != "done" for o in outcomes):
                raise SystemExit("an order of the batch did not reach the warehouse")
            for integration in account.integrations.values():
                await account.plugins.stop(integration)
            return counts, (len(imported) / BATCH, len(exported) / BATCH)
        finally:
            await close_store()

    counts, batched = asyncio.run(go())
    print(json.dumps({"first": counts[0], "steady": max(counts[1:], key=sum), "batch": BATCH, "batched": batched}))


if __name__ == "__main__":
    main()
