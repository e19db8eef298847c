"""The PostgreSQL engine: a connection goes back to the pool without a reset round trip, and
what it left open inside a transaction is still rolled back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Event
from tortoise import connections


@pytest.fixture
async def pool(postgres: str) -> AsyncIterator[object]:
    await open_store(postgres, apply_migrations=True)
    await Event.filter(id=-1).count()  # the pool's first connection exists from here on
    yield connections.get("default")._pool
    await close_store()


def logged_queries(pool: object) -> list[str]:
    """The statements the pool's connections send from now on."""
    logged: list[str] = []
    for holder in pool._holders:  # type: ignore[attr-defined]
        if holder._con is not None:
            holder._con.add_query_logger(lambda record: logged.append(record.query))
    return logged


async def test_a_query_hands_its_connection_back_without_another_statement(pool: object) -> None:
    logged = logged_queries(pool)
    for _ in range(5):
        await Event.filter(id=-1).count()
    assert len(logged) == 5, logged
    assert not any("RESET" in query or "UNLISTEN" in query for query in logged)


async def test_a_connection_handed_back_inside_a_transaction_is_rolled_back(pool: object) -> None:
    async with pool.acquire() as proxy:  # type: ignore[attr-defined]
        connection = proxy._con
        await proxy.execute("BEGIN")
        await proxy.execute("SELECT 1 FROM hub_event LIMIT 1 FOR UPDATE")
        assert connection.is_in_transaction()
    assert not connection.is_in_transaction()
