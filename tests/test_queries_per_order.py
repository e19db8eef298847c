"""Statements per order, counted: a change that makes an order cost the store more fails here.

A count, not a time (times belong to bench/orders.py). One order at a time, on SQLite, with the
warehouse simulator over real HTTP: the webhook's ingest, its import and its export. The first
order also creates the bare master product of its line, so the budget is for the orders after it.
Lower a budget when a change lowers the count; raise one only with a reason in the commit.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from connect_hub.account import build_account
from connect_hub.config import parse_config
from connect_hub.plugins import Plugins
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, Event
from query_count import batch_export_statements, batch_import_statements, order_statements
from support import ENV, account_yaml, raw_sample

INGEST_BUDGET = 1
IMPORT_BUDGET = 13
EXPORT_BUDGET = 7
BATCH_IMPORT_BUDGET = 5
"""Statements per order when ten orders are imported together (one import batch)."""
BATCH_EXPORT_BUDGET = 1
"""Statements per order when their ten deliveries are exported together (one export batch)."""


@pytest.fixture
async def account(tmp_path: Path, simulator: Any) -> AsyncIterator[Any]:
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/store.db", warehouse_url=simulator.url)
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    await open_store(account.config.store, apply_migrations=True)
    for integration in account.integrations.values():
        await account.plugins.start(integration)
    yield account
    for integration in account.integrations.values():
        await account.plugins.stop(integration)
    await close_store()


def distinct_order(order_id: int) -> tuple[dict[str, str], bytes]:
    headers, raw = raw_sample("0013-order_updated.json")
    data = json.loads(raw)
    data.update(id=order_id, number=str(order_id))
    return headers, json.dumps(data).encode()


async def test_an_order_costs_the_store_no_more_statements_than_its_budget(account: Any) -> None:
    measured = [await order_statements(account, "shop", *distinct_order(order_id)) for order_id in range(500, 504)]
    assert all(m.delivered for m in measured), "every order reaches the warehouse"
    steady = measured[1:]
    counts = [m.counts() for m in steady]
    print("statements per order (ingest, import, export):", counts)
    budget = (INGEST_BUDGET, IMPORT_BUDGET, EXPORT_BUDGET)
    for m, count in zip(steady, counts, strict=True):
        assert all(n <= most for n, most in zip(count, budget, strict=True)), (
            f"an order costs {count} statements (ingest, import, export), over the budget {budget}:\n{listing(m)}"
        )


def listing(m: Any) -> str:
    steps = (("ingest", m.ingest), ("import", m.imported), ("export", m.exported))
    return "\n".join(f"{step}:\n  " + "\n  ".join(sql[:160] for sql in statements) for step, statements in steps)


async def test_orders_imported_together_cost_fewer_statements_each_than_one_alone(account: Any) -> None:
    await order_statements(account, "shop", *distinct_order(600))  # the master product of the line exists now
    statements = await batch_import_statements(account, "shop", [distinct_order(order_id) for order_id in range(601, 611)])
    per_order = len(statements) / 10
    print(f"statements per order imported in a batch of 10: {per_order}")
    assert per_order <= BATCH_IMPORT_BUDGET, "\n  ".join([f"{per_order} statements per order:", *(sql[:160] for sql in statements)])
    assert sum(sql.startswith("COMMIT") for sql in statements) == 1, "one commit for the batch"
    events = await Event.filter(account="acme").order_by("-id").limit(10)
    assert [e.state for e in events] == ["done"] * 10
    assert await Delivery.filter(event_id__in=[e.id for e in events], state="pending").count() == 10, "each order is to go out"


async def test_deliveries_exported_together_cost_fewer_statements_each_and_all_reach_the_warehouse(account: Any) -> None:
    await order_statements(account, "shop", *distinct_order(700))
    await batch_import_statements(account, "shop", [distinct_order(order_id) for order_id in range(701, 711)])
    pending = [d.id for d in await Delivery.filter(account="acme", state="pending").order_by("id")]
    assert len(pending) == 10
    statements, outcomes = await batch_export_statements(account, pending)
    per_order = len(statements) / 10
    print(f"statements per order exported in a batch of 10: {per_order}")
    assert per_order <= BATCH_EXPORT_BUDGET, "\n  ".join([f"{per_order} statements per order:", *(sql[:160] for sql in statements)])
    assert sorted(o.state for o in outcomes) == ["done"] * 10
    assert await Delivery.filter(id__in=pending, state="done").exclude(external_id=None).count() == 10
    assert sum(sql.startswith("COMMIT") for sql in statements) == 1, "one commit for what the warehouse took"
