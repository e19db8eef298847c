"""The production worker: messages from Dramatiq's Redis queues, actors as tasks on the runtime's loop.

Dramatiq's own worker hands each message to a thread of its own, which submits the actor's
coroutine to the loop and blocks until it is done: per message, thread switches and a wake-up
of the loop, and never more actors at once than threads. :class:`RedisLoopWorker` keeps what
Dramatiq's worker does with the queue and drops the threads that run actors:

- one consumer thread per queue (the queue and its delay queue) fetches messages with
  Dramatiq's Redis consumer (its Lua scripts, its prefetch, its heartbeat), so a worker that
  dies leaves its unacknowledged messages to be re-queued by the broker's maintenance, as with
  Dramatiq's worker;
- each message runs as a task on the loop, at most ``limits[actor]`` of one actor at a time
  (exports, which wait on the network, get more room than imports);
- a message is acknowledged once its actor has finished, and rejected (Dramatiq's dead-letter
  queue, its ``Retries(max_retries=0)``) when the actor failed or ran over its time limit;
- a delayed message waits in the delay-queue thread until it is due, then goes to the queue and
  is acknowledged on the delay queue, as Dramatiq's consumer thread does it;
- on stop, what was fetched but not started goes back to the queue at once.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name, q_name
from dramatiq.errors import BrokerConnectionError

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[object]]
RESTART_DELAY = 1.0
"""Seconds a consumer thread waits before it connects again after losing Redis."""


class RedisLoopWorker:
    """Consumes ``queue`` of ``broker`` into the actors named in ``handlers``, run on ``loop``."""

    def __init__(self, broker: RedisBroker, queue: str, loop: asyncio.AbstractEventLoop, handlers: Mapping[str, Handler], *,
                 limits: Mapping[str, int], default_limit: int, time_limit: float, poll_ms: int = 200):
        self.broker, self.queue, self.loop = broker, queue, loop
        self.handlers = dict(handlers)
        self.time_limit = time_limit
        self.poll_ms = poll_ms
        self.limits = {name: limits.get(name, default_limit) for name in handlers}
        self.prefetch = sum(self.limits.values())
        """Messages fetched and not yet acknowledged, at most: as many as may run at once."""
        self.bounds: dict[str, asyncio.Semaphore] = {}
        self.tasks: dict[asyncio.Task[None], tuple[dramatiq.MessageProxy, object]] = {}
        self.started: set[str] = set()
        self.unstarted: list[tuple[dramatiq.MessageProxy, object]] = []
        """Fetched messages that will not run here (the worker stops): put back on the queue."""
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.broker.declare_queue(self.queue)
        for queue, delays in ((self.queue, False), (dq_name(self.queue), True)):
            thread = threading.Thread(target=self._consume, args=(queue, delays), name=f"consumer {queue}", daemon=True)
            thread.start()
            self.threads.append(thread)

    # --- the consumer threads -------------------------------------------------------------------

    def _consume(self, queue: str, delays: bool) -> None:
        while not self.stopping.is_set():
            consumer = None
            held: list[tuple[int, int, dramatiq.MessageProxy]] = []
            try:
                consumer = self.broker.consume(queue, prefetch=self.prefetch if not delays else 1000, timeout=self.poll_ms)
                for message in consumer:
                    if self.stopping.is_set():
                        break
                    if message is None:
                        pass
                    elif delays:
                        heapq.heappush(held, (int(message.options.get("eta") or 0), id(message), message))
                    else:
                        self.loop.call_soon_threadsafe(self._arrive, message, consumer)
                    if delays:
                        self._enqueue_due(held, consumer)
            except BrokerConnectionError as exc:
                log.error("the worker lost Redis (%s); connecting again in %.0f s", exc, RESTART_DELAY)
            except Exception:
                log.exception("the worker's consumer of %s failed; starting it again in %.0f s", queue, RESTART_DELAY)
            finally:
                if consumer is not None and held:
                    self._requeue(consumer, [m for _, _, m in held])
            self.stopping.wait(RESTART_DELAY)

    def _enqueue_due(self, held: list[tuple[int, int, dramatiq.MessageProxy]], consumer: object) -> None:
        """Delayed messages that are due go to their queue and leave the delay queue."""
        now = current_millis()
        while held and held[0][0] <= now:
            _, _, message = heapq.heappop(held)
            due = message.copy(queue_name=q_name(message.queue_name))
            due.options.pop("eta", None)
            self.broker.enqueue(due)
            consumer.ack(message)  # type: ignore[attr-defined]

    # --- on the loop ----------------------------------------------------------------------------

    def _arrive(self, message: dramatiq.MessageProxy, consumer: object) -> None:
        name = message.actor_name
        if self.stopping.is_set():
            self.unstarted.append((message, consumer))
            return
        if name not in self.handlers:
            log.error("no actor %r in this process; message %s goes to the dead-letter queue", name, message.message_id)
            self._settle(message, consumer, ok=False)
            return
        task = self.loop.create_task(self._run(message, consumer))
        self.tasks[task] = (message, consumer)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.tasks.pop(task, None)

    async def _run(self, message: dramatiq.MessageProxy, consumer: object) -> None:
        name = message.actor_name
        bound = self.bounds.get(name)
        if bound is None:
            bound = self.bounds[name] = asyncio.Semaphore(self.limits[name])
        async with bound:
            if self.stopping.is_set():
                self.unstarted.append((message, consumer))
                return
            self.started.add(message.message_id)
            ok = False
            try:
                async with asyncio.timeout(self.time_limit):
                    await self.handlers[name](*message.args, **message.kwargs)
                ok = True
            except TimeoutError:
                log.error("actor %s ran over its time limit of %.0f s on message %s", name, self.time_limit, message.message_id)
            except Exception:
                log.exception("actor %s failed on message %s (args %r)", name, message.message_id, message.args)
            self.started.discard(message.message_id)
            self._settle(message, consumer, ok=ok)

    def _settle(self, message: dramatiq.MessageProxy, consumer: object, *, ok: bool) -> None:
        """Acknowledge (done) or reject (failed: the dead-letter queue) one message."""
        try:
            if ok:
                consumer.ack(message)  # type: ignore[attr-defined]
            else:
                message.fail()
                consumer.nack(message)  # type: ignore[attr-defined]
        except BrokerConnectionError as exc:  # the broker re-queues it once this worker's heartbeat is old
            log.warning("message %s could not be acknowledged (%s): it will run again", message.message_id, exc)

    def _requeue(self, consumer: object, messages: list[dramatiq.MessageProxy]) -> None:
        try:
            consumer.requeue(messages)  # type: ignore[attr-defined]
        except BrokerConnectionError:
            log.warning("%d fetched messages could not be put back: the broker re-queues them later", len(messages))

    def waiting(self) -> int:
        """Messages fetched that wait for their actor's turn."""
        return sum(1 for message, _ in self.tasks.values() if message.message_id not in self.started)

    async def stop(self, timeout: float) -> None:
        """Fetch nothing more, put back what has not started, give the running actors
        ``timeout`` seconds, then cancel them (their messages are re-queued by the broker)."""
        self.stopping.set()
        await asyncio.to_thread(self._join_threads)
        await asyncio.sleep(0)  # messages handed over by the consumer threads before they ended
        for task, (message, consumer) in list(self.tasks.items()):
            if message.message_id not in self.started and not task.done():
                task.cancel()
                self.unstarted.append((message, consumer))
        running = {task for task, (message, _) in self.tasks.items() if message.message_id in self.started}
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)
        by_consumer: dict[int, tuple[object, list[dramatiq.MessageProxy]]] = {}
        for message, consumer in self.unstarted:
            by_consumer.setdefault(id(consumer), (consumer, []))[1].append(message)
        for consumer, messages in by_consumer.values():
            self._requeue(consumer, messages)
        self.unstarted.clear()

    def _join_threads(self) -> None:
        for thread in self.threads:
            thread.join(timeout=5)

