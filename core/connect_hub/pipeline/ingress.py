"""Ingress: an accepted webhook body or polled item becomes a committed Event.

Webhooks that arrive together are group-committed by :class:`EventWriter`: the requests waiting
at one moment share one multi-row ``INSERT ... RETURNING id`` (a statement of its own, so its own
transaction: SQLite and PostgreSQL commit it at once), and each request is answered only once
its row is committed (accepted means stored), after the group's imports were woken together
(``wake``: one round trip to Redis for the group). On SQLite the hub has one connection, so this is
what keeps concurrent webhooks from queueing for it one insert at a time; on PostgreSQL it spares
each webhook a pooled connection and a commit of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connect_hub.store import rows
from connect_hub.store.models import Event, EventState

log = logging.getLogger(__name__)
KEPT_HEADER_PREFIXES = ("x-wc-", "x-hub-", "x-warehouse-", "content-type", "user-agent")
"""Only these headers are kept with an Event: never Authorization, cookies or API keys."""
MAX_GROUP = 256
EVENT_COLUMNS = ("account", "integration", "topic", "headers", "body", "state", "attempts", "received_at")


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith(KEPT_HEADER_PREFIXES)}


@dataclass(frozen=True)
class NewEvent:
    """One raw change to store: where it came from and what it was."""

    account: str
    integration: str
    topic: str
    headers: Mapping[str, str]
    body: bytes

    def row(self, received_at: datetime) -> list[object]:
        """The values of :data:`EVENT_COLUMNS`."""
        headers = Event._meta.fields_map["headers"].to_db_value(kept_headers(self.headers), Event)
        return [self.account, self.integration, self.topic[:100], headers, self.body, EventState.PENDING.value, 0, received_at]


async def insert_events(events: list[NewEvent], connection: Any = None) -> list[int]:
    """Insert ``events`` with multi-row inserts (:func:`~connect_hub.store.rows.insert_rows`), in
    ``connection``'s transaction if given, else committed at once; their ids, in the order given."""
    received_at = datetime.now(UTC)
    return await rows.insert_rows(Event, [event.row(received_at) for event in events], connection, columns=EVENT_COLUMNS)


async def store_event(account: str, integration: str, topic: str, headers: Mapping[str, str], body: bytes) -> int:
    """Commit one raw Event and return its id; the caller then wakes an actor."""
    [event_id] = await insert_events([NewEvent(account, integration, topic, headers, body)])
    return event_id


@dataclass
class _Waiting:
    event: NewEvent
    done: asyncio.Future[int]


class EventWriter:
    """Stores Events for the webhook route, grouping concurrent ones into one insert; ``wake``
    is given the ids of each group once committed (a broker that is down loses no event: the
    sweeper wakes what was stored)."""

    def __init__(self, wake: Callable[[list[int]], None] | None = None) -> None:
        self._wake = wake
        self._waiting: list[_Waiting] = []
        self._flushing = False

    async def store(self, account: str, integration: str, topic: str, headers: Mapping[str, str], body: bytes) -> int:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(NewEvent(account, integration, topic, headers, body), loop.create_future())
        self._waiting.append(waiting)
        if not self._flushing:
            self._flushing = True
            loop.create_task(self._flush())
        return await waiting.done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                try:
                    ids = await insert_events([w.event for w in group])
                except Exception as exc:  # noqa: BLE001 - each waiting request answers 503
                    for waiting in group:
                        if not waiting.done.done():  # a request whose client left is cancelled
                            waiting.done.set_exception(exc)
                else:
                    self._woken(ids)
                    for waiting, event_id in zip(group, ids, strict=True):
                        if not waiting.done.done():
                            waiting.done.set_result(event_id)
        finally:
            self._flushing = False

    def _woken(self, ids: list[int]) -> None:
        if self._wake is None:
            return
        try:
            self._wake(ids)
        except Exception as exc:  # noqa: BLE001 - stored is accepted: the sweeper wakes them later
            log.warning("broker unavailable (%s); %d events wait for the sweeper", type(exc).__name__, len(ids))
