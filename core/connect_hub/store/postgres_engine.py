"""Tortoise's asyncpg client, handing connections back to its pool without a session reset.

asyncpg resets every connection it takes back into its pool: it rolls back an open transaction,
then runs ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;``, one more round
trip and four statements for PostgreSQL each time a query or a transaction gives its
connection back, several times per order. The hub keeps no session state to undo: it takes no
advisory lock, opens no cursor outside a transaction, listens to nothing and sets no session
variable. So :func:`keep_session` is the pool's reset, and asyncpg still rolls back what a
connection hands back inside a transaction before it calls it.

Named as the engine of a ``postgres://`` store URL by :mod:`connect_hub.store.database`.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset: nothing, since the hub leaves no session state behind (see above)."""


class PooledPostgresClient(AsyncpgDBClient):
    """:class:`AsyncpgDBClient` whose pool resets connections with :func:`keep_session`."""

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await super().create_pool(reset=keep_session, **kwargs)


client_class = PooledPostgresClient
