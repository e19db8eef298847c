"""Events imported together (a webhook group, a polled page): one event's trouble stays its own.

On SQLite and on a real PostgreSQL. A batch is one transaction; when anything in it raises, it
is undone and its events are imported one at a time, so what is asserted here is the end state
a merchant sees: the good events done with their deliveries, the bad one failed with a reason,
nothing half-written, every try counted once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from connect_hub.account import Account, build_account
from connect_hub.config import parse_config
from connect_hub.pipeline import importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store import rows
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, Event, LedgerEntry, Link, Record
from support import ENV, SAMPLES, account_yaml, order_body
from tortoise.transactions import in_transaction

BILLING = json.loads(json.loads((SAMPLES / "0013-order_updated.json").read_text())["body_raw"])["billing"]


def make_account() -> Account:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    return build_account(parse_config(text, environ=ENV), Plugins.load())


async def orders(account: Account, numbers: list[int]) -> list[int]:
    return [
        await store_event(account.name, "shop", "order.updated", {}, order_body(id=n, number=str(n)))
        for n in numbers
    ]


async def states(ids: list[int]) -> list[tuple[str, int]]:
    return [(e.state, e.attempts) for e in await Event.filter(id__in=ids).order_by("id")]


async def test_a_batch_of_orders_is_imported_with_one_delivery_each_and_every_try_counted_once(store: str) -> None:
    account = make_account()
    ids = await orders(account, list(range(100, 105)))
    imported = await importing.import_events(account, ids)
    assert len(imported.deliveries) == 5 and not imported.deferred and not imported.crashes
    assert await states(ids) == [("done", 1)] * 5
    assert await Record.filter(account=account.name, data_type="orders").count() == 5
    assert await importing.import_events(account, ids) == importing.Imported()  # done is done


async def test_an_event_its_connector_cannot_read_fails_alone_and_the_rest_of_its_batch_is_imported(store: str) -> None:
    account = make_account()
    [first, second] = await orders(account, [200, 201])
    broken = await store_event(account.name, "shop", "order.updated", {}, b'{"id": 5, "line_items": "garbage"')
    imported = await importing.import_events(account, [first, broken, second])
    assert len(imported.deliveries) == 2
    assert await states([first, second]) == [("done", 1)] * 2
    event = await Event.get(id=broken)
    assert event.state == "failed" and event.last_error and f"event {broken}" in event.last_error


async def test_a_merge_that_raises_undoes_only_its_own_event_which_fails_with_the_order_named(
    store: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account()
    ids = await orders(account, [300, 301, 302])
    real_plan = importing.plan_deliveries

    async def plan(account: Account, record: Record, *args: Any, **kwargs: Any) -> list[int]:
        if record.key == "order:shop-301":  # after the record, its ledger entry and its link are written
            raise RuntimeError("the routing broke")
        return await real_plan(account, record, *args, **kwargs)

    monkeypatch.setattr(importing, "plan_deliveries", plan)
    imported = await importing.import_events(account, ids)
    assert len(imported.deliveries) == 2 and not imported.crashes
    assert await states(ids) == [("done", 1), ("failed", 1), ("done", 1)]
    failed = await Event.get(id=ids[1])
    assert failed.last_error and "shop-301" in failed.last_error and "the routing broke" in failed.last_error
    # nothing of the failed merge was kept: no record, no link, no ledger entry, no delivery
    assert not await Record.filter(account=account.name, key="order:shop-301").exists()
    assert not await Link.filter(account=account.name, data_type="orders", external_id="301").exists()
    assert not await LedgerEntry.filter(account=account.name, event_id=ids[1]).exists()
    assert not await Delivery.filter(account=account.name, event_id=ids[1]).exists()

    monkeypatch.setattr(importing, "plan_deliveries", real_plan)  # the cause is fixed: a replay imports it
    await Event.filter(id=ids[1]).update(state="pending", last_error=None)
    assert len(await importing.import_event(account, ids[1])) == 1


async def test_an_event_of_the_batch_another_worker_holds_is_left_to_it(store: str) -> None:
    account = make_account()
    ids = await orders(account, [400, 401, 402])
    assert await importing._claim(account, ids[1]) is not None  # another worker is at it
    imported = await importing.import_events(account, ids)
    assert len(imported.deliveries) == 2
    assert await states(ids) == [("done", 1), ("pending", 1), ("done", 1)]


async def test_a_crash_in_a_batch_is_counted_once_frees_its_event_and_spares_the_others(
    store: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account()
    ids = await orders(account, [500, 501, 502])
    real_finish = importing._finish

    async def finish(event: Event, *args: Any, **kwargs: Any) -> None:
        if event.id == ids[1]:
            raise RuntimeError("a defect after the merge")
        await real_finish(event, *args, **kwargs)

    monkeypatch.setattr(importing, "_finish", finish)
    monkeypatch.setattr(importing.rows, "finish_events", _finish_one_by_one(finish))
    imported = await importing.import_events(account, ids)
    assert [event_id for event_id, _ in imported.crashes] == [ids[1]]
    assert await states(ids) == [("done", 1), ("pending", 1), ("done", 1)]
    crashed = await Event.get(id=ids[1])
    assert crashed.lease_until is None, "free for the sweeper at once"
    assert not await Record.filter(account=account.name, key="order:shop-501").exists()


def _finish_one_by_one(finish: Any) -> Any:
    async def finish_events(event_ids: list[int], state: Any, message: Any, connection: Any = None) -> None:
        for event in await Event.filter(id__in=event_ids):
            await finish(event, state, message)

    return finish_events


@pytest.fixture
async def postgres_store(postgres: str) -> AsyncIterator[None]:
    await open_store(postgres, apply_migrations=True)
    yield
    await close_store()


async def test_a_returning_customers_order_never_waits_for_a_lock_on_her_unchanged_contact(postgres_store: None) -> None:
    account = make_account()
    [first, second, third] = await orders(account, [600, 601, 602])
    assert len(await importing.import_event(account, first)) == 1
    [contact] = await Record.filter(account=account.name, data_type="contacts")
    held, release = asyncio.Event(), asyncio.Event()

    async def another_batch_holding_her_contact() -> None:
        async with in_transaction():
            await rows.record_by_id(contact.id, for_update=True)
            held.set()
            await release.wait()

    holder = asyncio.create_task(another_batch_holding_her_contact())
    await held.wait()
    try:  # her contact is the same on this order: it is imported while the lock is held
        assert len(await asyncio.wait_for(importing.import_event(account, second), 10)) == 1
        # a changed contact waits for the lock, then is merged on what the lock holder left
        changed = await store_event(account.name, "shop", "order.updated", {}, order_body(
            id=603, number="603", billing={**BILLING, "phone": "+49 30 999999"}))
        waiting = asyncio.create_task(importing.import_event(account, changed))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "a merge that changes the record takes its lock"
    finally:
        release.set()
        await holder
    assert len(await asyncio.wait_for(waiting, 10)) >= 1
    assert len(await importing.import_event(account, third)) == 1
    await contact.refresh_from_db()
    assert contact.version == 2 and contact.data["phone"] == "+49 30 999999"


async def test_one_orders_webhooks_in_one_batch_reordered_duplicated_and_in_one_second_end_on_the_latest(store: str) -> None:
    account = make_account()

    def version(status: str, total: str, modified: str) -> bytes:
        return order_body(id=800, number="800", status=status, total=total,
                          date_modified=modified, date_modified_gmt=modified)

    later = version("completed", "30.00", "2026-11-27T22:20:00")
    ids = [await store_event(account.name, "shop", "order.updated", {}, body) for body in (
        later,                                              # the later edit arrives first
        version("processing", "12.50", "2026-11-27T22:13:56"),  # then the original order, older
        later,                                              # and the later edit again
    )]
    same_second = [await store_event(account.name, "shop", "order.updated", {}, version(status, "30.00", "2026-11-27T22:20:00"))
                   for status in ("on-hold", "cancelled")]  # two edits within that same second, in this order
    imported = await importing.import_events(account, ids + same_second)
    assert await states(ids + same_second) == [("done", 1)] * 5
    [record] = await Record.filter(account=account.name, data_type="orders")
    assert record.data["status"] == "cancelled", "of one second's edits, the one that came in last stands"
    assert record.version == 3  # created, then the two edits of the same second; the older and the duplicate change nothing
    planned = await Delivery.filter(id__in=imported.deliveries).order_by("version")
    assert [d.version for d in planned] == [1, 2, 3]


async def test_a_batchs_ledger_keeps_each_events_outcome_in_order_with_the_version_it_saw(store: str) -> None:
    """The batch's entries are written together at its end: each as its record was when noted."""
    account = make_account()

    def version(status: str, modified: str) -> bytes:
        return order_body(id=801, number="801", status=status, date_modified=modified, date_modified_gmt=modified)

    later = version("completed", "2026-11-27T22:20:00")
    ids = [await store_event(account.name, "shop", "order.updated", {}, body) for body in (
        later, version("processing", "2026-11-27T22:13:56"), later,
        version("on-hold", "2026-11-27T22:20:00"), version("cancelled", "2026-11-27T22:20:00"),
    )]
    await importing.import_events(account, ids)
    [record] = await Record.filter(account=account.name, data_type="orders")
    entries = await LedgerEntry.filter(record_id=record.id).order_by("id")
    assert [(e.event_id, e.outcome, e.version) for e in entries] == [
        (ids[0], "created", 1), (ids[1], "older", 1), (ids[2], "unchanged", 1), (ids[3], "updated", 2), (ids[4], "updated", 3),
    ]
    assert [e.data["status"] if e.data else None for e in entries] == ["completed", None, None, "on_hold", "cancelled"]


async def test_a_value_the_canonical_model_refuses_fails_its_event_naming_the_field_without_a_traceback(
    store: str, caplog: pytest.LogCaptureFixture,
) -> None:
    account = make_account()
    data = json.loads(order_body(id=802, number="802"))
    data["line_items"][0]["quantity"] = 10**20  # more than any store keeps exactly
    bad = await store_event(account.name, "shop", "order.updated", {}, json.dumps(data).encode())
    [good] = await orders(account, [803])
    await importing.import_events(account, [bad, good])
    failed, done = await Event.get(id=bad), await Event.get(id=good)
    assert (failed.state, done.state) == ("failed", "done")
    assert f"event {bad} (order.updated) from shop: the OrderLine it holds is invalid: quantity: " in failed.last_error
    assert "less than or equal to 9223372036854775807 (it was 100000000000000000000)" in failed.last_error
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info], "no defect logged"


async def test_the_events_of_a_batch_that_end_with_the_same_note_end_in_one_statement_each_with_its_note(
    store: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bench's account (and many a shop's): contacts are not imported, and every order says so;
    an order the hub cannot map ends with its own reason beside them."""
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    text = text.replace("    preset: shop-with-efulfillment\n", "    preset: shop-with-efulfillment\n    flows: {contacts: {import: false}}\n", 1)
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    finished: list[tuple[list[int], str | None]] = []
    finish_events = rows.finish_events

    async def recorded(event_ids: list[int], state: Any, message: str | None, connection: Any = None) -> None:
        finished.append((list(event_ids), message))
        await finish_events(event_ids, state, message, connection)

    monkeypatch.setattr(rows, "finish_events", recorded)
    ids = await orders(account, [900, 901, 902])
    draft = await store_event(account.name, "shop", "order.updated", {}, order_body(id=903, number="903", status="draft"))
    imported = await importing.import_events(account, [*ids, draft])
    note = "contacts from shop is not imported (manifest/preset)"
    assert len(imported.deliveries) == 3
    assert [(e.id, e.state, e.last_error) for e in await Event.filter(id__in=ids).order_by("id")] == [(i, "done", note) for i in ids]
    assert finished[0] == (ids, note), "the three with the same note, in one statement"
    failed = await Event.get(id=draft)
    assert failed.state == "failed" and "has the status 'draft', which has no hub status" in failed.last_error, "it ends with its own"
