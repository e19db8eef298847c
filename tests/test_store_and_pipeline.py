"""The store and the pipeline functions, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from connect_hub.account import Account, build_account
from connect_hub.canonical import Contact, Order, OrderLine
from connect_hub.config import parse_config
from connect_hub.contracts import ExportResult, Incoming
from connect_hub.pipeline import exporting, importing, replay
from connect_hub.pipeline.ingress import kept_headers, store_event
from connect_hub.pipeline.sweeper import find_stale
from connect_hub.plugins import Plugins
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, DeliveryState, Event, Link, Record
from support import ENV, account_yaml, order_body


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path}/store.db"
    else:
        url = request.getfixturevalue("postgres")
    await open_store(url, apply_migrations=True)
    yield request.param
    await close_store()


def make_account(name: str | None = None) -> Account:
    text = account_yaml(account=name or f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    return build_account(parse_config(text, environ=ENV), Plugins.load())


def order(number: str = "7", status: str = "processing", minutes: int = 0, total: str = "10.00") -> Order:
    return Order(
        reference=f"shop-{number}", source="shop", number=number, status=status, currency="EUR",
        total=Decimal(total), lines=[OrderLine(sku="SKU-1", quantity=2)],
        modified_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes),
    )


async def test_a_new_order_creates_a_record_and_one_delivery_to_the_warehouse(store: str) -> None:
    account = make_account()
    ids = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    assert len(ids) == 1
    delivery = await Delivery.get(id=ids[0])
    assert (delivery.integration, delivery.state, delivery.version) == ("warehouse", DeliveryState.PENDING, 1)
    record = await Record.get(id=delivery.record_id)
    assert record.key == "order:shop-7" and record.hash == order().content_hash()


async def test_merging_the_same_content_again_routes_nothing(store: str) -> None:
    account = make_account()
    await importing.merge(account, "shop", Incoming(order(), "7"), None)
    assert await importing.merge(account, "shop", Incoming(order(minutes=1), "7"), None) == []
    assert await Record.filter(account=account.name, data_type="orders").count() == 1


async def test_an_older_version_never_overwrites_a_newer_one(store: str) -> None:
    account = make_account()
    await importing.merge(account, "shop", Incoming(order(minutes=5, total="20.00"), "7"), None)
    assert await importing.merge(account, "shop", Incoming(order(minutes=1, total="99.00"), "7"), None) == []
    record = await Record.get(account=account.name, key="order:shop-7")
    assert record.data["total"] == "20.00" and record.version == 1


async def test_a_newer_version_is_a_new_record_version_with_its_delivery(store: str) -> None:
    account = make_account()
    await importing.merge(account, "shop", Incoming(order(), "7"), None)
    ids = await importing.merge(account, "shop", Incoming(order(minutes=3, status="cancelled"), "7"), None)
    assert len(ids) == 1 and (await Delivery.get(id=ids[0])).version == 2


async def test_accounts_never_see_each_others_records(store: str) -> None:
    first, second = make_account(), make_account()
    await importing.merge(first, "shop", Incoming(order(), "7"), None)
    ids = await importing.merge(second, "shop", Incoming(order(), "7"), None)
    assert len(ids) == 1  # a record of its own, not "same content, nothing to do"
    assert await Record.filter(account=first.name).count() == await Record.filter(account=second.name).count() == 2


async def test_the_hubs_own_write_coming_back_routes_nowhere(store: str) -> None:
    account = make_account()
    contact = Contact(email="ann@example.com", first_name="Ann")
    record = await Record.create(account=account.name, data_type="contacts", key=contact.match_key(), hash=contact.content_hash(), data=contact.model_dump(mode="json"), source="crm")
    await Link.create(account=account.name, integration="shop", data_type="contacts", external_id="41", record_id=record.id, last_export_hash="older")
    changed = Contact(email="ann@example.com", first_name="Anne")
    await Link.filter(account=account.name, integration="shop").update(last_export_hash=changed.content_hash())
    assert await importing.merge(account, "shop", Incoming(changed, "41"), None) == []


async def test_an_event_is_imported_once_however_often_it_runs(store: str) -> None:
    account = make_account()
    event_id = await store_event(account.name, "shop", "order.updated", {}, order_body())
    first = await importing.import_event(account, event_id)
    assert len(first) == 1
    assert await importing.import_event(account, event_id) == []
    event = await Event.get(id=event_id)
    assert event.state == "done"


async def test_an_unmappable_event_is_kept_failed_with_the_reason_and_replays(store: str) -> None:
    account = make_account()
    event_id = await store_event(account.name, "shop", "order.updated", {}, order_body(status="wc-awaiting-pickup"))
    assert await importing.import_event(account, event_id) == []
    event = await Event.get(id=event_id)
    assert event.state == "failed" and "awaiting-pickup" in event.last_error
    assert await replay.replay_event(account.name, event_id)
    assert (await Event.get(id=event_id)).state == "pending"


async def test_only_signature_and_content_headers_are_kept_with_an_event() -> None:
    kept = kept_headers({"authorization": "Basic c2VjcmV0", "cookie": "x", "x-wc-webhook-topic": "order.created", "content-type": "application/json"})
    assert kept == {"x-wc-webhook-topic": "order.created", "content-type": "application/json"}


class FakeExports:
    """Stands in for the connector call only; the store, claim and retry logic are real."""

    def __init__(self, *outcomes: object):
        self.outcomes = list(outcomes)
        self.calls = 0

    async def __call__(self, integration, request):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def test_two_workers_woken_for_one_delivery_export_it_once(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    exports = FakeExports(ExportResult(external_id="WH-1"))
    monkeypatch.setattr(account.plugins, "export", exports)
    assert [o.state for o in await exporting.export_delivery(account, delivery_id)] == ["done"]
    assert await exporting.export_delivery(account, delivery_id) == []
    assert exports.calls == 1
    link = await Link.get(account=account.name, integration="warehouse")
    assert link.external_id == "WH-1"


async def test_a_transient_error_is_retried_then_dead_with_its_error(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_hub.errors import TransientError

    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    monkeypatch.setattr(account.plugins, "export", FakeExports(*[TransientError("HTTP 503: down", retry_after=0)] * 3))
    outcomes = []
    for _ in range(3):
        outcomes.extend(await exporting.export_delivery(account, delivery_id))
    assert [o.state for o in outcomes] == ["pending", "pending", "dead"]
    delivery = await Delivery.get(id=delivery_id)
    assert delivery.attempts == 3 and delivery.last_error == "order shop-7 to warehouse: gave up after 3 tries: HTTP 503: down"


async def test_retry_after_sets_the_next_attempt(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_hub.errors import TransientError

    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    monkeypatch.setattr(account.plugins, "export", FakeExports(TransientError("429", retry_after=30)))
    [outcome] = await exporting.export_delivery(account, delivery_id)
    assert outcome.retry_in == 30
    assert await exporting.export_delivery(account, delivery_id) == []  # not due yet


async def test_a_crashed_workers_delivery_is_found_by_the_sweeper_after_its_lease(store: str) -> None:
    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    await exporting.claim(account, delivery_id)  # then the worker dies
    assert delivery_id not in (await find_stale(account.name, 3600)).deliveries
    await Delivery.filter(id=delivery_id).update(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    assert delivery_id in (await find_stale(account.name, 3600)).deliveries
    assert (await exporting.claim(account, delivery_id)).attempts == 2


async def test_a_secret_in_a_peer_error_is_redacted(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from connect_hub.errors import PermanentError

    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    monkeypatch.setattr(account.plugins, "export", FakeExports(PermanentError(f"rejected key {ENV['TEST_WAREHOUSE_KEY']}")))
    await exporting.export_delivery(account, delivery_id)
    delivery = await Delivery.get(id=delivery_id)
    assert delivery.state == "failed" and ENV["TEST_WAREHOUSE_KEY"] not in delivery.last_error and "***" in delivery.last_error


async def test_a_delivery_that_keeps_killing_its_worker_ends_dead(store: str) -> None:
    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    for _ in range(account.config.delivery.max_attempts):
        await exporting.claim(account, delivery_id)  # the worker dies each time
        await Delivery.filter(id=delivery_id).update(lease_until=datetime.now(UTC) - timedelta(seconds=1))
    [outcome] = await exporting.export_delivery(account, delivery_id)
    delivery = await Delivery.get(id=delivery_id)
    assert outcome.state == "dead" and "stopped its worker" in delivery.last_error


async def test_an_event_that_keeps_killing_its_worker_ends_failed(store: str) -> None:
    account = make_account()
    event_id = await store_event(account.name, "shop", "order.updated", {}, order_body())
    await Event.filter(id=event_id).update(attempts=importing.MAX_IMPORT_ATTEMPTS)
    assert await importing.import_event(account, event_id) == []
    event = await Event.get(id=event_id)
    assert event.state == "failed" and "stopped its worker" in event.last_error


async def test_an_event_a_worker_is_importing_is_neither_imported_again_nor_re_sent_until_its_lease_runs_out(store: str) -> None:
    account = make_account()
    event_id = await store_event(account.name, "shop", "order.updated", {}, order_body())
    await Event.filter(id=event_id).update(received_at=datetime.now(UTC) - timedelta(minutes=5))
    assert await importing._claim(account, event_id) is not None  # a first worker is at it

    assert await importing.import_event(account, event_id) == []  # a second one, sent it by the sweeper
    assert await Record.filter(account=account.name, data_type="orders").count() == 0
    assert (await find_stale(account.name, stale_after=1)).events == []

    await Event.filter(id=event_id).update(lease_until=datetime.now(UTC) - timedelta(seconds=1))  # the first died
    assert (await find_stale(account.name, stale_after=1)).events == [event_id]
    assert len(await importing.import_event(account, event_id)) == 1
    event = await Event.get(id=event_id)
    assert (event.state, event.attempts, event.lease_until) == ("done", 2, None)


async def test_stock_from_the_warehouse_is_less_what_is_sold_but_not_yet_received(store: str) -> None:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    text = text.replace("    preset: fulfilment\n", "    preset: fulfilment\n    subtract_unsent_orders: true\n")
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    await importing.merge(account, "shop", Incoming(order("1"), "1"), None)  # 2 x SKU-1, not sent yet
    [sent] = await importing.merge(account, "shop", Incoming(order("2"), "2"), None)
    await Delivery.filter(id=sent).update(state="done")  # the warehouse has this one already
    event_id = await store_event(account.name, "warehouse", "stock.changed", {}, STOCK_CHANGED)
    await importing.import_event(account, event_id)
    stock = await Record.get(account=account.name, data_type="stocks", key="sku:SKU-1")
    assert (stock.data["quantity"], stock.data["unsent"]) == (8, 2)


STOCK_CHANGED = b'{"sku": "SKU-1", "quantity": 10, "changed_at": "2026-11-27T22:00:00Z"}'


async def test_only_the_stock_source_reports_stock(store: str) -> None:
    from connect_hub.datatypes.stocks import ignored_stock_reason

    account = make_account()
    event_id = await store_event(account.name, "warehouse", "stock.changed", {}, STOCK_CHANGED)
    await importing.import_event(account, event_id)
    stock = await Record.get(account=account.name, data_type="stocks", key="sku:SKU-1")
    assert (stock.data["quantity"], stock.data["unsent"]) == (10, 0)  # not asked to subtract
    assert ignored_stock_reason(account, account.integrations["shop"]) == "stock from shop is ignored: warehouse is the stock source"
    assert ignored_stock_reason(account, account.integrations["warehouse"]) is None
