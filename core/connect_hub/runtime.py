"""One process's hub: account, store connection, broker, actors and the event loop they share.

The ORM belongs to the loop that opened it, so every process has exactly one asyncio loop (a
Dramatiq ``EventLoopThread``) where the store is opened, async actors run, and, in the service,
the HTTP server runs too. With the in-process broker the actors run as tasks on that loop
(:class:`~connect_hub.loop_worker.LoopWorker`); with Redis, consumer threads fetch from Redis and
hand each message to the loop, where the actor runs as a task too
(:class:`~connect_hub.redis_worker.RedisLoopWorker`).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import dramatiq
from dramatiq.asyncio import EventLoopThread, set_event_loop_thread
from dramatiq.brokers.redis import RedisBroker

from connect_hub.account import Account, build_account
from connect_hub.actors import ACTOR_TIME_LIMIT_MS, Actors
from connect_hub.broker import QUEUE, make_broker
from connect_hub.config import AccountConfig
from connect_hub.loop_worker import InProcessBroker, LoopWorker
from connect_hub.pipeline.sweeper import Resent, free_leases_left_by_a_dead_run
from connect_hub.plugins import Plugins
from connect_hub.redis_worker import RedisLoopWorker
from connect_hub.store.database import close_store, open_store

T = TypeVar("T")
log = logging.getLogger(__name__)


def actor_limits(threads: int) -> dict[str, int]:
    """How many of an actor run at once in one process, where it differs from ``threads``:
    exports wait on the network, so they get four times the room."""
    return {"export_delivery": 4 * threads, "export_deliveries": 4 * threads}


class Runtime:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`run` runs a coroutine on the loop."""

    def __init__(self, config: AccountConfig, plugins: Plugins | None = None, *, migrate: bool = False):
        self.plugins = plugins or Plugins.load()
        self.account: Account = build_account(config, self.plugins)
        self.migrate = migrate
        self.broker: dramatiq.Broker = make_broker(config.broker, namespace=f"connect-hub-{config.account}")
        self.actors = Actors(self.broker, lambda: self.account)
        self.loop_thread: EventLoopThread | None = None
        self.worker: LoopWorker | RedisLoopWorker | None = None
        self.started_at = datetime.now(UTC)
        """When this process's hub started: an in-process broker forgot every message sent before."""
        self.resent = Resent()
        """What this process's sweeper re-sent, and until when it trusts those messages."""

    @property
    def config(self) -> AccountConfig:
        return self.account.config

    def start(self) -> None:
        self.started_at = datetime.now(UTC)
        self.loop_thread = EventLoopThread(log)
        self.loop_thread.start(timeout=5.0)
        set_event_loop_thread(self.loop_thread)
        self.run(self._open())

    async def _open(self) -> None:
        await open_store(self.config.store, apply_migrations=self.migrate)
        for integration in self.account.integrations.values():
            await self.plugins.start(integration)

    def start_workers(self, threads: int | None = None) -> None:
        """Consume the broker's queue in this process (embedded mode, or ``connect-hub worker``).

        Actors run on the loop, ``threads`` of each at a time (exports, which wait on the network,
        four times as many), fed by the in-process broker or by consumer threads on Redis.
        """
        threads = threads or self.config.workers.threads
        if isinstance(self.broker, InProcessBroker):
            self.run(free_leases_left_by_a_dead_run(self.account.name))
            self.worker = self.run(self._attach_loop_worker(threads))
        else:
            assert isinstance(self.broker, RedisBroker) and self.loop_thread is not None
            worker = RedisLoopWorker(self.broker, QUEUE, self.loop_thread.loop, self.actors.handlers(),
                                     limits=actor_limits(threads), default_limit=threads,
                                     time_limit=ACTOR_TIME_LIMIT_MS / 1000)
            worker.start()
            self.worker = worker

    async def _attach_loop_worker(self, threads: int) -> LoopWorker:
        import asyncio

        assert isinstance(self.broker, InProcessBroker)
        worker = LoopWorker(asyncio.get_running_loop(), self.actors.handlers(), limits=actor_limits(threads),
                            default_limit=threads, time_limit=ACTOR_TIME_LIMIT_MS / 1000)
        worker.attach(self.broker)
        return worker

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        assert self.loop_thread is not None, "Runtime.start() first"
        return self.loop_thread.run_coroutine(coro) if timeout is None else self._run_with_timeout(coro, timeout)

    def _run_with_timeout(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        import asyncio

        assert self.loop_thread is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop_thread.loop).result(timeout)

    def stop(self) -> None:
        if self.worker is not None:
            self.run(self.worker.stop(timeout=10), timeout=20)
            self.worker = None
        if self.loop_thread is not None:
            try:
                self.run(self._close(), timeout=15)
            finally:
                self.loop_thread.stop()
                set_event_loop_thread(None)
                self.loop_thread = None
        self.broker.close()

    async def _close(self) -> None:
        for integration in self.account.integrations.values():
            try:
                await self.plugins.stop(integration)
            except Exception:
                log.exception("stopping integration %s failed", integration.name)
        await close_store()
