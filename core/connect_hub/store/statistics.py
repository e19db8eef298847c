"""Planner statistics on PostgreSQL: the store analyses its own tables when they need it.

PostgreSQL chooses how to find rows by its statistics of each table, which ``ANALYZE`` gathers
and autovacuum keeps up to date. A table that was never analysed (a new store, or a server
with autovacuum off, as on the machines this hub is benchmarked on) has none, and PostgreSQL
then assumes that any equality keeps 0.5 % of the rows, so that two of them keep less than one.
To find a Link by its external id it may then prefer the index on (account, integration,
record_id), which holds every Link of the integration, over the unique key it asked for; a
record by its match key goes the same way. Each order then reads every earlier order's rows:
on a store of 3,200 orders such a lookup read 3,131 pages instead of 3, and took 440 us.

So the scheduler (:mod:`connect_hub.scheduler`) asks :func:`stale_tables` every few seconds
(one query of PostgreSQL's own counters) and analyses what has changed by as much as
autovacuum's defaults would wait for: 50 rows and a tenth of the table. Where autovacuum does
the work, it finds nothing to do. SQLite needs none of this: its planner takes a unique index
whose every column is given for the one row it is.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.models import Model

from connect_hub.store import models, rows

log = logging.getLogger(__name__)

ANALYZE_THRESHOLD = 50
"""Rows changed (inserted, updated, deleted) before a table is analysed: autovacuum's default."""
ANALYZE_SCALE_FACTOR = 0.1
"""And this share of the rows it had when it was last analysed: autovacuum's default."""


def tables() -> list[str]:
    """The store's tables."""
    return sorted(model._meta.db_table for model in vars(models).values()
                  if isinstance(model, type) and issubclass(model, Model) and model.__module__ == models.__name__)


def needs_analysis(changed: int, rows_when_analysed: float) -> bool:
    """Whether a table whose rows changed ``changed`` times since it was last analysed, when
    it had ``rows_when_analysed`` rows (PostgreSQL's -1: never), is to be analysed now."""
    return changed >= ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * max(rows_when_analysed, 0.0)


_COUNTERS = (
    "SELECT s.relname AS name, s.n_mod_since_analyze AS changed, c.reltuples AS analysed_rows "
    "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() AND s.relname = ANY(?) "
    # only a table's owner (or a superuser) may analyse it; another role's ANALYZE is skipped
    # with a warning, and its counters would call for it again at every look
    "AND (pg_has_role(c.relowner, 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
)


async def stale_tables(connection: Any = None) -> list[str]:
    """The store's tables whose statistics are missing or out of date, of those the hub's role
    may analyse (it owns them, having made them, unless a DBA made them for it); none on SQLite."""
    db = rows.client(connection)
    if db.capabilities.dialect != "postgres":
        return []
    found = await rows.fetch(_COUNTERS, [tables()], db)
    return sorted(row["name"] for row in found if needs_analysis(row["changed"], row["analysed_rows"]))


async def refresh(connection: Any = None) -> list[str]:
    """Analyse the store's tables whose statistics are missing or out of date; their names."""
    stale = await stale_tables(connection)
    db = rows.client(connection)
    for table in stale:
        await db.execute_script(f'ANALYZE "{table}"')
    if stale:
        log.info("analysed %s: PostgreSQL's planner statistics of them were missing or out of date", ", ".join(stale))
    return stale


_AUTOVACUUM = (
    "SELECT c.relname AS name, current_setting('autovacuum') = 'on' AS server, current_setting('autovacuum') = 'on' "
    "AND COALESCE((SELECT split_part(o, '=', 2) FROM unnest(c.reloptions) AS o WHERE o LIKE 'autovacuum_enabled=%'), 'true') "
    "IN ('true', 'on', '1', 'yes') AS vacuumed, COALESCE(s.n_dead_tup, 0) AS dead "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(?)"
)


async def unvacuumed(connection: Any = None) -> str | None:
    """A sentence for the engineer when PostgreSQL's autovacuum does not look after the store's
    tables (off on the server, or for some of them), else None; always None on SQLite.

    The hub keeps its planner statistics itself (:func:`refresh`), but it vacuums nothing: that
    is the server's work, and without it the rows each update and delete leaves behind stay, so
    the tables and their indexes only grow."""
    db = rows.client(connection)
    if db.capabilities.dialect != "postgres":
        return None
    found = await rows.fetch(_AUTOVACUUM, [tables()], db)
    left = sorted(row["name"] for row in found if not row["vacuumed"])
    if not left:
        return None
    dead = sum(row["dead"] for row in found if not row["vacuumed"])
    where = f"is off for {', '.join(left)}" if found[0]["server"] else "is off on the PostgreSQL server"
    return (f"autovacuum {where}: the hub keeps the planner statistics itself, but nothing vacuums its tables, which "
            f"only grow ({dead} dead rows so far); turn autovacuum on, or run VACUUM on a schedule")
