"""Polls stored page by page with their cursor, batched exports coalesced per record, notices."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from connect_hub import hookimpl
from connect_hub.account import Account, build_account
from connect_hub.canonical import Stock
from connect_hub.config import parse_config
from connect_hub.contracts import ExportResult, Incoming, Notice, PolledItem, PollPage
from connect_hub.errors import PermanentError, TransientError
from connect_hub.manifest import DataType, Direction, Flow, Manifest
from connect_hub.pipeline import exporting, importing, maintenance, polling
from connect_hub.plugins import Plugins
from connect_hub.store import rows
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Cursor, Delivery, Event
from connect_hub.store.models import Notice as NoticeRow


class Stockist:
    """A connector that reports stock by polling, and one that takes stock in batches."""

    def __init__(self, pages: list[list[tuple[str, int]]], fail_after: int | None = None):
        self.pages = pages
        self.fail_after = fail_after
        self.batches: list[list[tuple[str, int]]] = []
        self.cursors_seen: list[str | None] = []

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(name="stockist", title="Stockist", flows=(
            Flow(data_type=DataType.STOCKS, direction=Direction.IMPORT, timeframe="5m"),
            Flow(data_type=DataType.STOCKS, direction=Direction.EXPORT, batch_size=2),
        ))

    @hookimpl
    def hub_poll(self, integration, data_type, cursor):
        self.cursors_seen.append(cursor)
        return self._pages(int(cursor or 0))

    async def _pages(self, start: int) -> AsyncIterator[PollPage]:
        for number, page in enumerate(self.pages[start:], start=start + 1):
            if self.fail_after is not None and number > self.fail_after:
                raise TransientError("the API went away")
            yield PollPage(items=[PolledItem(topic="stock.updated", body=json.dumps({"sku": s, "qty": q}).encode()) for s, q in page], cursor=str(number))

    @hookimpl
    def hub_webhook_parse(self, integration, event):
        data = json.loads(event.body)
        return [Incoming(obj=Stock(sku=data["sku"], quantity=data["qty"]), external_id=data["sku"])]

    @hookimpl
    async def hub_export_batch(self, integration, requests):
        self.batches.append([(r.obj.sku, r.obj.quantity) for r in requests])
        return [PermanentError("no such SKU") if r.obj.sku == "BAD" else TransientError("busy", retry_after=5) if r.obj.sku == "SLOW" else ExportResult(external_id=r.obj.sku) for r in requests]

    @hookimpl
    def hub_maintain(self, integration):
        return [Notice(kind="webhook_recreated", message="re-created the disabled webhook stock.updated")]


def make_account(connector: Stockist) -> Account:
    text = f"""
account: t-{uuid.uuid4().hex[:10]}
integrations:
  source: {{connector: stockist}}
  target: {{connector: stockist}}
"""
    return build_account(parse_config(text), Plugins.load(extra=[("stockist", connector)]))


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[None]:
    url = f"sqlite://{tmp_path}/s.db" if request.param == "sqlite" else request.getfixturevalue("postgres")
    await open_store(url, apply_migrations=True)
    yield
    await close_store()


async def test_a_poll_stores_every_item_as_an_event_and_keeps_its_cursor(store) -> None:
    connector = Stockist([[("A", 1), ("B", 2)], [("C", 3)]])
    account = make_account(connector)
    woken: list[int] = []
    assert ("source", DataType.STOCKS) in await polling.due_polls(account)
    assert await polling.run_poll(account, "source", DataType.STOCKS, woken.extend) == 3
    assert len(woken) == 3 and await Event.filter(account=account.name).count() == 3
    cursor = await Cursor.get(account=account.name, integration="source")
    assert cursor.position == "2" and cursor.polled_at is not None and cursor.lease_until is None
    assert ("source", DataType.STOCKS) not in await polling.due_polls(account)


async def test_a_page_larger_than_one_insert_stores_each_item_as_its_own_event_and_wakes_its_id(store) -> None:
    items = [(f"SKU-{n}", n) for n in range(2 * rows.INSERT_MANY_ROWS + 3)]
    connector = Stockist([items[:7], items[7:]])
    account = make_account(connector)
    woken: list[int] = []
    assert await polling.run_poll(account, "source", DataType.STOCKS, woken.extend) == len(items)
    events = await Event.filter(account=account.name).order_by("id")
    assert sorted(woken) == [e.id for e in events] and len(set(woken)) == len(items)
    assert [json.loads(e.body) for e in events] == [{"sku": s, "qty": q} for s, q in items]
    assert all(e.state == "pending" and e.attempts == 0 and e.received_at is not None and e.headers == {"x-hub-source": "poll"} for e in events)


async def test_a_poll_that_fails_midway_resumes_after_the_last_stored_page(store) -> None:
    connector = Stockist([[("A", 1)], [("B", 2)], [("C", 3)]], fail_after=1)
    account = make_account(connector)
    assert await polling.run_poll(account, "source", DataType.STOCKS, lambda _: None) == 1
    cursor = await Cursor.get(account=account.name, integration="source")
    assert cursor.position == "1" and "went away" in cursor.last_error
    connector.fail_after = None
    assert await polling.run_poll(account, "source", DataType.STOCKS, lambda _: None) == 2
    assert connector.cursors_seen == [None, "1"]


async def test_small_pages_are_woken_a_whole_import_batch_at_a_time_and_the_rest_when_the_poll_ends(store) -> None:
    batch = importing.IMPORT_BATCH
    pages = [[(f"V-{p}-{n}", n) for n in range(3)] for p in range(batch)]  # a catalogue's variation pages: 3 items each
    connector = Stockist(pages)
    account = make_account(connector)
    calls: list[list[int]] = []
    assert await polling.run_poll(account, "source", DataType.STOCKS, calls.append) == 3 * batch
    events = [e.id for e in await Event.filter(account=account.name).order_by("id")]
    assert [len(c) for c in calls] == [batch, batch, batch] and [i for c in calls for i in c] == events


async def test_a_poll_that_fails_midway_still_wakes_what_it_stored(store) -> None:
    connector = Stockist([[("A", 1)], [("B", 2)], [("C", 3)]], fail_after=2)
    account = make_account(connector)
    calls: list[list[int]] = []
    assert await polling.run_poll(account, "source", DataType.STOCKS, calls.append) == 2
    assert calls == [[e.id for e in await Event.filter(account=account.name).order_by("id")]]


async def test_batched_exports_send_the_latest_figure_per_sku_and_settle_each_item(store) -> None:
    connector = Stockist([])
    account = make_account(connector)
    ids = []
    for sku, quantity in [("A", 5), ("A", 4), ("A", 3), ("BAD", 1), ("SLOW", 2)]:
        ids += await importing.merge(account, "source", Incoming(Stock(sku=sku, quantity=quantity), sku), None)
    outcomes = await exporting.export_delivery(account, ids[0])
    assert connector.batches == [[("A", 3), ("BAD", 1)]]  # batch_size 2, latest figure of A only
    states = {o.delivery_id: o.state for o in outcomes}
    assert states[ids[0]] == "skipped" and states[ids[1]] == "skipped"  # coalesced / superseded
    assert states[ids[2]] == "done" and states[ids[3]] == "failed"
    assert states[ids[4]] == "pending"  # over the batch size: right back to pending
    assert (await Delivery.get(id=ids[4])).attempts == 0
    retry = await exporting.export_delivery(account, ids[4])
    assert connector.batches[-1] == [("SLOW", 2)] and retry[0].retry_in == 5


async def test_maintenance_notices_are_kept_for_status(store) -> None:
    account = make_account(Stockist([]))
    await maintenance.maintain(account, "source")
    [notice] = await NoticeRow.filter(account=account.name)
    assert notice.kind == "webhook_recreated" and "disabled webhook" in notice.message
