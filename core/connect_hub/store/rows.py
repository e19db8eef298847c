"""The hot path's rows in plain SQL: the statements one order's import and export cost, by name.

The ORM builds each query anew (pypika, then the model's conversions), which costs more than the
statement itself on SQLite: for the few statements every order runs, the SQL is written here
once, with ``?`` placeholders (turned into ``$n`` for PostgreSQL), and the rows come back through
the models' own conversions (``Model._init_from_db``), so callers get the same model objects as
from a query. Each statement is one atomic step on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.fields import DatetimeField, JSONField
from tortoise.models import Model

from connect_hub.store import batch_reads
from connect_hub.store.models import Delivery, DeliveryState, Event, EventState, Link, Record

_PLACE = re.compile(r"\?")
M = TypeVar("M", bound=Model)


def client(connection: Any = None) -> Any:
    """The connection to run on: the transaction's, else the store's default one."""
    return connection if connection is not None else connections.get("default")


@cache
def _postgres_sql(sql: str) -> str:
    count = itertools.count(1)
    return _PLACE.sub(lambda _: f"${next(count)}", sql)


@cache
def _datetime_columns(model: type[Model]) -> tuple[str, ...]:
    meta = model._meta
    return tuple(meta.fields_db_projection[name] for name, f in meta.fields_map.items()
                 if isinstance(f, DatetimeField) and name in meta.fields_db_projection)


def loaded(model: type[M], row: dict[str, Any]) -> M:
    """A model object from one of its rows. SQLite gives times as text: they are read with
    ``datetime.fromisoformat`` (C) first, which the ORM's own parser (pure Python, the larger
    part of loading a row) then has nothing left to do for."""
    for column in _datetime_columns(model):
        value = row.get(column)
        if isinstance(value, str):
            try:
                row[column] = datetime.fromisoformat(value)
            except ValueError:
                pass  # left to the ORM's parser
    return model._init_from_db(**row)


async def fetch(sql: str, values: list[Any], connection: Any = None) -> list[dict[str, Any]]:
    """Run one statement written with ``?`` placeholders; its rows as dicts."""
    db = client(connection)
    if db.capabilities.dialect == "postgres":
        sql = _postgres_sql(sql)
    return await db.execute_query_dict(sql, values)


def _unindexed(column: str) -> str:
    """``column`` as a claim compares it: an expression, which no index on the column serves.

    A claim names its rows by id, and its other conditions only check them. Were ``account``
    and ``state`` plain columns there, PostgreSQL could read the rows through the index on
    (account, state), and it does whenever its statistics put few rows there: always on a store
    whose tables were never analysed (autovacuum off, or a new store), where it assumes any two
    equalities leave less than a row, and after a calm spell, before a burst. That scan reads
    every pending row to claim a few, so a backlog made each claim slower as it grew. As an
    expression, only the primary key can find the rows: a claim reads as many rows as it names.
    """
    return f"(\"{column}\" || '')"


@cache
def _claim_events_sql(count: int) -> str:
    places = ",".join("?" * count)
    return (
        f'UPDATE "{Event._meta.db_table}" SET "attempts" = "attempts" + 1, "lease_until" = ? '
        f'WHERE "id" IN ({places}) AND {_unindexed("account")} = ? AND {_unindexed("state")} = ? '
        'AND ("lease_until" IS NULL OR "lease_until" < ?) RETURNING *'
    )


async def claim_events(account: str, event_ids: list[int], lease: float) -> list[Event]:
    """Take the import lease on pending Events for ``lease`` seconds, count one more try of
    each, and return them as they now are, by id; an event that is not pending (done, failed,
    not this account's) or whose lease another worker holds is left out. One conditional
    ``UPDATE ... RETURNING`` for them all."""
    if not event_ids:
        return []
    now = datetime.now(UTC)
    values = [now + timedelta(seconds=lease), *event_ids, account, EventState.PENDING.value, now]
    found = await fetch(_claim_events_sql(len(event_ids)), values)
    return sorted((loaded(Event, row) for row in found), key=lambda event: event.id)


async def pending_events_after(account: str, integration: str, after: int, limit: int) -> list[int]:
    """The ids of an integration's pending Events after ``after``, the lowest ``limit`` of them.
    Read by primary key (the other conditions only check the rows), so each look reads only the
    events stored since the last: the second process of ``connect-hub import`` looks every few
    milliseconds while a backlog of thousands waits (:mod:`connect_hub.import_process`)."""
    sql = (
        f'SELECT "id" FROM "{Event._meta.db_table}" WHERE "id" > ? AND {_unindexed("account")} = ? '
        f'AND {_unindexed("integration")} = ? AND {_unindexed("state")} = ? ORDER BY "id" LIMIT ?'
    )
    return [row["id"] for row in await fetch(sql, [after, account, integration, EventState.PENDING.value, limit])]


async def finish_events(event_ids: list[int], state: EventState, message: str | None, connection: Any = None) -> None:
    """Give Events their end state (``message``: what the merchant reads about it) and free their
    leases, in one statement; the tries they took stay counted."""
    if not event_ids:
        return
    places = ",".join("?" * len(event_ids))
    sql = (
        f'UPDATE "{Event._meta.db_table}" SET "state" = ?, "last_error" = ?, "processed_at" = ?, "lease_until" = NULL '
        f'WHERE "id" IN ({places})'
    )
    await fetch(sql, [state.value, message, datetime.now(UTC), *event_ids], connection)


async def finish_deliveries(done: list[tuple[int, str | None, str]], connection: Any = None) -> None:
    """Keep running Deliveries done, each ``(id, external id or None to keep it, action)``, and
    free their leases, in one statement (a delivery no longer running is left as it is)."""
    if not done:
        return
    ids = [delivery_id for delivery_id, _, _ in done]
    cases = " ".join("WHEN ? THEN ?" for _ in done)
    sql = (
        f'UPDATE "{Delivery._meta.db_table}" SET "state" = ?, "lease_until" = NULL, "updated_at" = ?, "next_attempt_at" = NULL, '
        f'"external_id" = COALESCE(CASE "id" {cases} END, "external_id"), "action" = CASE "id" {cases} END '
        f'WHERE "id" IN ({",".join("?" * len(ids))}) AND "state" = ?'
    )
    values: list[Any] = [DeliveryState.DONE.value, datetime.now(UTC)]
    values += [v for delivery_id, external_id, _ in done for v in (delivery_id, external_id)]
    values += [v for delivery_id, _, action in done for v in (delivery_id, action)]
    await fetch(sql, [*values, *ids, DeliveryState.RUNNING.value], connection)


@cache
def _claim_deliveries_sql(count: int) -> str:
    places = ",".join("?" * count)
    return (
        f'UPDATE "{Delivery._meta.db_table}" SET "state" = ?, "lease_until" = ?, "attempts" = "attempts" + 1 '
        f'WHERE "id" IN ({places}) AND {_unindexed("account")} = ? AND ('
        f'({_unindexed("state")} = ? AND ("next_attempt_at" IS NULL OR "next_attempt_at" <= ?)) '
        f'OR ({_unindexed("state")} = ? AND "lease_until" < ?)'
        ") RETURNING *"
    )


async def claim_deliveries(account: str, delivery_ids: list[int], lease: float) -> list[Delivery]:
    """Take the lease on due Deliveries (pending and due, or running with their lease run out)
    and return them as they now are, by id; one that is not ours to run is left out.

    One conditional ``UPDATE ... RETURNING`` for them all: two workers woken for the same
    delivery never both get it, and a crashed worker's delivery is free again once its lease
    has passed.
    """
    if not delivery_ids:
        return []
    now = datetime.now(UTC)
    found = await fetch(_claim_deliveries_sql(len(delivery_ids)), [
        DeliveryState.RUNNING.value, now + timedelta(seconds=lease), *delivery_ids, account,
        DeliveryState.PENDING.value, now, DeliveryState.RUNNING.value, now,
    ])  # fmt: skip
    return sorted((loaded(Delivery, row) for row in found), key=lambda delivery: delivery.id)


async def claim_delivery(account: str, delivery_id: int, lease: float) -> Delivery | None:
    """:func:`claim_deliveries` of one: the delivery, or None when it is not ours to run."""
    claimed = await claim_deliveries(account, [delivery_id], lease)
    return claimed[0] if claimed else None


# --- reading the rows of one order --------------------------------------------------------------

def _select_sql(model: type[Model], where: str, *, for_update: bool, postgres: bool, order: str = "") -> str:
    sql = f'SELECT * FROM "{model._meta.db_table}" WHERE {where}{order}'
    # NO KEY UPDATE: the rows are changed, never their ids, so the rows that refer to them (a
    # ledger entry, a delivery) can still be inserted by other transactions meanwhile
    return sql + " FOR NO KEY UPDATE" if for_update and postgres else sql


async def select(
    model: type[M], where: str, values: list[Any], connection: Any = None, *, for_update: bool = False, order: str = ""
) -> list[M]:
    """The ``model`` rows ``where`` holds (SQL with ``?`` placeholders), as model objects;
    ``for_update`` locks them for the transaction (PostgreSQL; SQLite's writer holds the lock)."""
    db = client(connection)
    postgres = db.capabilities.dialect == "postgres"
    found = await fetch(_select_sql(model, where, for_update=for_update, postgres=postgres, order=order), values, db)
    return [loaded(model, row) for row in found]


async def link_of(account: str, integration: str, data_type: str, external_id: str, connection: Any = None) -> Link | None:
    """The Link of an external id in an integration (unique), or None; inside an import batch,
    as the batch has read it (:mod:`connect_hub.store.batch_reads`)."""
    key = (account, integration, data_type, external_id)
    reads = batch_reads.current()
    if reads is not None and (kept := reads.link(key)) is not batch_reads.UNKNOWN:
        return kept
    found = await select(
        Link, '"account" = ? AND "integration" = ? AND "data_type" = ? AND "external_id" = ?',
        [account, integration, data_type, external_id], connection,
    )
    link = found[0] if found else None
    if reads is not None:
        reads.keep_link(key, link)
    return link


async def links_by_external_ids(account: str, integration: str, data_type: str, external_ids: list[str],
                                connection: Any = None) -> list[Link]:
    """:func:`link_of` of several external ids at once, in one statement: the Links that exist."""
    if not external_ids:
        return []
    places = ",".join("?" * len(external_ids))
    return await select(
        Link, f'"account" = ? AND "integration" = ? AND "data_type" = ? AND "external_id" IN ({places})',
        [account, integration, data_type, *external_ids], connection,
    )


async def links_to(account: str, integration: str, record_id: int, connection: Any = None) -> list[Link]:
    """The Links of a record in an integration that are the system's own ids (no aliases)."""
    return await select(
        Link, '"account" = ? AND "integration" = ? AND "record_id" = ? AND "alias" = ?',
        [account, integration, record_id, False], connection,
    )


async def links_to_records(account: str, integration: str, record_ids: list[int], connection: Any = None) -> list[Link]:
    """:func:`links_to` of several records at once, in one statement."""
    if not record_ids:
        return []
    places = ",".join("?" * len(record_ids))
    return await select(
        Link, f'"account" = ? AND "integration" = ? AND "record_id" IN ({places}) AND "alias" = ?',
        [account, integration, *record_ids, False], connection,
    )


async def records_by_ids(record_ids: list[int], connection: Any = None) -> list[Record]:
    """The records of these ids that exist, in one statement."""
    if not record_ids:
        return []
    return await select(Record, f'"id" IN ({",".join("?" * len(record_ids))})', record_ids, connection)


def _batch_reads(connection: Any, for_update: bool) -> batch_reads.BatchReads | None:
    """The import batch's reads a lookup may answer from: none outside a batch, nor for a row to
    lock on PostgreSQL (on SQLite the batch's transaction holds the store's write lock)."""
    reads = batch_reads.current()
    if reads is None or (for_update and client(connection).capabilities.dialect == "postgres"):
        return None
    return reads


async def record_by_id(record_id: int, connection: Any = None, *, for_update: bool = False) -> Record | None:
    """The record of an id, or None; inside an import batch, as the batch has read it."""
    reads = _batch_reads(connection, for_update)
    if reads is not None and (kept := reads.record_by_id(record_id)) is not batch_reads.UNKNOWN:
        return kept
    found = await select(Record, '"id" = ?', [record_id], connection, for_update=for_update)
    if found and (reads := batch_reads.current()) is not None:
        reads.keep_record(found[0])
    return found[0] if found else None


async def record_by_key(account: str, data_type: str, key: str, connection: Any = None, *, for_update: bool = False) -> Record | None:
    """The record of a match key (unique per account and data type), or None; inside an import
    batch, as the batch has read it."""
    reads = _batch_reads(connection, for_update)
    if reads is not None and (kept := reads.record_by_key((account, data_type, key))) is not batch_reads.UNKNOWN:
        return kept
    found = await select(
        Record, '"account" = ? AND "data_type" = ? AND "key" = ?', [account, data_type, key], connection, for_update=for_update
    )
    if (reads := batch_reads.current()) is not None:
        if found:
            reads.keep_record(found[0])
        else:
            reads.keep_no_record((account, data_type, key))
    return found[0] if found else None


async def records_by_keys(account: str, data_type: str, keys: list[str], connection: Any = None) -> list[Record]:
    """:func:`record_by_key` of several keys at once, in one statement: the records that exist."""
    if not keys:
        return []
    places = ",".join("?" * len(keys))
    return await select(Record, f'"account" = ? AND "data_type" = ? AND "key" IN ({places})', [account, data_type, *keys], connection)


# --- writing them -------------------------------------------------------------------------------


async def add(instance: M, connection: Any = None) -> M:
    """Insert a new model object (its fields converted as the ORM converts them: JSON, the
    ``auto_now`` times) in one statement; it gets its id."""
    [added] = await add_many([instance], connection)
    return added


INSERT_MANY_ROWS = 500
"""At most this many rows in one multi-row INSERT (well under SQLite's and PostgreSQL's limits
on parameters per statement)."""


@cache
def _insert_plan(model: type[Model]) -> tuple[tuple[str, ...], tuple[tuple[str, Any], ...], frozenset[str]]:
    """The columns an INSERT of ``model`` writes, each one's field (with its name), the names."""
    meta = model._meta
    fields = [(name, meta.fields_map[name]) for name in meta.fields_db_projection if not meta.fields_map[name].generated]
    return tuple(meta.fields_db_projection[name] for name, _ in fields), tuple(fields), frozenset(name for name, _ in fields)


async def add_many(instances: list[M], connection: Any = None) -> list[M]:
    """Insert new model objects of one model, as :func:`add` does, in one statement per
    :data:`INSERT_MANY_ROWS`; each gets its id."""
    if not instances:
        return instances
    model, meta = type(instances[0]), instances[0]._meta
    _forget_new(model, [{name: getattr(i, name, None) for name in _IDENTITY.get(model, ())} for i in instances])
    columns, fields, _ = _insert_plan(model)
    for start in range(0, len(instances), INSERT_MANY_ROWS):
        chunk = instances[start:start + INSERT_MANY_ROWS]
        values = [field.to_db_value(getattr(i, name), i) for i in chunk for name, field in fields]
        rows = await fetch(_insert_many_sql(model, columns, len(chunk)), values, connection)
        if len(rows) != len(chunk):
            raise RuntimeError(f"inserting {len(chunk)} {meta.db_table} rows returned {len(rows)} ids")
        # the rows take their ids in the order of the VALUES: sorted, they are the instances' ids
        for instance, row_id in zip(chunk, sorted(row["id"] for row in rows), strict=True):
            instance.pk = row_id
            instance._saved_in_db = True
    return instances


@cache
def _insert_many_sql(model: type[Model], columns: tuple[str, ...], count: int) -> str:
    names = ",".join(f'"{c}"' for c in columns)
    places = ",".join([f"({','.join('?' for _ in columns)})"] * count)
    return f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES {places} RETURNING "id"'


_IDENTITY: dict[type[Model], tuple[str, ...]] = {
    Link: ("account", "integration", "data_type", "external_id"),
    Record: ("account", "data_type", "key"),
}
"""The unique key of the rows an import batch keeps what it has read of."""


def _forget_new(model: type[Model], identities: list[dict[str, Any]]) -> None:
    """New rows of ``model``: an import batch no longer takes its 'there is none' for them."""
    reads = batch_reads.current()
    if reads is None or model not in _IDENTITY:
        return
    for identity in identities:
        key = tuple(identity.get(name) for name in _IDENTITY[model])
        if model is Link:
            reads.forget_link(key)  # type: ignore[arg-type]
        else:
            reads.forget_record_key(key)  # type: ignore[arg-type]


async def insert(model: type[Model], connection: Any = None, **values: Any) -> int:
    """Insert one ``model`` row from field values, as :func:`create` does (defaults, ``auto_now``
    times, the ORM's conversions) but without making a model object; its id. For the rows the
    caller never reads back as objects: ledger entries, deliveries, new links."""
    _forget_new(model, [values])
    [found] = await fetch(_insert_many_sql(model, _insert_plan(model)[0], 1), row_of(model, values), connection)
    return int(found["id"])


_NO_STAMP, _STAMP_ALWAYS, _STAMP_IF_NONE = 0, 1, 2


@cache
def _row_plan(model: type[Model]) -> tuple[tuple[str, Callable[[Any, Any], Any], Any, bool, int], ...]:
    """Per column of an INSERT of ``model``: the field's name, its conversion, its default (and
    whether to call it), and whether the time of the insert goes there (``auto_now``, or
    ``auto_now_add`` when no value is given): what :func:`row_of` would otherwise ask every field
    for every row."""
    plan = []
    for name, field in _insert_plan(model)[1]:
        stamp = (_STAMP_ALWAYS if getattr(field, "auto_now", False)
                 else _STAMP_IF_NONE if getattr(field, "auto_now_add", False) else _NO_STAMP)
        plan.append((name, field.to_db_value, field.default, callable(field.default), stamp))
    return tuple(plan)


def row_of(model: type[Model], values: dict[str, Any]) -> list[Any]:
    """The values of an INSERT of ``model`` (:func:`insert`), converted as the ORM converts them
    there and then (a JSON field's value is its text from now on)."""
    if unknown := values.keys() - _insert_plan(model)[2]:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    now = datetime.now(UTC)
    row = []
    for name, convert, default, call_default, stamp in _row_plan(model):
        value = values[name] if name in values else (default() if call_default else default)
        if stamp == _STAMP_ALWAYS or (stamp == _STAMP_IF_NONE and value is None):
            value = now
        row.append(convert(value, None))
    return row


async def insert_rows(model: type[Model], made: list[list[Any]], connection: Any = None, *,
                      columns: tuple[str, ...] | None = None) -> list[int]:
    """Insert rows of ``model`` (as :func:`row_of` makes them, or of ``columns``), one statement
    per :data:`INSERT_MANY_ROWS`; their ids, in the order given.

    One statement inserts its rows in the order of its VALUES, each taking the next id, so the
    ids sorted are the rows' ids in that order (other writers' rows may come in between)."""
    if model in _IDENTITY and (reads := batch_reads.current()) is not None:
        reads.forget_all()  # rows made elsewhere: whatever the batch read of the table may be out of date
    columns = columns or _insert_plan(model)[0]
    ids: list[int] = []
    for start in range(0, len(made), INSERT_MANY_ROWS):
        chunk = made[start:start + INSERT_MANY_ROWS]
        found = await fetch(_insert_many_sql(model, columns, len(chunk)), [value for row in chunk for value in row], connection)
        ids += sorted(row["id"] for row in found)
    return ids


async def create(model: type[M], connection: Any = None, **values: Any) -> M:
    """``model(**values)``, inserted (as ``Model.create``, in one plain statement)."""
    return await add(model(**values), connection)


def _db_value(field: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, JSONField):
        return field.to_db_value(value, None)
    if isinstance(value, StrEnum):
        return value.value
    return value


async def change(model: type[Model], row_id: int, values: dict[str, Any], connection: Any = None, *,
                 where: dict[str, Any] | None = None, decrement: tuple[str, ...] = ()) -> int:
    """``UPDATE`` one row by id (and the ``where`` columns' values) to ``values`` (columns as
    named in the model, converted as the ORM converts them) and ``decrement`` columns by one;
    how many rows changed."""
    meta = model._meta
    if (reads := batch_reads.current()) is not None:
        reads.forget_row(meta.db_table, row_id)
    sets, params = [], []
    for name, value in values.items():
        field = meta.fields_map[name]
        sets.append(f'"{field.source_field or name}" = ?')
        params.append(_db_value(field, value))
    sets += [f'"{name}" = "{name}" - 1' for name in decrement]
    conditions = ['"id" = ?']
    params.append(row_id)
    for name, value in (where or {}).items():
        conditions.append(f'"{name}" = ?')
        params.append(value)
    db = client(connection)
    sql = f'UPDATE "{meta.db_table}" SET {", ".join(sets)} WHERE {" AND ".join(conditions)}'
    if db.capabilities.dialect == "postgres":
        sql = _postgres_sql(sql)
    changed, _ = await db.execute_query(sql, params)
    return changed
