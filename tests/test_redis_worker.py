"""The production worker on real Redis: actors on the loop, acknowledged after they finish (by the
consumer thread), failures to the dead-letter queue, delayed messages once due, unstarted ones back on stop."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator

import dramatiq
import pytest
from connect_hub.broker import enqueue_all
from connect_hub.redis_worker import RedisLoopWorker
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer

QUEUE = "q"


@pytest.fixture
async def broker(redis_url: str) -> AsyncIterator[RedisBroker]:
    broker = RedisBroker(url=redis_url, namespace=f"test-redis-worker-{uuid.uuid4().hex[:8]}", middleware=[])
    yield broker
    for key in broker.client.keys(f"{broker.namespace}*"):
        broker.client.delete(key)
    broker.close()


def start(broker: RedisBroker, handlers: dict, limits: dict | None = None) -> tuple[RedisLoopWorker, dict]:
    actors = {name: dramatiq.actor(fn, actor_name=name, broker=broker, queue_name=QUEUE) for name, fn in handlers.items()}
    worker = RedisLoopWorker(broker, QUEUE, asyncio.get_running_loop(), handlers, limits=limits or {}, default_limit=2,
                             time_limit=5, poll_ms=20)
    worker.start()
    return worker, actors


def unacked(broker: RedisBroker) -> int:
    return sum(broker.client.scard(key) for key in broker.client.keys(f"{broker.namespace}:__acks__.*"))


def dead_letters(broker: RedisBroker) -> int:
    return broker.client.zcard(f"{broker.namespace}:{QUEUE}.XQ")


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_actors_run_on_the_loop_at_most_their_limit_and_each_message_is_acknowledged_after(broker: RedisBroker) -> None:
    running, most, threads, finished = 0, 0, set(), []

    async def export(n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        threads.add(threading.get_ident())
        await asyncio.sleep(0.05)
        running -= 1
        finished.append(n)

    worker, actors = start(broker, {"export": export}, limits={"export": 3})
    for n in range(9):
        actors["export"].send(n)
    await until(lambda: len(finished) == 9)
    await until(lambda: unacked(broker) == 0)
    await worker.stop(timeout=2)
    assert sorted(finished) == list(range(9))
    assert most == 3
    assert threads == {threading.get_ident()}
    assert dead_letters(broker) == 0


async def test_a_failing_actor_rejects_its_message_and_the_next_one_runs(broker: RedisBroker) -> None:
    ran: list[int] = []

    async def work(n: int) -> None:
        if n == 1:
            raise RuntimeError("boom")
        ran.append(n)

    worker, actors = start(broker, {"work": work})
    actors["work"].send(1)
    actors["work"].send(2)
    await until(lambda: ran == [2] and dead_letters(broker) == 1)
    await worker.stop(timeout=2)
    assert unacked(broker) == 0


async def test_a_delayed_message_runs_once_it_is_due(broker: RedisBroker) -> None:
    ran: list[float] = []
    loop = asyncio.get_running_loop()

    async def later() -> None:
        ran.append(loop.time())

    worker, actors = start(broker, {"later": later})
    sent = loop.time()
    actors["later"].send_with_options(delay=400)
    await until(lambda: ran)
    await worker.stop(timeout=2)
    assert ran[0] - sent >= 0.35
    assert unacked(broker) == 0


async def test_stop_lets_running_actors_finish_and_puts_the_unstarted_back_on_the_queue(broker: RedisBroker) -> None:
    started, finished = [], []

    async def slow(n: int) -> None:
        started.append(n)
        await asyncio.sleep(0.3)
        finished.append(n)

    async def other() -> None:
        pass

    worker, actors = start(broker, {"slow": slow, "other": other}, limits={"slow": 1, "other": 2})
    assert worker.prefetch == 3
    for n in range(5):
        actors["slow"].send(n)
    await until(lambda: started)
    await until(lambda: broker.client.llen(f"{broker.namespace}:{QUEUE}") == 2)  # three fetched, one runs
    assert worker.waiting() == 2
    await worker.stop(timeout=2)
    assert finished == started == [0]
    assert broker.client.llen(f"{broker.namespace}:{QUEUE}") == 4  # the two unstarted back with the two not fetched
    assert unacked(broker) == 0


async def test_messages_enqueued_together_in_one_round_trip_each_run_once(broker: RedisBroker) -> None:
    ran: list[int] = []

    async def work(n: int) -> None:
        ran.append(n)

    worker, actors = start(broker, {"work": work})
    enqueue_all(broker, [actors["work"].message(n) for n in range(5)])
    await until(lambda: sorted(ran) == list(range(5)))
    await worker.stop(timeout=2)
    assert unacked(broker) == 0 and broker.client.llen(f"{broker.namespace}:{QUEUE}") == 0


async def test_every_ack_and_nack_is_made_by_the_consumer_thread_of_its_queue_never_by_the_loop(
        broker: RedisBroker, monkeypatch: pytest.MonkeyPatch) -> None:
    settled_on: list[tuple[str, str, str]] = []
    for verb in ("ack", "nack"):
        original = getattr(_RedisConsumer, verb)

        def recording(consumer: _RedisConsumer, message: dramatiq.MessageProxy, original=original, verb=verb) -> None:
            settled_on.append((verb, consumer.queue_name, threading.current_thread().name))
            original(consumer, message)

        monkeypatch.setattr(_RedisConsumer, verb, recording)
    ran: list[int] = []

    async def work(n: int) -> None:
        if n == 0:
            raise RuntimeError("boom")
        ran.append(n)

    worker, actors = start(broker, {"work": work})
    for n in range(4):
        actors["work"].send(n)
    actors["work"].send_with_options(args=(4,), delay=100)
    await until(lambda: sorted(ran) == [1, 2, 3, 4] and dead_letters(broker) == 1 and unacked(broker) == 0)
    await worker.stop(timeout=2)
    assert sorted(settled_on) == sorted([("nack", QUEUE, f"consumer {QUEUE}")]
                                        + [("ack", QUEUE, f"consumer {QUEUE}")] * 4
                                        + [("ack", f"{QUEUE}.DQ", f"consumer {QUEUE}.DQ")])
    assert threading.current_thread().name not in {thread for _, _, thread in settled_on}


async def test_a_message_finished_after_the_consumer_stopped_fetching_is_still_acknowledged_on_stop(
        broker: RedisBroker) -> None:
    release = asyncio.Event()
    finished: list[int] = []

    async def work(n: int) -> None:
        await release.wait()
        finished.append(n)

    worker, actors = start(broker, {"work": work})
    actors["work"].send(1)
    await until(lambda: worker.started)
    stopping = asyncio.create_task(worker.stop(timeout=2))
    await until(worker.handed_over.is_set)  # the consumer thread fetches nothing more
    release.set()
    await stopping
    assert finished == [1]
    assert not any(thread.is_alive() for thread in worker.threads)  # the consumer thread ended, not timed out
    # Acknowledged: no fetched-but-unacknowledged id for maintenance to re-queue, the message gone.
    assert unacked(broker) == 0
    assert broker.client.hlen(f"{broker.namespace}:{QUEUE}.msgs") == 0
    assert broker.client.llen(f"{broker.namespace}:{QUEUE}") == 0
    assert dead_letters(broker) == 0
