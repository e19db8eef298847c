"""The Dramatiq actors: thin, they take ids, call the pipeline and send the ids it returns."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import dramatiq

from connect_hub import logs
from connect_hub.broker import QUEUE, enqueue_all
from connect_hub.manifest import DataType
from connect_hub.metrics import EVENTS
from connect_hub.pipeline import exporting, importing, maintenance, polling

if TYPE_CHECKING:
    from connect_hub.account import Account

log = logging.getLogger(__name__)
ACTOR_TIME_LIMIT_MS = 10 * 60 * 1000


class Actors:
    """The hub's actors bound to one broker and to the account of this process."""

    def __init__(self, broker: dramatiq.Broker, account: Callable[[], Account]):
        self.broker = broker
        self._account = account
        options = {"broker": broker, "queue_name": QUEUE, "max_retries": 0, "time_limit": ACTOR_TIME_LIMIT_MS}
        self.import_event = dramatiq.actor(self._import_event, actor_name="import_event", **options)
        self.import_events = dramatiq.actor(self._import_events, actor_name="import_events", **options)
        self.export_delivery = dramatiq.actor(self._export_delivery, actor_name="export_delivery", **options)
        self.export_deliveries = dramatiq.actor(self._export_deliveries, actor_name="export_deliveries", **options)
        self.poll = dramatiq.actor(self._poll, actor_name="poll", **options)
        self.maintain = dramatiq.actor(self._maintain, actor_name="maintain", **options)
        self.onboard = dramatiq.actor(self._onboard, actor_name="onboard", **options)

    def handlers(self) -> dict[str, Callable[..., Awaitable[None]]]:
        """Each actor's coroutine function by actor name (for :class:`connect_hub.loop_worker.LoopWorker`)."""
        return {
            "import_event": self._import_event, "import_events": self._import_events, "export_delivery": self._export_delivery,
            "export_deliveries": self._export_deliveries, "poll": self._poll,
            "maintain": self._maintain, "onboard": self._onboard,
        }

    async def _import_event(self, event_id: int) -> None:
        await self._import_events([event_id])

    async def _import_events(self, event_ids: list[int]) -> None:
        imported = await importing.import_events(self._account(), event_ids)
        EVENTS.labels("imported").inc(len(event_ids) - len(imported.deferred) - len(imported.crashes))
        for waiting in imported.deferred:
            EVENTS.labels("deferred").inc()
            self.import_event.send_with_options(args=(waiting.event_id,), delay=int(waiting.seconds * 1000))
        self.send_exports(imported.deliveries)
        for event_id, exc in imported.crashes:
            EVENTS.labels("crashed").inc()
            log.error("importing event %s failed: %s: %s (it is tried again)", event_id, type(exc).__name__, exc, exc_info=exc)

    async def _export_delivery(self, delivery_id: int) -> None:
        logs.bind(delivery_id=delivery_id)
        self._retry(await exporting.export_delivery(self._account(), delivery_id))

    async def _export_deliveries(self, delivery_ids: list[int]) -> None:
        self._retry(await exporting.export_deliveries(self._account(), delivery_ids))

    def _retry(self, outcomes: list[exporting.Outcome]) -> None:
        for outcome in outcomes:
            if outcome.retry_in is not None and outcome.delivery_id is not None:
                self.send_export(outcome.delivery_id, delay=outcome.retry_in)

    async def _poll(self, integration: str, data_type: str) -> None:
        logs.bind(integration=integration, data_type=data_type)
        await polling.run_poll(self._account(), integration, DataType(data_type), self.send_imports)

    async def _maintain(self, integration: str) -> None:
        logs.bind(integration=integration)
        await maintenance.maintain(self._account(), integration)

    async def _onboard(self, integration: str) -> None:
        logs.bind(integration=integration)
        await maintenance.onboard(self._account(), integration)

    def send_import(self, event_id: int) -> None:
        self.import_event.send(event_id)

    def send_imports(self, event_ids: list[int]) -> None:
        """Wake the imports of several events: one message a batch (``importing.IMPORT_BATCH``),
        sent in one round trip to the broker where it can."""
        batch = importing.IMPORT_BATCH
        messages = [self.import_events.message(event_ids[i:i + batch]) for i in range(0, len(event_ids), batch)]
        enqueue_all(self.broker, messages)

    def send_exports(self, delivery_ids: list[int]) -> None:
        """Wake the exports of several deliveries: one message a batch (``exporting.EXPORT_BATCH``),
        sent in one round trip to the broker where it can."""
        batch = exporting.EXPORT_BATCH
        messages = [self.export_deliveries.message(delivery_ids[i:i + batch]) for i in range(0, len(delivery_ids), batch)]
        enqueue_all(self.broker, messages)

    def send_export(self, delivery_id: int, delay: float | None = None) -> None:
        if delay:
            self.export_delivery.send_with_options(args=(delivery_id,), delay=int(delay * 1000) + 50)
        else:
            self.export_delivery.send(delivery_id)
