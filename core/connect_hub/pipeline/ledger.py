"""The records' ledger: an entry each time an import (or the hub itself) touches a record.

Written in the transaction that touches the record, so the history never disagrees with it.
"""

from __future__ import annotations

from typing import Any

from connect_hub.store import rows
from connect_hub.store.models import LedgerEntry, Record

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
    await rows.insert(
        LedgerEntry, connection, account=account, record_id=record.id, event_id=event_id, integration=integration,
        external_id=external_id, outcome=outcome, version=record.version, hash=content_hash,
        data=record.data if written else None,
    )
