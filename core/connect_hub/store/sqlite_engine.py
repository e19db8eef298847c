"""Tortoise's SQLite client with write transactions that take the write lock up front.

In WAL mode a deferred ``BEGIN`` that reads and then writes fails at once with "database is
locked" when another process wrote in between; ``BEGIN IMMEDIATE`` waits (``busy_timeout``)
for the lock instead. Named as the engine in the store URL by :mod:`connect_hub.store.database`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
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
