"""Tortoise's SQLite client, run on the event loop's own thread, with write transactions that
take the write lock up front.

- **On the loop, not in a thread.** aiosqlite hands every statement to a thread of its own and
  back (two thread switches, a future and a wake-up of the loop per statement, dozens per order),
  which cost more than the statements: SQLite answers these in microseconds. :class:`InlineConnection`
  gives Tortoise the aiosqlite methods it calls, but runs each statement at once on the calling
  thread. It belongs to the loop that opened it (as the ORM does, see :mod:`connect_hub.runtime`).
- **Waiting for the lock without blocking the loop.** SQLite's own busy timeout would sleep on the
  loop while another process (a CLI command) holds the write lock; the connection's is 0, and a
  statement refused as busy outside a transaction (so it changed nothing) is tried again after an
  ``asyncio.sleep``, until the store's ``busy_timeout`` has passed.
- **BEGIN IMMEDIATE.** In WAL mode a deferred ``BEGIN`` that reads and then writes fails at once
  with "database is locked" when another process wrote in between; ``BEGIN IMMEDIATE`` takes the
  write lock first (waiting as above).

Named as the engine in the store URL by :mod:`connect_hub.store.database`.
"""

from __future__ import annotations

import asyncio
import datetime
import operator
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

T = TypeVar("T")

sqlite3.register_adapter(datetime.datetime, operator.methodcaller("isoformat", " "))
"""Times as Tortoise's SQLite backend writes them (``isoformat(" ")``, which it registers as a
lambda when imported, just above), without a Python call per time: an order's import and export
bind a dozen. The same text, so rows written before and after read and sort alike."""
FIRST_RETRY = 0.001
LONGEST_RETRY = 0.002
"""Seconds between two tries at most, while another process holds the write lock. Two writers
take turns (``connect-hub import``'s two processes: a poller storing pages, an importer writing
batches), and each holds the lock for a few milliseconds at a time: a waiter that slept up to
50 ms missed most of the other's pauses, and a first import of 50,000 products took 147 s where
it takes 113 s now. A try that finds the lock taken costs microseconds."""


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY, or one of its extended codes (another connection holds the lock)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


class InlineConnection:
    """The part of ``aiosqlite.Connection`` Tortoise uses, over a ``sqlite3`` connection that runs
    each call at once on the calling thread (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float):
        self._conn = conn
        self.busy_timeout = busy_timeout

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    async def _retry_busy(self, call: Callable[..., T], *args: Any) -> T:
        deadline: float | None = None
        delay = FIRST_RETRY
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or self._conn.in_transaction:
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.busy_timeout
                if now >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> sqlite3.Cursor:
        return await self._retry_busy(self._conn.execute, sql, parameters or ())

    async def execute_insert(self, sql: str, parameters: Sequence[Any] | None = None) -> tuple[int | None]:
        cursor = await self.execute(sql, parameters)
        return (cursor.lastrowid,)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] | None = None) -> list[Any]:
        return (await self.execute(sql, parameters)).fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """Tortoise calls it inside a transaction, which already holds the write lock."""
        return self._conn.executemany(sql, parameters)

    async def executescript(self, script: str) -> None:
        """A script's statements run one after the other (migrations): SQLite's own busy timeout
        applies, since a retry would run the statements already done again."""
        self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        try:
            self._conn.executescript(script)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        self._conn.set_trace_callback(callback)


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        pragmas = dict(self.pragmas)
        busy_timeout = float(pragmas.pop("busy_timeout", 0)) / 1000
        conn = sqlite3.connect(self.filename, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=0")
        connection = InlineConnection(conn, busy_timeout)
        for pragma, value in pragmas.items():
            await connection.execute(f"PRAGMA {pragma}={value}")
        self._connection = connection  # type: ignore[assignment]
        await self._post_connect()

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call ``callback`` with every SQL statement SQLite runs (``BEGIN`` and ``COMMIT``
        included), or stop with None: how the query-count test and the benchmark count."""
        await self.create_connection(with_db=True)
        assert self._connection is not None
        await self._connection.set_trace_callback(callback)


client_class = ImmediateSqliteClient


def get_client_class(db_info: dict) -> type[SqliteClient]:
    return ImmediateSqliteClient
