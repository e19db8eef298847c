"""Ingress: an accepted webhook body or polled item becomes a committed Event.

On SQLite the hub has one connection, so webhooks that arrive together would queue for it one
insert at a time. :class:`EventWriter` group-commits them instead: the requests waiting at one
moment share one multi-row insert and one commit, and each is answered only once its row is
committed (accepted means stored). On PostgreSQL each request inserts on its own pooled
connection, which is already concurrent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from connect_hub.store.models import Event

KEPT_HEADER_PREFIXES = ("x-wc-", "x-hub-", "x-warehouse-", "content-type", "user-agent")
"""Only these headers are kept with an Event: never Authorization, cookies or API keys."""
MAX_GROUP = 256


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith(KEPT_HEADER_PREFIXES)}


async def store_event(account: str, integration: str, topic: str, headers: Mapping[str, str], body: bytes) -> int:
    """Commit one raw Event (a single insert) and return its id; the caller then wakes an actor."""
    event = await Event.create(
        account=account, integration=integration, topic=topic[:100], headers=kept_headers(headers), body=body
    )
    return event.id


@dataclass
class _Waiting:
    event: Event
    done: asyncio.Future[int]


class EventWriter:
    """Stores Events for the webhook route, grouping concurrent ones into one commit on SQLite."""

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._flushing = False
        self._grouped: bool | None = None

    def _is_sqlite(self) -> bool:
        if self._grouped is None:
            self._grouped = type(connections.get("default")).__module__.startswith(("tortoise.backends.sqlite", "connect_hub.store.sqlite"))
        return self._grouped

    async def store(self, account: str, integration: str, topic: str, headers: Mapping[str, str], body: bytes) -> int:
        if not self._is_sqlite():
            return await store_event(account, integration, topic, headers, body)
        event = Event(account=account, integration=integration, topic=topic[:100], headers=kept_headers(headers), body=body)
        waiting = _Waiting(event, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await waiting.done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                try:
                    ids = await _insert_group([w.event for w in group])
                except Exception as exc:  # noqa: BLE001 - each waiting request answers 503
                    for waiting in group:
                        waiting.done.set_exception(exc)
                else:
                    for waiting, event_id in zip(group, ids, strict=True):
                        waiting.done.set_result(event_id)
        finally:
            self._flushing = False


async def _insert_group(events: list[Event]) -> list[int]:
    """One multi-row insert in one ``BEGIN IMMEDIATE`` transaction. Holding the write lock, the
    new rowids are the consecutive ones ending at the highest id, so each event gets its id."""
    async with in_transaction() as conn:
        await Event.bulk_create(events, using_db=conn)
        last = await Event.all().using_db(conn).order_by("-id").first().values_list("id", flat=True)
    first = last - len(events) + 1
    return list(range(first, last + 1))
