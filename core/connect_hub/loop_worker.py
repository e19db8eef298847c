"""The in-process broker's worker: actors run as tasks on the runtime's event loop.

Dramatiq's worker runs each message on a thread of its own, which hands the actor's coroutine to
the event loop and blocks until it is done: two thread switches and a wake-up of the loop per
message, and never more actors at once than threads, whatever they wait for. In embedded mode
nothing needs those threads (the actors are coroutines, the store and the HTTP clients live on
the loop), so :class:`LoopWorker` takes each message the in-process broker is given and runs the
actor on the loop at once, with a bound on how many of one actor run together (exports, which
wait on the network, get more room than imports, which wait on the store). A message over its
actor's bound waits in that actor's queue, first in first out.

What Dramatiq's middleware did here still holds: no retries (the store counts attempts and the
sweeper re-sends), a time limit per message, delayed messages held until they are due. A failing
actor is logged with its message and dropped, as Dramatiq does. Messages are in memory only: on
a restart the sweeper re-sends whatever the store still has pending.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping

import dramatiq
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[object]]


class InProcessBroker(StubBroker):
    """Dramatiq's stub broker, except that once a :class:`LoopWorker` is attached every message
    goes straight to it instead of to a queue for worker threads."""

    def __init__(self, middleware: list[dramatiq.Middleware]):
        super().__init__(middleware=middleware)
        self.worker: LoopWorker | None = None

    def enqueue(self, message: dramatiq.Message, *, delay: int | None = None) -> dramatiq.Message:
        worker = self.worker
        if worker is None:
            return super().enqueue(message, delay=delay)
        self.emit_before("enqueue", message, delay)
        worker.accept(message, delay)
        self.emit_after("enqueue", message, delay)
        return message

    def backlog(self) -> int:
        """Work waiting for its actor (not yet running), in messages (one that carries a batch
        of ids counts one per id)."""
        return self.worker.waiting() if self.worker is not None else sum(q.qsize() for q in self.queues.values())

    def oldest_waiting(self) -> float | None:
        """Since when (``time.time()``) the message waiting longest has waited for its actor, or
        None when none waits."""
        return self.worker.oldest_waiting() if self.worker is not None else None


def _weight(message: dramatiq.Message) -> int:
    first = message.args[0] if message.args else None
    return len(first) if isinstance(first, list) else 1


class LoopWorker:
    """Runs the actors named in ``handlers`` on ``loop``, at most ``limits[name]`` (else
    ``default_limit``) at a time each, each message within ``time_limit`` seconds."""

    def __init__(self, loop: asyncio.AbstractEventLoop, handlers: Mapping[str, Handler], *,
                 limits: Mapping[str, int], default_limit: int, time_limit: float):
        self.loop = loop
        self.handlers = dict(handlers)
        self.limits = {name: limits.get(name, default_limit) for name in handlers}
        self.time_limit = time_limit
        self.queued: dict[str, deque[tuple[float, dramatiq.Message]]] = {name: deque() for name in handlers}
        """Per actor: (when it was queued, ``time.time()``; the message), first in first out."""
        self.running: dict[str, int] = dict.fromkeys(handlers, 0)
        self.backlog = 0
        """The work the queues hold: a message counts once per id when its first argument is a
        list of ids (an import batch), else once."""
        self.tasks: set[asyncio.Task[None]] = set()
        self.timers: set[asyncio.TimerHandle] = set()
        self.stopping = False
        self._loop_thread = threading.get_ident() if loop.is_running() else None

    def accept(self, message: dramatiq.Message, delay: int | None) -> None:
        """Take a message from any thread: run it now (or once ``delay`` ms have passed)."""
        if self._loop_thread is not None and threading.get_ident() == self._loop_thread:
            self._arrive(message, delay)
        else:
            self.loop.call_soon_threadsafe(self._arrive, message, delay)

    def _arrive(self, message: dramatiq.Message, delay: int | None) -> None:
        if self.stopping:
            return
        if not delay:
            self._queue(message)
            return

        def due() -> None:
            self.timers.discard(timer)
            self._queue(message)

        timer = self.loop.call_later(delay / 1000, due)
        self.timers.add(timer)

    def _queue(self, message: dramatiq.Message) -> None:
        name = message.actor_name
        if name not in self.handlers:
            log.error("no actor %r in this process; dropped message %s", name, message.message_id)
            return
        self.queued[name].append((time.time(), message))
        self.backlog += _weight(message)
        self._start_what_fits(name)

    def _start_what_fits(self, name: str) -> None:
        queue = self.queued[name]
        while queue and self.running[name] < self.limits[name] and not self.stopping:
            _, message = queue.popleft()
            self.backlog -= _weight(message)
            self.running[name] += 1
            task = self.loop.create_task(self._run(message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _run(self, message: dramatiq.Message) -> None:
        name = message.actor_name
        try:
            async with asyncio.timeout(self.time_limit):
                await self.handlers[name](*message.args, **message.kwargs)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.error("actor %s ran over its time limit of %.0f s on message %s", name, self.time_limit, message.message_id)
        except Exception:
            log.exception("actor %s failed on message %s (args %r)", name, message.message_id, message.args)
        finally:
            self.running[name] -= 1
            self._start_what_fits(name)

    def waiting(self) -> int:
        return self.backlog

    def oldest_waiting(self) -> float | None:
        heads = [q[0][0] for q in self.queued.values() if q]
        return min(heads) if heads else None

    async def stop(self, timeout: float) -> None:
        """Run nothing new; give the running actors ``timeout`` seconds, then cancel them."""
        self.stopping = True
        for timer in self.timers:
            timer.cancel()
        for queue in self.queued.values():
            queue.clear()
        self.backlog = 0
        if self.tasks:
            _, late = await asyncio.wait(set(self.tasks), timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)

    def attach(self, broker: InProcessBroker) -> None:
        """Be ``broker``'s worker from now on (call on the loop's thread)."""
        self._loop_thread = threading.get_ident()
        broker.worker = self

