"""Opening, migrating and closing the store on SQLite (default) or PostgreSQL.

Each has an engine of its own, a Tortoise client with what the hot path needs changed:
:mod:`connect_hub.store.sqlite_engine` and :mod:`connect_hub.store.postgres_engine`.

The ORM lives on one event loop per process (see :mod:`connect_hub.runtime`), where every actor
runs; Tortoise's global fallback context makes it visible to every task on that loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tortoise import Tortoise, context
from tortoise.backends.base import executor
from tortoise.backends.base.config_generator import expand_db_url

APP = "hub"
MODELS_MODULE = "connect_hub.store.models"
MIGRATIONS_MODULE = "connect_hub.store.migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "busy_timeout": 15000,
    "foreign_keys": "ON",
}


def tortoise_config(url: str) -> dict[str, Any]:
    """Tortoise configuration for a store URL (``sqlite://path`` or ``postgres://...``)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = (parts.netloc + parts.path) or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        credentials = {"file_path": path, **SQLITE_PRAGMAS, **dict(parse_qsl(parts.query))}
        connection: Any = {"engine": "connect_hub.store.sqlite_engine", "credentials": credentials}
    elif parts.scheme in ("postgres", "postgresql", "asyncpg"):
        connection = expand_db_url(url.replace(f"{parts.scheme}://", "postgres://", 1))
        connection["engine"] = "connect_hub.store.postgres_engine"
    else:
        raise ValueError(f"unsupported store URL scheme {parts.scheme!r}: use sqlite:// or postgres://")
    return {
        "connections": {"default": connection},
        "apps": {
            APP: {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(url: str) -> None:
    """Apply every pending schema migration (Tortoise's own migration tooling)."""
    from tortoise.migrations.api import migrate as run_migrations

    await run_migrations(config=tortoise_config(url))


async def open_store(url: str, *, apply_migrations: bool = False) -> None:
    """Connect this process's event loop to the store, optionally migrating first."""
    await close_store()
    if apply_migrations:
        await migrate(url)
        await close_store()
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


async def close_store() -> None:
    """Close the connections and forget the global context, so the store can be opened again."""
    ctx = context.get_current_context()
    if ctx is not None:
        await ctx.close_connections()
        if ctx.apps is not None:
            await Tortoise._reset_apps()
    context._global_context = None
    executor.EXECUTOR_CACHE.clear()  # its queries are per dialect, keyed by connection name
    context._current_context.set(None)


def run(coro: Any) -> Any:
    """Run a store coroutine to completion from synchronous code (CLI commands)."""
    return asyncio.run(coro)
