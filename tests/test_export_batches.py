"""Deliveries exported together (an import batch's): each one's answer stays its own.

On SQLite and on a real PostgreSQL, against the warehouse simulator over real HTTP. The calls
go out at once and what the warehouse took is kept in one transaction; what is asserted is the
end state: each order in the warehouse once, each delivery done with its warehouse id or
waiting for its retry with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from connect_hub.account import Account, build_account
from connect_hub.config import parse_config
from connect_hub.pipeline import exporting, importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store.models import Delivery, Link, Record
from support import ENV, SAMPLES, Warehouse, account_yaml, order_body

SHIPPING = json.loads(json.loads((SAMPLES / "0013-order_updated.json").read_text())["body_raw"])["shipping"]


@pytest.fixture
async def account(store: str, warehouse: Warehouse) -> AsyncIterator[Account]:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url=warehouse.url)
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    for integration in account.integrations.values():
        await account.plugins.start(integration)
    yield account
    for integration in account.integrations.values():
        await account.plugins.stop(integration)


async def planned(account: Account, numbers: list[int]) -> list[int]:
    """The warehouse deliveries of new orders, imported together."""
    ids = [await store_event(account.name, "shop", "order.updated", {}, order_body(id=n, number=str(n))) for n in numbers]
    imported = await importing.import_events(account, ids)
    assert len(imported.deliveries) == len(numbers)
    return imported.deliveries


async def test_a_batch_of_deliveries_reaches_the_warehouse_once_each_with_its_id_kept(account: Account, warehouse: Warehouse) -> None:
    ids = await planned(account, [10, 11, 12, 13])
    outcomes = await exporting.export_deliveries(account, ids)
    assert sorted(o.state for o in outcomes) == ["done"] * 4
    deliveries = await Delivery.filter(id__in=ids)
    assert all(d.state == "done" and d.external_id and d.attempts == 1 for d in deliveries)
    assert len({d.external_id for d in deliveries}) == 4
    assert sorted(o["reference"] for o in warehouse.orders()) == [f"shop-{n}" for n in (10, 11, 12, 13)]
    assert await exporting.export_deliveries(account, ids) == []  # done is done


async def test_a_delivery_the_warehouse_fails_waits_for_its_retry_while_the_rest_of_its_batch_is_done(
    account: Account, warehouse: Warehouse,
) -> None:
    ids = await planned(account, [20, 21, 22])
    warehouse.fault(status=500, count=1, path_prefix="/api/v1/orders", method="POST")
    outcomes = await exporting.export_deliveries(account, ids)
    assert sorted(o.state for o in outcomes) == ["done", "done", "pending"]
    [waiting] = [o for o in outcomes if o.state == "pending"]
    assert waiting.retry_in is not None and waiting.retry_in > 0
    delivery = await Delivery.get(id=waiting.delivery_id)
    assert delivery.last_error and "500" in delivery.last_error and delivery.lease_until is None

    await Delivery.filter(id=delivery.id).update(next_attempt_at=None)  # its retry is due
    assert [o.state for o in await exporting.export_deliveries(account, [delivery.id])] == ["done"]
    assert sorted(o["reference"] for o in warehouse.orders()) == ["shop-20", "shop-21", "shop-22"]


async def test_a_warehouse_id_already_linked_undoes_the_batchs_commit_and_each_delivery_is_kept_alone(
    account: Account, warehouse: Warehouse,
) -> None:
    ids = await planned(account, [30, 31, 32])
    other = await Record.filter(account=account.name, data_type="orders").order_by("id").first()
    assert other is not None
    # a stale link already holds the id the warehouse gives its next order
    await Link.create(account=account.name, integration="warehouse", data_type="orders", external_id="WH-000001",
                      record_id=other.id, alias=True)
    outcomes = await exporting.export_deliveries(account, ids)
    assert sorted(o.state for o in outcomes) == ["done"] * 3
    links = await Link.filter(account=account.name, integration="warehouse", data_type="orders", alias=False)
    assert sorted(link.external_id for link in links) == ["WH-000001", "WH-000002", "WH-000003"]
    deliveries = await Delivery.filter(id__in=ids)
    assert len({(d.record_id, d.external_id) for d in deliveries}) == 3
    assert {link.record_id: link.external_id for link in links} == {d.record_id: d.external_id for d in deliveries}


async def test_an_order_edited_after_its_export_goes_out_with_new_ones_and_keeps_its_one_warehouse_link(
    account: Account, warehouse: Warehouse,
) -> None:
    [first] = await planned(account, [40])
    assert [o.state for o in await exporting.export_deliveries(account, [first])] == ["done"]
    exported = await Delivery.get(id=first)
    later = "2026-11-28T09:15:00"  # the customer changed her address the next morning
    edited = await store_event(account.name, "shop", "order.updated", {}, order_body(
        id=40, number="40", date_modified=later, date_modified_gmt=later,
        shipping={**SHIPPING, "address_1": "Neue Strasse 2"},
    ))
    news = [await store_event(account.name, "shop", "order.updated", {}, order_body(id=n, number=str(n))) for n in (41, 42)]
    imported = await importing.import_events(account, [edited, *news])
    assert len(imported.deliveries) == 3
    outcomes = await exporting.export_deliveries(account, imported.deliveries)
    assert sorted(o.state for o in outcomes) == ["done"] * 3
    deliveries = {d.record_id: d for d in await Delivery.filter(id__in=imported.deliveries)}
    again = deliveries[exported.record_id]
    assert (again.action, again.external_id, again.version) == ("updated", exported.external_id, 2)
    assert sorted(d.action for d in deliveries.values()) == ["created", "created", "updated"]
    links = await Link.filter(account=account.name, integration="warehouse", alias=False)
    assert sorted((link.record_id, link.external_id) for link in links) == sorted((d.record_id, d.external_id) for d in deliveries.values())
    records = {r.id: r for r in await Record.filter(id__in=list(deliveries))}
    assert all(link.last_export_hash == records[link.record_id].hash for link in links), "each link keeps what went out"
    assert sorted(o["reference"] for o in warehouse.orders()) == ["shop-40", "shop-41", "shop-42"]


async def test_a_delivery_another_worker_has_taken_over_is_left_to_it_by_the_batchs_commit(
    account: Account, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its lease ran out during the call and another worker settled it: the batch keeps the others."""
    ids = await planned(account, [50, 51, 52])
    call = exporting._call

    async def slow_for_one(account_: Account, delivery: Delivery, read: object = None) -> object:  # its lease lost meanwhile
        called = await call(account_, delivery, read)
        if delivery.id == ids[1]:
            await Delivery.filter(id=delivery.id).update(state="pending", lease_until=None, external_id=None)
        return called

    monkeypatch.setattr(exporting, "_call", slow_for_one)
    outcomes = await exporting.export_deliveries(account, ids)
    assert len(outcomes) == 3
    states = {d.id: (d.state, d.external_id) for d in await Delivery.filter(id__in=ids)}
    assert states[ids[1]] == ("pending", None), "not overwritten"
    assert states[ids[0]][0] == states[ids[2]][0] == "done" and states[ids[0]][1] and states[ids[2]][1]
