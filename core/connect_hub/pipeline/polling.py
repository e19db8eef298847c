"""Polling: page through what changed in an integration and store each item as an Event.

Each page's Events (one multi-row insert, as webhooks' are:
:func:`~connect_hub.pipeline.ingress.insert_events`) and the cursor after it are committed
together, so a crash mid-poll resumes after the last stored page and loses nothing. A lease on
the cursor row keeps two pollers from running the same poll.

Stored events are woken a full import batch at a time (:class:`_Waking`): a catalogue's
variation pages hold a few items each, and an import transaction per page would cost its claim,
its commit and its end-state update for three products. What is stored and not yet woken is
woken when the poll ends, however it ends; after a crash the sweeper wakes it (stored events are
never lost, only woken later).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from connect_hub.account import Account
from connect_hub.contracts import PollPage
from connect_hub.manifest import DataType
from connect_hub.pipeline.failures import cause
from connect_hub.pipeline.importing import IMPORT_BATCH
from connect_hub.pipeline.ingress import NewEvent, insert_events
from connect_hub.secrets import redact
from connect_hub.store.models import Cursor

log = logging.getLogger(__name__)
POLLED = {"x-hub-source": "poll"}
"""The headers of a polled Event (a webhook's are the kept ones of its request)."""


def polled_flows(account: Account) -> list[tuple[str, DataType, float]]:
    """(integration, data type, seconds between polls) for every polled import flow."""
    flows = []
    for name, integration in account.integrations.items():
        if not account.plugins.implements(integration.connector, "hub_poll"):
            continue
        for flow in integration.flows:
            every = flow.poll_every()
            if every is not None:
                flows.append((name, flow.data_type, every))
    return flows


async def due_polls(account: Account) -> list[tuple[str, DataType]]:
    """The polled flows whose interval has passed since their last poll and that nobody runs."""
    now = datetime.now(UTC)
    cursors = {
        (c.integration, c.data_type): c for c in await Cursor.filter(account=account.name)
    }
    due = []
    for name, data_type, every in polled_flows(account):
        cursor = cursors.get((name, str(data_type)))
        if cursor is not None and cursor.lease_until is not None and cursor.lease_until > now:
            continue
        if cursor is None or cursor.polled_at is None or cursor.polled_at + timedelta(seconds=every) <= now:
            due.append((name, data_type))
    return due


async def _lease(account: Account, integration: str, data_type: DataType) -> Cursor | None:
    now = datetime.now(UTC)
    cursor, _ = await Cursor.get_or_create(account=account.name, integration=integration, data_type=str(data_type))
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    until = now + timedelta(seconds=account.config.polling.lease)
    if not await Cursor.filter(Q(id=cursor.id), free).update(lease_until=until):
        return None
    cursor.lease_until = until
    return cursor


class _Waking:
    """Wakes stored events' imports a whole :data:`IMPORT_BATCH` at a time; :meth:`flush` the rest."""

    def __init__(self, wake: Callable[[list[int]], None]):
        self.wake, self.held = wake, list[int]()

    def add(self, ids: list[int]) -> None:
        self.held += ids
        if (whole := len(self.held) - len(self.held) % IMPORT_BATCH) > 0:
            ready, self.held = self.held[:whole], self.held[whole:]
            self.wake(ready)

    def flush(self) -> None:
        if self.held:
            ready, self.held = self.held, []
            self.wake(ready)


async def run_poll(
    account: Account, integration_name: str, data_type: DataType, wake: Callable[[list[int]], None],
    on_page: Callable[[PollPage], None] | None = None,
) -> int:
    """Run one poll to its end; ``wake`` is called with the ids of stored events, a whole import
    batch at a time and the rest at the end, ``on_page`` with each page once it is stored (for
    progress). Returns how many events were stored."""
    integration = account.integration(integration_name)
    if integration is None:
        return 0
    cursor = await _lease(account, integration_name, data_type)
    if cursor is None:
        return 0
    started = datetime.now(UTC)
    stored = 0
    waking = _Waking(wake)
    try:
        pages = account.plugins.poll(integration, data_type, cursor.position)
        if pages is not None:
            async for page in pages:
                async with in_transaction() as conn:
                    ids = await insert_events([
                        NewEvent(account.name, integration_name, item.topic, POLLED, item.body) for item in page.items
                    ], conn)
                    lease = datetime.now(UTC) + timedelta(seconds=account.config.polling.lease)
                    await Cursor.filter(id=cursor.id).using_db(conn).update(position=page.cursor, lease_until=lease)
                cursor.position = page.cursor
                waking.add(ids)
                stored += len(ids)
                if on_page is not None:
                    on_page(page)
        await Cursor.filter(id=cursor.id).update(polled_at=started, lease_until=None, last_error=None)
    except Exception as exc:  # noqa: BLE001 - the next interval tries again from the saved cursor
        message = redact(f"{type(exc).__name__}: {exc}", *account.secrets())
        log.warning("polling %s of %s failed: %s", data_type, integration_name, message)
        await Cursor.filter(id=cursor.id).update(polled_at=started, lease_until=None, last_error=message)
    finally:
        held = len(waking.held)
        try:
            waking.flush()
        except Exception as exc:  # noqa: BLE001 - stored is kept: the sweeper wakes them later
            log.warning("the imports of %d polled %s from %s wait for the sweeper: %s", held, data_type, integration_name, cause(exc))
    return stored
