"""The records' ledger: an entry each time an import (or the hub itself) touches a record.

Written in the transaction that touches the record, so the history never disagrees with it.
Inside :func:`together` (an import batch's transaction), the entries are written at its end,
in the order they were noted, with one multi-row insert instead of one insert each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from connect_hub.store import rows
from connect_hub.store.models import LedgerEntry, Record

_noted: ContextVar[list[list[Any]] | None] = ContextVar("connect_hub_ledger_noted", default=None)

CREATED, UPDATED, UNCHANGED, OLDER, ECHO = "created", "updated", "unchanged", "older", "echo"
HUB = "hub"
"""The ``integration`` of an entry the hub made by itself (a checkout it found abandoned)."""


def outcome(*, changed: bool, created: bool, older: bool, echo: bool) -> str:
    """The entry's outcome for what a merge found."""
    if echo:
        return ECHO
    if changed:
        return CREATED if created else UPDATED
    return OLDER if older else UNCHANGED


async def note(
    account: str,
    record: Record,
    outcome: str,
    *,
    integration: str,
    content_hash: str,
    written: bool,
    event_id: int | None = None,
    external_id: str | None = None,
    connection: Any = None,
) -> None:
    """Add one entry for ``record`` as it now is; ``written``: a version was written, keep it."""
    values = {
        "account": account, "record_id": record.id, "event_id": event_id, "integration": integration,
        "external_id": external_id, "outcome": outcome, "version": record.version, "hash": content_hash,
        "data": record.data if written else None,
    }
    noted = _noted.get()
    if noted is None:
        await rows.insert(LedgerEntry, connection, **values)
    else:
        noted.append(rows.row_of(LedgerEntry, values))  # the record as it is now, whatever comes next


@asynccontextmanager
async def together(connection: Any = None) -> AsyncIterator[None]:
    """Hold the entries noted inside, then write them all in ``connection``'s transaction (the
    caller's) once the block is done; if it raises, nothing is written.

    Only what reads the ledger inside the block could tell: :func:`connect_hub.pipeline.importing`
    asks which event wrote a record's version (two versions of one second), and an entry held
    here is always an earlier event's of the same batch, which that answer never needs."""
    held: list[list[Any]] = []
    token = _noted.set(held)
    try:
        yield
    finally:
        _noted.reset(token)
    await rows.insert_rows(LedgerEntry, held, connection)
