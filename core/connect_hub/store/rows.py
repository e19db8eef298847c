"""The hot path's rows in plain SQL: the statements one order's import and export cost, by name.

The ORM builds each query anew (pypika, then the model's conversions), which costs more than the
statement itself on SQLite: for the few statements every order runs, the SQL is written here
once, with ``?`` placeholders (turned into ``$n`` for PostgreSQL), and the rows come back through
the models' own conversions (``Model._init_from_db``), so callers get the same model objects as
from a query. Each statement is one atomic step on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from tortoise import connections

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState

_PLACE = re.compile(r"\?")


def client(connection: Any = None) -> Any:
    """The connection to run on: the transaction's, else the store's default one."""
    return connection if connection is not None else connections.get("default")


@cache
def _postgres_sql(sql: str) -> str:
    count = iter(range(1, 1000))
    return _PLACE.sub(lambda _: f"${next(count)}", sql)


async def fetch(sql: str, values: list[Any], connection: Any = None) -> list[dict[str, Any]]:
    """Run one statement written with ``?`` placeholders; its rows as dicts."""
    db = client(connection)
    if db.capabilities.dialect == "postgres":
        sql = _postgres_sql(sql)
    return await db.execute_query_dict(sql, values)


_CLAIM_EVENT = (
    f'UPDATE "{Event._meta.db_table}" SET "attempts" = "attempts" + 1, "lease_until" = ? '
    'WHERE "id" = ? AND "account" = ? AND "state" = ? AND ("lease_until" IS NULL OR "lease_until" < ?) RETURNING *'
)


async def claim_event(account: str, event_id: int, lease: float) -> Event | None:
    """Take the import lease on a pending Event for ``lease`` seconds, count one more try, and
    return it as it now is; None when it is not pending (done, failed, not this account's) or
    another worker holds its lease. One conditional ``UPDATE ... RETURNING``."""
    now = datetime.now(UTC)
    rows = await fetch(_CLAIM_EVENT, [now + timedelta(seconds=lease), event_id, account, EventState.PENDING.value, now])
    return Event._init_from_db(**rows[0]) if rows else None


_CLAIM_DELIVERY = (
    f'UPDATE "{Delivery._meta.db_table}" SET "state" = ?, "lease_until" = ?, "attempts" = "attempts" + 1 '
    'WHERE "id" = ? AND "account" = ? AND ('
    '("state" = ? AND ("next_attempt_at" IS NULL OR "next_attempt_at" <= ?)) '
    'OR ("state" = ? AND "lease_until" < ?)'
    ") RETURNING *"
)


async def claim_delivery(account: str, delivery_id: int, lease: float) -> Delivery | None:
    """Take the lease on a due Delivery (pending and due, or running with its lease run out) and
    return it as it now is; None when it is not ours to run.

    One conditional ``UPDATE ... RETURNING``: two workers woken for the same delivery never both
    get it, and a crashed worker's delivery is free again once its lease has passed.
    """
    now = datetime.now(UTC)
    rows = await fetch(_CLAIM_DELIVERY, [
        DeliveryState.RUNNING.value, now + timedelta(seconds=lease), delivery_id, account,
        DeliveryState.PENDING.value, now, DeliveryState.RUNNING.value, now,
    ])  # fmt: skip
    return Delivery._init_from_db(**rows[0]) if rows else None
