"""The console's read queries: diffs between versions, causes of failures, search, ledger, where
an order is. Pure functions alone; the store ones on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connect_hub.canonical import Shipment
from connect_hub.contracts import ExportResult, Incoming
from connect_hub.errors import PermanentError
from connect_hub.pipeline import exporting, importing
from connect_hub.queries.diff import Change, diff
from connect_hub.queries.failures import cause_of, failures
from connect_hub.queries.ledger import record_ledger, where_is_it
from connect_hub.queries.search import search
from connect_hub.service.console.format import ago, took
from connect_hub.store.models import Record
from test_store_and_pipeline import make_account, order


def test_a_diff_names_each_changed_leaf_by_its_path() -> None:
    before = {"status": "processing", "lines": [{"sku": "A", "quantity": 1}], "billing": {"city": "Ghent"}, "note": ""}
    after = {"status": "completed", "lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}], "billing": {"city": "Ghent"}, "tag": "x"}
    assert diff(before, after) == [
        Change("lines[0].quantity", 1, 2),
        Change("lines[1]", None, {"sku": "B", "quantity": 1}),
        Change("note", "", None),
        Change("status", "processing", "completed"),
        Change("tag", None, "x"),
    ]
    assert diff(before, before) == []


def test_a_cause_drops_the_numbers_that_differ_but_keeps_the_http_status() -> None:
    a = cause_of("acme/warehouse: POST /api/v1/orders answered 422: invalid_quantity: order shop-12 line 2 (MUG-1): quantity must be a positive integer, got 0")
    b = cause_of("acme/warehouse: POST /api/v1/orders answered 422: invalid_quantity: order shop-907 line 1 (MUG-1): quantity must be a positive integer, got 0")
    assert a == b and "answered 422" in a and "shop-N line N" in a
    assert cause_of("answered 503: down") != cause_of("answered 500: down")
    assert cause_of(None) == "no error recorded"


def test_times_read_as_a_person_says_them() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=12), now) == "12 s ago"
    assert ago(now - timedelta(minutes=5), now) == "5 min ago"
    assert ago(None, now) == "never"
    assert took(now, now + timedelta(hours=3)) == "3 h"


async def _answer(result):
    if isinstance(result, Exception):
        raise result
    return result


async def a_shop_order_at_the_warehouse(account, number: str = "1042", result=None) -> Record:
    """Order ``number`` from the shop, exported to the warehouse (as WH-1, or failing with ``result``)."""
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(number=number), number), None)
    account.plugins.export = lambda integration, request: _answer(result or ExportResult(external_id="WH-1"))
    await exporting.export_delivery(account, delivery_id)
    return await Record.get(account=account.name, key=f"order:shop-{number}")


async def test_an_order_is_found_by_number_reference_sku_email_and_external_ids(store: str) -> None:
    account = make_account()
    record = await a_shop_order_at_the_warehouse(account)
    for text in ("1042", "#1042", "shop-1042", "WH-1"):
        found = await search(account.name, text)
        assert [f.record_id for f in found if f.data_type == "orders"] == [record.id], text
    assert (await search(account.name, "1042"))[0].title.startswith("order 1042 (shop-1042), processing")
    assert [(f.key, f.why) for f in await search(account.name, "SKU-1")] == [
        ("order:shop-1042", "order with a line of that SKU"), ("sku:SKU-1", "SKU"),
    ]
    assert await search(account.name, "104") == []
    assert await search(make_account().name, "1042") == []  # another account sees nothing


async def test_orders_are_found_by_the_shoppers_e_mail(store: str) -> None:
    account = make_account()
    placed = order(number="77").model_copy(update={"email": "Grace@Example.test"})
    await importing.merge(account, "shop", Incoming(placed, "77"), None)
    found = await search(account.name, "grace@example.test")
    assert [(f.key, f.why) for f in found] == [("order:shop-77", "order of that e-mail")]


async def test_the_ledger_says_where_the_order_is_and_shows_each_version_with_its_changes(store: str) -> None:
    account = make_account()
    record = await a_shop_order_at_the_warehouse(account)
    [completed] = await importing.merge(account, "shop", Incoming(order(number="1042", status="completed", minutes=5), "1042"), None)
    account.plugins.export = lambda integration, request: _answer(ExportResult(skipped="order status completed is not sent to the warehouse"))
    await exporting.export_delivery(account, completed)
    await importing.merge(account, "warehouse", Incoming(Shipment(order_reference="shop-1042", carrier="DHL", tracking_code="T-9"), "T-9"), None)
    ledger = await record_ledger(account.name, record.id)
    assert [v.version for v in ledger.versions] == [2, 1]
    assert [(c.path, c.before, c.after) for c in ledger.versions[0].changes] == [
        ("modified_at", "2026-11-01T12:00:00Z", "2026-11-01T12:05:00Z"), ("status", "processing", "completed"),
    ]
    assert [e.outcome for e in ledger.entries] == ["created", "updated"]
    assert [(link.integration, link.external_id) for link in ledger.links] == [("shop", "1042"), ("warehouse", "WH-1")]
    [target] = ledger.targets
    assert [d.state for d in target.deliveries] == ["skipped", "done"]  # the warehouse takes no completed orders
    assert where_is_it(ledger) == [
        "warehouse: has version 1 as WH-1; version 2 not sent: order status completed is not sent to the warehouse",
        "shipped (DHL, T-9), reported by warehouse",
    ]


async def test_a_failed_order_says_why_and_is_grouped_by_its_cause(store: str) -> None:
    account = make_account()
    refusal = PermanentError("acme/warehouse: POST /api/v1/orders answered 422: no_lines: order shop-7 has no lines")
    record = await a_shop_order_at_the_warehouse(account, number="7", result=refusal)
    await a_shop_order_at_the_warehouse(account, number="8", result=PermanentError(str(refusal).replace("shop-7", "shop-8")))
    ledger = await record_ledger(account.name, record.id)
    assert where_is_it(ledger) == [
        f"warehouse: failed after 1 try: order shop-7 to warehouse: {refusal}. Fix the cause, then replay it.",
    ]
    delivery = ledger.targets[0].latest
    assert delivery.updated_at > delivery.created_at  # the time of the failure, not of the plan
    [group] = (await failures(account.name)).groups
    assert (group.kind, group.integration, len(group.ids), group.states) == ("delivery", "warehouse", 2, {"failed"})
    assert "order shop-N has no lines" in group.cause
    assert set(group.records.values()) == {"order:shop-7", "order:shop-8"}
