"""The sweeper re-sends work that lost its message, and never work merely waiting in the queue."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from connect_hub import scheduler
from connect_hub.broker import QUEUE, make_broker, oldest_waiting
from connect_hub.config import parse_config
from connect_hub.pipeline import importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.pipeline.sweeper import Resent, Stale, find_stale
from connect_hub.runtime import Runtime
from connect_hub.store.models import Event
from support import ENV, account_yaml


async def test_pending_work_is_stale_only_beyond_the_backlogs_wait(tmp_path: Path) -> None:
    from connect_hub.store.database import close_store, open_store

    await open_store(f"sqlite://{tmp_path}/store.db", apply_migrations=True)
    try:
        event_id = await store_event("acme", "shop", "order.updated", {}, b"{}")
        await Event.filter(id=event_id).update(received_at=datetime.now(UTC) - timedelta(seconds=60))
        assert (await find_stale("acme", 30)).events == [event_id]
        assert (await find_stale("acme", 30, backlog_age=45)).events == []  # its message may still wait
        started = datetime.now(UTC) - timedelta(seconds=10)
        assert (await find_stale("acme", 3600, forgotten_before=started)).events == [event_id]  # queue gone
    finally:
        await close_store()


def test_what_the_sweeper_re_sent_it_trusts_for_a_while() -> None:
    resent = Resent()
    assert resent.fresh(Stale(events=[1, 2], deliveries=[7]), trust_for=0.2) == Stale(events=[1, 2], deliveries=[7])
    assert resent.fresh(Stale(events=[1, 2, 3], deliveries=[7]), trust_for=0.2) == Stale(events=[3], deliveries=[])
    time.sleep(0.25)
    assert resent.fresh(Stale(events=[1], deliveries=[]), trust_for=0.2) == Stale(events=[1], deliveries=[])


def test_the_redis_broker_tells_how_long_its_oldest_message_has_waited(redis_url: str) -> None:
    broker = make_broker(redis_url, namespace=f"sweeper-{uuid.uuid4().hex[:8]}")
    actor = dramatiq.actor(lambda n: None, actor_name="import_event", broker=broker, queue_name=QUEUE)
    try:
        assert oldest_waiting(broker) is None
        actor.send(1)
        time.sleep(0.2)
        actor.send(2)
        waited = time.time() - (oldest_waiting(broker) or 0)
        assert 0.2 <= waited < 5
    finally:
        broker.flush_all()
        broker.close()


@pytest.fixture
def blocked_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An embedded runtime whose imports wait until ``release`` is set; ``imported`` lists them."""
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url="http://127.0.0.1:9")
    text = text.replace("sweeper: {interval: 0.5, stale_after: 1.5}", "sweeper: {interval: 0.5, stale_after: 0.3}")
    text = text.replace("service:", "workers: {threads: 1}\nservice:")
    rt = Runtime(parse_config(text, file=str(tmp_path / "account.yaml"), environ=ENV), migrate=True)
    rt.imported, rt.release = [], None

    async def import_events(account: Any, event_ids: list[int]) -> importing.Imported:
        await rt.release.wait()
        rt.imported.extend(event_ids)
        await Event.filter(id__in=event_ids).update(state="done")
        return importing.Imported()

    monkeypatch.setattr(importing, "import_events", import_events)
    rt.start()
    rt.release = rt.run(_event())
    rt.start_workers()
    yield rt
    rt.loop_thread.loop.call_soon_threadsafe(rt.release.set)
    rt.stop()


async def _event() -> asyncio.Event:
    return asyncio.Event()


def test_the_sweeper_re_sends_nothing_merely_queued_and_a_lost_message_once_the_queue_is_through(blocked_runtime: Any) -> None:
    rt = blocked_runtime
    queued = [rt.run(store_event("acme", "shop", "order.updated", {}, b"{}")) for _ in range(5)]
    for event_id in queued:
        rt.actors.send_import(event_id)
    lost = rt.run(store_event("acme", "shop", "order.updated", {}, b"{}"))  # stored, its message never sent
    time.sleep(1.0)  # every event is now older than stale_after, the queued ones still wait
    assert rt.run(scheduler.sweep_once(rt)) == (0, 0)
    rt.loop_thread.loop.call_soon_threadsafe(rt.release.set)
    deadline = time.monotonic() + 10
    while sorted(rt.imported) != queued and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)  # the queue is empty: the lost event is now stale beyond any wait
    assert rt.run(scheduler.sweep_once(rt)) == (1, 0)
    while lost not in rt.imported and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(rt.imported) == sorted([*queued, lost])  # each once
    assert rt.run(scheduler.sweep_once(rt)) == (0, 0)


def test_an_embedded_hub_restarted_after_a_crash_takes_up_what_the_dead_run_was_importing_at_once(tmp_path: Path) -> None:
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url="http://127.0.0.1:9")
    rt = Runtime(parse_config(text, file=str(tmp_path / "account.yaml"), environ=ENV), migrate=True)
    rt.start()
    try:
        event_id = rt.run(store_event("acme", "shop", "order.updated", {}, b"{}"))
        before_start = rt.started_at - timedelta(seconds=5)
        rt.run(Event.filter(id=event_id).update(received_at=before_start, lease_until=datetime.now(UTC) + timedelta(minutes=2)))
        assert rt.run(find_stale("acme", 3600, forgotten_before=rt.started_at)).events == []  # the dead run's lease

        rt.start_workers()

        assert rt.run(find_stale("acme", 3600, forgotten_before=rt.started_at)).events == [event_id]
    finally:
        rt.stop()

