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
- only the consumer thread uses its consumer: the loop hands each outcome (ack, nack, put back)
  to the thread through :attr:`RedisLoopWorker.outcomes`, and the thread settles them between
  fetches, before it counts its room for the next fetch; so the consumer's bookkeeping has one
  user and the loop never waits on a Redis round trip; an outcome Redis refuses is tried again
  once the thread has reconnected;
- a delayed message waits in the delay-queue thread until it is due, then goes to the queue and
  is acknowledged on the delay queue, as Dramatiq's consumer thread does it;
- on stop, what was fetched but not started goes back to the queue at once, and the consumer
  thread settles every outcome the loop handed over before it ends.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from queue import Empty, SimpleQueue

import dramatiq
import redis
from dramatiq.broker import Consumer
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, dq_name, q_name
from dramatiq.errors import BrokerConnectionError

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[object]]
RESTART_DELAY = 1.0
"""Seconds a consumer thread waits before it connects again after losing Redis."""
REDIS_AWAY = (BrokerConnectionError, redis.ConnectionError, redis.TimeoutError)
"""What Redis being unreachable raises through Dramatiq's consumer (its ``requeue`` does not wrap errors)."""
THREADS_END_WITHIN = 5.0
"""Seconds stop gives the consumer threads, together, to hand over and settle what is left."""


class Outcome(Enum):
    """What the consumer thread does with a message the loop is done with."""

    ACK = "ack"
    """The actor finished: the message leaves the queue."""
    NACK = "nack"
    """The actor failed, ran over its time limit, or is unknown here: the dead-letter queue."""
    REQUEUE = "requeue"
    """The worker stops before the actor started: back on the queue for another worker."""


Settlement = tuple[Outcome, dramatiq.MessageProxy]


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
        self.tasks: dict[asyncio.Task[None], dramatiq.MessageProxy] = {}
        self.started: set[str] = set()
        self.unstarted: list[dramatiq.MessageProxy] = []
        """Fetched messages that will not run here (the worker stops): put back on the queue."""
        self.outcomes: SimpleQueue[Settlement | None] = SimpleQueue()
        """From the loop to the queue's consumer thread; ``None`` once the loop hands over no more."""
        self.stopping = threading.Event()
        self.handed_over = threading.Event()
        """Set by the queue's consumer thread once it fetches nothing more."""
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.broker.declare_queue(self.queue)
        for target, queue_name in ((self._consume, self.queue), (self._consume_delayed, dq_name(self.queue))):
            thread = threading.Thread(target=target, args=(queue_name,), name=f"consumer {queue_name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    # --- the consumer threads -------------------------------------------------------------------

    def _consume(self, queue_name: str) -> None:
        """Fetch into the loop and settle what the loop hands back, until stop; then settle the rest."""
        unsettled: deque[Settlement] = deque()
        last_word = False
        try:
            while not self.stopping.is_set():
                try:
                    consumer = self.broker.consume(queue_name, prefetch=self.prefetch, timeout=self.poll_ms)
                    while not self.stopping.is_set():
                        last_word = self._take_outcomes(unsettled, block=False) or last_word
                        self._settle(consumer, unsettled)  # first, so that the fetch counts the freed room
                        message = next(consumer)  # None after at most poll_ms without a message
                        if message is not None:
                            self.loop.call_soon_threadsafe(self._arrive, message)
                except REDIS_AWAY as exc:
                    log.error("the worker lost Redis (%s); connecting again in %.0f s", exc, RESTART_DELAY)
                except Exception:
                    log.exception("the worker's consumer of %s failed; starting it again in %.0f s", queue_name, RESTART_DELAY)
                else:
                    break
                self.stopping.wait(RESTART_DELAY)
        finally:
            self.handed_over.set()
        self._settle_the_rest(self.broker.consume(queue_name, prefetch=self.prefetch, timeout=self.poll_ms),
                              unsettled, last_word)

    def _settle_the_rest(self, consumer: Consumer, unsettled: deque[Settlement], last_word: bool) -> None:
        """After stop: settle what the loop hands over until its last word, then give up on what Redis refuses."""
        while True:
            try:
                self._settle(consumer, unsettled)
            except REDIS_AWAY as exc:
                if last_word:
                    log.warning("%d finished or unstarted messages could not be settled (%s): the broker re-queues "
                                "them once this worker's heartbeat is old, and they run again", len(unsettled), exc)
            if last_word:
                return
            last_word = self._take_outcomes(unsettled, block=True)

    def _take_outcomes(self, unsettled: deque[Settlement], *, block: bool) -> bool:
        """Move what the loop has handed over to ``unsettled``; True once the loop's last word was among it."""
        while True:
            try:
                settlement = self.outcomes.get(block=block)
            except Empty:
                return False
            if settlement is None:
                return True
            unsettled.append(settlement)
            block = False

    def _settle(self, consumer: Consumer, unsettled: deque[Settlement]) -> None:
        """Acknowledge, reject or put back, in order, what the loop has handed over.

        An outcome leaves ``unsettled`` only once Redis has taken it: one that fails with the
        connection is tried again, through the next consumer (Redis keeps a worker's fetched
        messages by worker and queue, not by consumer)."""
        while unsettled:
            outcome, message = unsettled[0]
            if outcome is Outcome.ACK:
                consumer.ack(message)
            elif outcome is Outcome.NACK:
                message.fail()
                consumer.nack(message)
            else:
                consumer.requeue([message])
            unsettled.popleft()

    def _consume_delayed(self, queue_name: str) -> None:
        """Hold delayed messages until they are due, then move them to the queue."""
        while not self.stopping.is_set():
            consumer = None
            held: list[tuple[int, int, dramatiq.MessageProxy]] = []
            try:
                consumer = self.broker.consume(queue_name, prefetch=1000, timeout=self.poll_ms)
                for message in consumer:
                    if message is not None:  # held even on stop: put back below
                        heapq.heappush(held, (int(message.options.get("eta") or 0), id(message), message))
                    if self.stopping.is_set():
                        break
                    self._enqueue_due(held, consumer)
            except REDIS_AWAY as exc:
                log.error("the worker lost Redis (%s); connecting again in %.0f s", exc, RESTART_DELAY)
            except Exception:
                log.exception("the worker's consumer of %s failed; starting it again in %.0f s", queue_name, RESTART_DELAY)
            finally:
                if consumer is not None and held:
                    self._requeue(consumer, [m for _, _, m in held])
            self.stopping.wait(RESTART_DELAY)

    def _enqueue_due(self, held: list[tuple[int, int, dramatiq.MessageProxy]], consumer: Consumer) -> None:
        """Delayed messages that are due go to their queue and leave the delay queue."""
        now = current_millis()
        while held and held[0][0] <= now:
            _, _, message = heapq.heappop(held)
            due = message.copy(queue_name=q_name(message.queue_name))
            due.options.pop("eta", None)
            self.broker.enqueue(due)
            consumer.ack(message)

    def _requeue(self, consumer: Consumer, messages: list[dramatiq.MessageProxy]) -> None:
        try:
            consumer.requeue(messages)
        except REDIS_AWAY:
            log.warning("%d fetched messages could not be put back: the broker re-queues them later", len(messages))

    # --- on the loop ----------------------------------------------------------------------------

    def _arrive(self, message: dramatiq.MessageProxy) -> None:
        name = message.actor_name
        if self.stopping.is_set():
            self.unstarted.append(message)
            return
        if name not in self.handlers:
            log.error("no actor %r in this process; message %s goes to the dead-letter queue", name, message.message_id)
            self.outcomes.put((Outcome.NACK, message))
            return
        task = self.loop.create_task(self._run(message))
        self.tasks[task] = message
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.tasks.pop(task, None)

    async def _run(self, message: dramatiq.MessageProxy) -> None:
        name = message.actor_name
        bound = self.bounds.get(name)
        if bound is None:
            bound = self.bounds[name] = asyncio.Semaphore(self.limits[name])
        async with bound:
            if self.stopping.is_set():
                self.unstarted.append(message)
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
            self.outcomes.put((Outcome.ACK if ok else Outcome.NACK, message))

    def waiting(self) -> int:
        """Messages fetched that wait for their actor's turn."""
        return sum(1 for message in self.tasks.values() if message.message_id not in self.started)

    async def stop(self, timeout: float) -> None:
        """Fetch nothing more, put back what has not started, give the running actors
        ``timeout`` seconds, then cancel them (their messages are re-queued by the broker), and
        let the consumer thread settle every outcome before it ends."""
        self.stopping.set()
        try:
            await asyncio.to_thread(self.handed_over.wait, THREADS_END_WITHIN)
            await asyncio.sleep(0)  # messages handed over by the consumer thread before it stopped fetching
            for task, message in list(self.tasks.items()):
                if message.message_id not in self.started and not task.done():
                    task.cancel()
                    self.unstarted.append(message)
            running = {task for task, message in self.tasks.items() if message.message_id in self.started}
            if running:
                _, late = await asyncio.wait(running, timeout=timeout)
                for task in late:
                    task.cancel()
                if late:
                    await asyncio.wait(late, timeout=1)
            for message in self.unstarted:
                self.outcomes.put((Outcome.REQUEUE, message))
            self.unstarted.clear()
        finally:
            self.outcomes.put(None)
        await asyncio.to_thread(self._join_threads)

    def _join_threads(self) -> None:
        deadline = time.monotonic() + THREADS_END_WITHIN
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
