"""The hot path's plain-SQL rows (connect_hub.store.rows) write what the ORM writes, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from connect_hub.store import rows
from connect_hub.store.models import Delivery, DeliveryState, LedgerEntry, Link, Record

STAMPS = {"id", "created_at", "updated_at"}


def fields_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row._meta.fields_db_projection if name not in STAMPS}


@pytest.mark.parametrize(("model", "values", "unique"), [
    (Delivery, {"account": "a", "integration": "warehouse", "data_type": "orders", "version": 2, "hash": "h",
                "state": DeliveryState.PENDING, "event_id": None}, ("version", 3)),
    (LedgerEntry, {"account": "a", "integration": "shop", "external_id": "7", "outcome": "created", "version": 1,
                   "hash": "h", "data": {"total": "10.00", "lines": [{"sku": "Ü-1"}]}, "event_id": None}, None),
    (Link, {"account": "a", "integration": "shop", "data_type": "contacts", "external_id": "email:x@example.com",
            "alias": True, "last_import_hash": "h", "last_import_modified_at": datetime(2026, 11, 1, 12, 0, 5, tzinfo=UTC)},
     ("external_id", "7")),
])
async def test_a_row_inserted_without_a_model_object_reads_back_as_the_orm_would_have_written_it(
    store: str, model: Any, values: dict[str, Any], unique: tuple[str, Any] | None,
) -> None:
    account = f"t-{uuid.uuid4().hex[:10]}"
    record = await Record.create(account=account, data_type="orders", key="order:shop-1", version=1, hash="h", data={}, source="shop")
    values = {**values, "account": account, "record_id": record.id}
    created = await rows.create(model, **values)
    other = dict([unique]) if unique else {}  # the second row differs in what must be unique
    inserted_id = await rows.insert(model, **{**values, **other})
    by_orm, by_insert = await model.get(id=created.id), await model.get(id=inserted_id)
    assert fields_of(by_insert) == {**fields_of(by_orm), **other}
    for stamp in ("created_at", "updated_at"):
        if stamp in model._meta.fields_map:
            assert getattr(by_insert, stamp) is not None and getattr(by_insert, stamp).tzinfo is not None


async def test_a_field_the_model_does_not_have_is_refused(store: str) -> None:
    with pytest.raises(TypeError, match="no field recod_id"):
        await rows.insert(Delivery, account="a", integration="w", data_type="orders", version=1, hash="h", recod_id=1)


async def test_pending_events_after_an_id_are_the_integrations_pending_ones_in_order(store: str) -> None:
    from connect_hub.pipeline.ingress import store_event
    from connect_hub.store.models import Event, EventState

    account = f"t-{uuid.uuid4().hex[:10]}"
    ids = [await store_event(account, "shop", "product.updated", {}, b"{}") for _ in range(5)]
    await store_event(account, "other", "product.updated", {}, b"{}")  # another integration's
    await store_event(f"{account}-x", "shop", "product.updated", {}, b"{}")  # another account's
    await Event.filter(id=ids[2]).update(state=EventState.DONE)
    assert await rows.pending_events_after(account, "shop", 0, 10) == [ids[0], ids[1], ids[3], ids[4]]
    assert await rows.pending_events_after(account, "shop", ids[1], 10) == [ids[3], ids[4]]
    assert await rows.pending_events_after(account, "shop", 0, 2) == [ids[0], ids[1]]
    assert await rows.pending_events_after(account, "shop", ids[4], 10) == []
