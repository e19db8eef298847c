"""The in-process broker's worker: actors run on the event loop, a bounded number at a time."""

from __future__ import annotations

import asyncio
import logging
import threading

import dramatiq
import pytest
from connect_hub.loop_worker import InProcessBroker, LoopWorker


def worker_with(handlers: dict, limits: dict | None = None, default_limit: int = 2) -> tuple[InProcessBroker, LoopWorker, dict]:
    broker = InProcessBroker(middleware=[])
    worker = LoopWorker(asyncio.get_running_loop(), handlers, limits=limits or {}, default_limit=default_limit, time_limit=5)
    worker.attach(broker)
    actors = {name: dramatiq.actor(fn, actor_name=name, broker=broker, queue_name="q") for name, fn in handlers.items()}
    return broker, worker, actors


async def test_actors_run_on_the_loop_thread_at_most_their_limit_at_a_time() -> None:
    running, most, threads = 0, 0, set()
    done = asyncio.Event()
    finished = 0

    async def export(n: int) -> None:
        nonlocal running, most, finished
        running += 1
        most = max(most, running)
        threads.add(threading.get_ident())
        await asyncio.sleep(0.02)
        running -= 1
        finished += 1
        if finished == 12:
            done.set()

    broker, _, actors = worker_with({"export": export}, limits={"export": 3})
    for n in range(12):
        actors["export"].send(n)
    assert broker.backlog() == 9  # three run, nine wait
    await asyncio.wait_for(done.wait(), 5)
    assert most == 3
    assert threads == {threading.get_ident()}
    assert broker.backlog() == 0 and broker.oldest_waiting() is None


async def test_a_message_sent_from_another_thread_runs_on_the_loop() -> None:
    ran: list[int] = []
    done = asyncio.Event()

    async def work(n: int) -> None:
        ran.append(threading.get_ident())
        done.set()

    _, _, actors = worker_with({"work": work})
    await asyncio.get_running_loop().run_in_executor(None, actors["work"].send, 1)
    await asyncio.wait_for(done.wait(), 5)
    assert ran == [threading.get_ident()]


async def test_a_delayed_message_runs_once_it_is_due() -> None:
    loop = asyncio.get_running_loop()
    ran: list[float] = []
    done = asyncio.Event()

    async def retry(n: int) -> None:
        ran.append(loop.time())
        done.set()

    _, worker, actors = worker_with({"retry": retry})
    sent = loop.time()
    actors["retry"].send_with_options(args=(1,), delay=200)
    assert worker.waiting() == 0  # held, not waiting for a slot
    await asyncio.wait_for(done.wait(), 5)
    assert ran[0] - sent >= 0.19


async def test_a_failing_actor_is_logged_and_the_next_message_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []
    done = asyncio.Event()

    async def flaky(n: int) -> None:
        seen.append(n)
        if n == 1:
            raise RuntimeError("store away")
        done.set()

    _, _, actors = worker_with({"flaky": flaky}, default_limit=1)
    with caplog.at_level(logging.ERROR, logger="connect_hub.loop_worker"):
        actors["flaky"].send(1)
        actors["flaky"].send(2)
        await asyncio.wait_for(done.wait(), 5)
    assert seen == [1, 2]
    assert "actor flaky failed" in caplog.text and "store away" in caplog.text


async def test_stop_lets_running_actors_finish_and_runs_nothing_queued() -> None:
    started, finished = [], []

    async def slow(n: int) -> None:
        started.append(n)
        await asyncio.sleep(0.1)
        finished.append(n)

    _, worker, actors = worker_with({"slow": slow}, default_limit=1)
    for n in range(3):
        actors["slow"].send(n)
    await asyncio.sleep(0.01)
    await worker.stop(timeout=2)
    assert started == finished == [0]


async def test_the_backlog_counts_a_batch_of_ids_as_that_many_messages() -> None:
    release = asyncio.Event()

    async def import_events(ids: list[int]) -> None:
        await release.wait()

    broker, _, actors = worker_with({"import_events": import_events}, limits={"import_events": 1})
    actors["import_events"].send([1, 2])  # runs (and waits)
    actors["import_events"].send([3, 4, 5])
    actors["import_events"].send([6])
    assert broker.backlog() == 4  # what pacing compares with its limit: events, not messages
    release.set()
    for _ in range(50):
        if broker.backlog() == 0:
            break
        await asyncio.sleep(0.01)
    assert broker.backlog() == 0
