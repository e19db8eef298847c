"""The records' ledger: every import that touches a record leaves an entry, on SQLite and PostgreSQL."""

from __future__ import annotations

from connect_hub.contracts import ExportResult, Incoming
from connect_hub.pipeline import exporting, importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.store.models import LedgerEntry, Record
from test_store_and_pipeline import make_account, order


async def events(account: str, n: int) -> list[int]:
    return [await store_event(account, "shop", "order.updated", {}, b"{}") for _ in range(n)]


async def entries(account: str, key: str) -> list[LedgerEntry]:
    record = await Record.get(account=account, key=key)
    return await LedgerEntry.filter(account=account, record_id=record.id).order_by("id")


async def test_each_import_of_an_order_leaves_an_entry_with_what_became_of_it(store: str) -> None:
    account = make_account()
    a, b, c, d = await events(account.name, 4)
    await importing.merge(account, "shop", Incoming(order(minutes=0), "7"), a)
    await importing.merge(account, "shop", Incoming(order(minutes=1), "7"), b)  # a duplicate
    await importing.merge(account, "shop", Incoming(order(minutes=5, total="20.00"), "7"), c)
    await importing.merge(account, "shop", Incoming(order(minutes=2, total="99.00"), "7"), d)  # late, older
    rows = await entries(account.name, "order:shop-7")
    assert [(r.event_id, r.outcome, r.version) for r in rows] == [
        (a, "created", 1), (b, "unchanged", 1), (c, "updated", 2), (d, "older", 2),
    ]
    assert [r.data["total"] if r.data else None for r in rows] == ["10.00", None, "20.00", None]
    assert {(r.integration, r.external_id) for r in rows} == {("shop", "7")}


async def test_two_versions_of_one_second_are_ordered_by_arrival_whichever_import_runs_first(store: str) -> None:
    account = make_account()
    first, second = await events(account.name, 2)  # one second, as a shop keeping whole seconds sends them
    await importing.merge(account, "shop", Incoming(order(total="20.00"), "7"), second)
    assert await importing.merge(account, "shop", Incoming(order(total="99.00"), "7"), first) == []
    record = await Record.get(account=account.name, key="order:shop-7")
    assert (record.data["total"], record.version) == ("20.00", 1)
    assert [r.outcome for r in await entries(account.name, "order:shop-7")] == ["created", "older"]

    later = await events(account.name, 1)
    await importing.merge(account, "shop", Incoming(order(total="30.00"), "7"), later[0])  # arrived last: it wins
    assert (await Record.get(account=account.name, key="order:shop-7")).data["total"] == "30.00"


async def test_the_bare_product_an_order_line_creates_is_in_its_ledger(store: str) -> None:
    account = make_account()
    await importing.merge(account, "shop", Incoming(order(), "7"), None)
    [entry] = await entries(account.name, "sku:SKU-1")
    assert (entry.outcome, entry.version, entry.integration) == ("created", 1, "shop")


async def test_the_hubs_own_write_coming_back_is_an_echo(store: str) -> None:
    account = make_account()
    [delivery_id] = await importing.merge(account, "shop", Incoming(order(), "7"), None)
    account.plugins.export = _exported  # type: ignore[method-assign]
    await exporting.export_delivery(account, delivery_id)
    await importing.merge(account, "warehouse", Incoming(order(minutes=4), "WH-1"), None)
    rows = await entries(account.name, "order:shop-7")
    assert [(r.integration, r.outcome) for r in rows] == [("shop", "created"), ("warehouse", "echo")]


async def _exported(integration, request) -> ExportResult:
    return ExportResult(external_id="WH-1")
