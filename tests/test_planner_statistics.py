"""PostgreSQL finds an order's rows by their keys, on a store it has no statistics of too.

A new database of its own per test, never analysed (this machine's PostgreSQL runs without
autovacuum, and a database a few seconds old has not been visited by it anyway): what
PostgreSQL then plans is what a new store, or a server without autovacuum, gets. Each
statement is run as the hub runs it, prepared and with its generic plan, under EXPLAIN
(ANALYZE, BUFFERS): the figure is the pages it read, a count, not a time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from connect_hub import scheduler
from connect_hub.store import rows, statistics
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, Event, EventState, Link, Record
from tortoise import connections

PENDING = 3_000
"""Events waiting in the store: a backlog."""
MOST_PAGES = 30
"""What reading a few rows by their keys may cost in pages, index and table together."""
BODY = json.dumps({"id": 1, "line_items": [{"name": "Mug " * 300}]}).encode()
"""An event's body of about the size of a WooCommerce order's."""
_names = itertools.count()


@pytest.fixture
async def fresh_store(postgres: str) -> AsyncIterator[str]:
    """A store in a new PostgreSQL database, dropped afterwards."""
    parts = urlsplit(postgres)
    name = f"{parts.path.lstrip('/')}_planner_{os.getpid()}_{next(_names)}"
    admin = await asyncpg.connect(postgres)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(parts._replace(path=f"/{name}"))
        await open_store(url, apply_migrations=True)
        try:
            yield url
        finally:
            await close_store()
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def pages_read(sql: str, values: list[Any]) -> int:
    """The pages (shared buffers, hit or read) the statement reads with its generic plan to find
    its rows (for an UPDATE, not counting its writes); what it changes is rolled back."""
    async with connections.get("default")._pool.acquire() as connection:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        transaction = connection.transaction()
        await transaction.start()
        try:
            statement = await connection.prepare(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {rows._postgres_sql(sql)}")
            [plan] = json.loads(await statement.fetchval(*values))
        finally:
            await transaction.rollback()
            await connection.execute("RESET plan_cache_mode")
    read = plan["Plan"]
    if read["Node Type"] == "ModifyTable":  # what finding the rows cost, not writing them
        [read] = read["Plans"]
    return int(read["Shared Hit Blocks"] + read["Shared Read Blocks"])


async def add_events(count: int) -> list[int]:
    now = datetime.now(UTC)
    made = [rows.row_of(Event, {"account": "acme", "integration": "shop", "topic": "order.created", "body": BODY,
                                "received_at": now}) for _ in range(count)]
    return await rows.insert_rows(Event, made)


async def add_orders(count: int) -> None:
    """``count`` order records, each with its Link in the shop."""
    made = [rows.row_of(Record, {"account": "acme", "data_type": "orders", "key": f"order:shop-{n}", "hash": "0" * 64,
                                 "data": {"id": n}, "source": "shop"}) for n in range(count)]
    ids = await rows.insert_rows(Record, made)
    await rows.insert_rows(Link, [rows.row_of(Link, {"account": "acme", "integration": "shop", "data_type": "orders",
                                                     "external_id": str(n), "record_id": record_id})
                                  for n, record_id in enumerate(ids)])


async def stale_eventually(*tables: str) -> list[str]:
    """The stale tables once PostgreSQL's counters show ``tables`` among them (a backend
    reports its counts at most once a second)."""
    for _ in range(100):
        stale = await statistics.stale_tables()
        if set(tables) <= set(stale):
            return stale
        await asyncio.sleep(0.1)
    raise AssertionError(f"{tables} never showed as stale: {stale}")


async def test_claiming_a_few_events_reads_only_them_while_thousands_are_pending(fresh_store: str) -> None:
    ids = await add_events(PENDING)
    claim = rows._claim_events_sql(5)
    now = datetime.now(UTC)
    pages = await pages_read(claim, [now, *ids[1000:1005], "acme", EventState.PENDING.value, now])
    assert pages <= MOST_PAGES, f"claiming 5 of {PENDING} pending events read {pages} pages"


async def test_claiming_a_few_deliveries_reads_only_them_while_thousands_are_pending(fresh_store: str) -> None:
    await add_orders(PENDING)
    record_ids = [r["id"] for r in await rows.fetch('SELECT "id" FROM "hub_record"', [])]
    made = [rows.row_of(Delivery, {"account": "acme", "integration": "warehouse", "data_type": "orders",
                                        "version": 1, "hash": "0" * 64, "record_id": record_id})
            for record_id in record_ids]
    ids = await rows.insert_rows(Delivery, made)
    now = datetime.now(UTC)
    pages = await pages_read(rows._claim_deliveries_sql(5), ["running", now, *ids[1000:1005], "acme", "pending", now, "running", now])
    assert pages <= MOST_PAGES, f"claiming 5 of {PENDING} pending deliveries read {pages} pages"


async def test_the_store_analyses_the_tables_that_have_no_statistics_and_then_lookups_read_their_row(fresh_store: str) -> None:
    await add_orders(PENDING)
    stale = await stale_eventually("hub_record", "hub_link")
    assert await statistics.refresh() == stale
    link = await pages_read('SELECT * FROM "hub_link" WHERE "account" = ? AND "integration" = ? AND "data_type" = ? AND "external_id" = ?',
                            ["acme", "shop", "orders", "1234"])
    record = await pages_read('SELECT * FROM "hub_record" WHERE "account" = ? AND "data_type" = ? AND "key" = ?',
                              ["acme", "orders", "order:shop-1234"])
    assert link <= MOST_PAGES and record <= MOST_PAGES, f"a Link by its external id read {link} pages, a record by its key {record}"
    assert await statistics.stale_tables() == [], "analysed, nothing is left to do"


async def test_a_table_is_analysed_again_only_once_a_tenth_of_it_has_changed() -> None:
    assert not statistics.needs_analysis(49, -1) and statistics.needs_analysis(50, -1), "never analysed: from 50 rows"
    assert not statistics.needs_analysis(349, 3_000) and statistics.needs_analysis(350, 3_000)
    assert statistics.needs_analysis(50, 0), "analysed while empty"


async def test_only_the_scheduling_process_analyses_the_store(fresh_store: str) -> None:
    await add_orders(200)
    await stale_eventually("hub_record", "hub_link")
    stop, leading = asyncio.Event(), asyncio.Event()
    keeper = asyncio.create_task(scheduler.keep_statistics(stop, leading))
    await asyncio.sleep(0.3)
    assert {"hub_record", "hub_link"} <= set(await statistics.stale_tables()), "a process that does not schedule leaves them"
    leading.set()
    for _ in range(int(scheduler.STATISTICS_EVERY * 20) + 20):
        if not await statistics.stale_tables():
            break
        await asyncio.sleep(0.1)
    stop.set()
    await keeper
    assert await statistics.stale_tables() == [], "the scheduler analysed them"


async def test_there_is_nothing_to_analyse_on_sqlite(tmp_path: Any) -> None:
    await open_store(f"sqlite://{tmp_path}/store.db", apply_migrations=True)
    try:
        await add_orders(100)
        assert await statistics.stale_tables() == []
        assert await statistics.refresh() == []
    finally:
        await close_store()


async def test_the_status_warns_when_autovacuum_does_not_look_after_the_hubs_tables(fresh_store: str) -> None:
    from connect_hub.account import build_account
    from connect_hub.config import parse_config
    from connect_hub.plugins import Plugins
    from connect_hub.status import account_status
    from support import ENV, account_yaml

    account = build_account(parse_config(account_yaml(account="acme", store=fresh_store, warehouse_url="http://127.0.0.1:9"),
                                         environ=ENV), Plugins.load())
    server_on = (await rows.fetch("SELECT current_setting('autovacuum') AS on", []))[0]["on"] == "on"
    if server_on:  # as PostgreSQL ships: nothing to say until a table is left out
        assert await statistics.unvacuumed() is None
        assert (await account_status(account, None))["store_warnings"] == []
        await connections.get("default").execute_script('ALTER TABLE "hub_event" SET (autovacuum_enabled = false)')
        warning = await statistics.unvacuumed()
        assert warning is not None and "autovacuum is off for hub_event:" in warning
    else:  # as on the machines this hub is benchmarked on
        warning = await statistics.unvacuumed()
        assert warning is not None and "autovacuum is off on the PostgreSQL server:" in warning
    assert "nothing vacuums its tables" in warning and "run VACUUM on a schedule" in warning
    assert (await account_status(account, None))["store_warnings"] == [warning]


async def test_there_is_no_autovacuum_to_warn_of_on_sqlite(tmp_path: Any) -> None:
    await open_store(f"sqlite://{tmp_path}/store.db", apply_migrations=True)
    try:
        assert await statistics.unvacuumed() is None
    finally:
        await close_store()


async def test_tables_the_hubs_role_may_not_analyse_are_left_to_their_owner(fresh_store: str) -> None:
    """A DBA made the tables and the hub connects as another role: PostgreSQL would skip its
    ANALYZE with a warning at every look, so it is never asked."""
    await add_orders(200)
    await stale_eventually("hub_record", "hub_link")
    role = f"hub_reader_{os.getpid()}"
    async with connections.get("default")._pool.acquire() as connection:
        await connection.execute(f'DROP ROLE IF EXISTS "{role}"')
        await connection.execute(f'CREATE ROLE "{role}" NOSUPERUSER')
        try:
            await connection.execute(f'SET ROLE "{role}"')
            found = await connection.fetch(rows._postgres_sql(statistics._COUNTERS), statistics.tables())
            await connection.execute("RESET ROLE")
        finally:
            await connection.execute("RESET ROLE")
            await connection.execute(f'DROP ROLE IF EXISTS "{role}"')
    assert found == [], "not its tables: nothing to analyse"
    assert {"hub_record", "hub_link"} <= set(await statistics.stale_tables()), "the owner still sees them"


async def test_before_any_statistics_a_link_and_a_record_are_found_by_their_unique_keys(fresh_store: str) -> None:
    """The first seconds of a new store, or a server that never analyses the hub's tables
    (autovacuum off, and tables the hub's role does not own): no other index leads with the
    columns of the lookups' unique keys, so PostgreSQL has only those to take."""
    await add_orders(PENDING)
    link = await pages_read('SELECT * FROM "hub_link" WHERE "account" = ? AND "integration" = ? AND "data_type" = ? AND "external_id" = ?',
                            ["acme", "shop", "orders", "1234"])
    record = await pages_read('SELECT * FROM "hub_record" WHERE "account" = ? AND "data_type" = ? AND "key" = ?',
                              ["acme", "orders", "order:shop-1234"])
    links_of_record = await pages_read(
        'SELECT * FROM "hub_link" WHERE "account" = ? AND "integration" = ? AND "record_id" = ? AND "alias" = ?', ["acme", "shop", 1234, False],
    )
    assert max(link, record, links_of_record) <= MOST_PAGES, (
        f"a Link by its external id read {link} pages, a record by its key {record}, a record's Links {links_of_record}"
    )
