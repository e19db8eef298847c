"""The scheduler: on a timer, re-sends stale work, abandons stale checkouts, starts due polls
and maintenance passes, and keeps the store's planner statistics.

One per hub: with a Redis broker the processes elect it through a Redis lock. It sends
messages, and the work itself runs in the actors; but for the statistics, which it keeps
itself (:mod:`connect_hub.store.statistics`): they are wanted most while the queue is long.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from connect_hub.broker import oldest_waiting
from connect_hub.loop_worker import InProcessBroker
from connect_hub.pipeline.checkouts import abandon_stale
from connect_hub.pipeline.polling import due_polls
from connect_hub.pipeline.sweeper import Stale, find_stale
from connect_hub.runtime import Runtime
from connect_hub.store import statistics

log = logging.getLogger(__name__)
STATISTICS_EVERY = 2.0
"""Seconds between two looks at the store's statistics (one query of PostgreSQL's counters)."""

_TAKE_OR_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
elseif redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"""


class Leadership:
    """A Redis lock that makes exactly one process the scheduler; renewed on every tick."""

    def __init__(self, url: str, key: str, ttl_seconds: float):
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(url)
        self.key = key
        self.token = uuid.uuid4().hex
        self.ttl_ms = int(ttl_seconds * 1000)
        self.script = self.client.register_script(_TAKE_OR_RENEW)

    async def held(self) -> bool:
        try:
            return bool(await self.script(keys=[self.key], args=[self.token, self.ttl_ms]))
        except Exception as exc:  # noqa: BLE001 - Redis away: nobody schedules until it is back
            log.warning("scheduler lock unavailable: %s", exc)
            return False

    async def close(self) -> None:
        await self.client.aclose()


async def sweep_once(runtime: Runtime) -> tuple[int, int]:
    """Re-send stale pending work (see :mod:`connect_hub.pipeline.sweeper`); returns how many
    events and deliveries were re-sent."""
    config = runtime.config
    oldest = oldest_waiting(runtime.broker)
    backlog_age = max(0.0, time.time() - oldest) if oldest is not None else 0.0
    forgotten_before = runtime.started_at if isinstance(runtime.broker, InProcessBroker) else None
    found = await find_stale(config.account, config.sweeper.stale_after, backlog_age=backlog_age, forgotten_before=forgotten_before)
    return resend(runtime, runtime.resent.fresh(found, trust_for=config.sweeper.stale_after + backlog_age))


def resend(runtime: Runtime, stale: Stale) -> tuple[int, int]:
    """Wake what the store still has pending. One event a message, not a batch: an event whose
    import kills its worker then counts its tries alone, not in every batch it joins."""
    for event_id in stale.events:
        runtime.actors.send_import(event_id)
    for delivery_id in stale.deliveries:
        runtime.actors.send_export(delivery_id)
    if stale.events or stale.deliveries:
        log.info("sweeper re-sent %d events and %d deliveries", len(stale.events), len(stale.deliveries))
    return len(stale.events), len(stale.deliveries)


async def abandon_checkouts(runtime: Runtime) -> int:
    """Abandon the checkouts that waited too long for an order, and wake their exports."""
    deliveries = await abandon_stale(runtime.account)
    for delivery_id in deliveries:
        runtime.actors.send_export(delivery_id)
    return len(deliveries)


async def start_polls(runtime: Runtime) -> int:
    """Send a poll message for every polled flow whose interval has passed."""
    due = await due_polls(runtime.account)
    for integration, data_type in due:
        runtime.actors.poll.send(integration, str(data_type))
    return len(due)


class Maintenance:
    """When each integration's next maintenance pass is due (onboarding checks on the first)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.next_at: dict[str, float] = {}

    def tick(self) -> None:
        config = self.runtime.config.maintenance
        now = time.monotonic()
        for name in self.runtime.account.integrations:
            if name not in self.next_at:
                self.next_at[name] = now + config.interval
                if config.at_start:  # onboarding registers what maintenance later watches
                    self.runtime.actors.onboard.send(name)
            elif self.next_at[name] <= now:
                self.next_at[name] = now + config.interval
                self.runtime.actors.maintain.send(name)


async def keep_statistics(stop: asyncio.Event, leading: asyncio.Event) -> None:
    """Every :data:`STATISTICS_EVERY` seconds while this process is the scheduler, analyse the
    store's tables whose planner statistics are missing or out of date."""
    while not stop.is_set():
        if leading.is_set():
            try:
                await statistics.refresh()
            except Exception as exc:  # noqa: BLE001 - the store away: the next look tries again
                log.warning("the store's statistics were not refreshed: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=STATISTICS_EVERY)
        except TimeoutError:
            pass


async def run_scheduler(runtime: Runtime, stop: asyncio.Event) -> None:
    """Tick until ``stop`` is set. With a Redis broker only the lock holder works."""
    config = runtime.config
    maintenance = Maintenance(runtime)
    leadership = None
    if config.broker.startswith("redis"):
        leadership = Leadership(config.broker, f"connect-hub-{config.account}:scheduler", config.sweeper.interval * 3)
    leading = asyncio.Event()
    keeper = asyncio.create_task(keep_statistics(stop, leading))
    try:
        while not stop.is_set():
            if leadership is None or await leadership.held():
                leading.set()
                try:
                    await sweep_once(runtime)
                    await abandon_checkouts(runtime)
                    await start_polls(runtime)
                    maintenance.tick()
                except Exception:
                    log.exception("scheduler tick failed")
            else:
                leading.clear()
            try:
                await asyncio.wait_for(stop.wait(), timeout=config.sweeper.interval)
            except TimeoutError:
                pass
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
        if leadership is not None:
            await leadership.close()
