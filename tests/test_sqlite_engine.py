"""The SQLite engine: statements run on the loop's thread, and a write waits for another
process's lock without blocking the loop, then succeeds (or fails after the busy timeout)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Event
from tortoise import connections
from tortoise.exceptions import OperationalError


def hold_write_lock(path: Path, seconds: float) -> threading.Event:
    """Another connection (as another process would) takes the write lock for ``seconds``."""
    taken = threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        other.execute("COMMIT")
        other.close()

    threading.Thread(target=hold, daemon=True).start()
    taken.wait(5)
    return taken


async def ticks_while(coro: object) -> tuple[object, int]:
    """Run ``coro``, counting how often the loop ran something else meanwhile."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        result = await coro  # type: ignore[misc]
    finally:
        done = True
        await task
    return result, ticks


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    await open_store(f"sqlite://{tmp_path}/wal.db", apply_migrations=True)
    try:
        db = connections.get("default")
        assert (await db.execute_query("PRAGMA journal_mode"))[1][0][0].lower() == "wal"
    finally:
        await close_store()


async def test_a_write_waits_for_another_connections_lock_while_the_loop_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    await open_store(f"sqlite://{path}", apply_migrations=True)
    try:
        hold_write_lock(path, 0.4)
        event, ticks = await ticks_while(Event.create(account="a", integration="shop", topic="t", headers={}, body=b"x"))
        assert event.id == 1
        assert await Event.filter(account="a").count() == 1
        assert ticks >= 20, "the loop kept running while the write waited"
    finally:
        await close_store()


async def test_a_write_fails_once_the_busy_timeout_has_passed(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    await open_store(f"sqlite://{path}?busy_timeout=200", apply_migrations=True)
    try:
        hold_write_lock(path, 1.5)
        with pytest.raises(OperationalError, match="locked"):
            await Event.create(account="a", integration="shop", topic="t", headers={}, body=b"x")
    finally:
        await close_store()
