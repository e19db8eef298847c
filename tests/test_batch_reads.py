"""An import batch reads its rows together, and never takes what it read for what it then wrote.

On SQLite and on a real PostgreSQL: the lookups of a batch answer from what the batch has read
(:mod:`connect_hub.store.batch_reads`), so what is asserted is that a batch ends where importing
its events one by one would: each order once, each version once, each Link once.
"""

from __future__ import annotations

import uuid

from connect_hub.account import Account, build_account
from connect_hub.config import parse_config
from connect_hub.pipeline import importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store import batch_reads, rows
from connect_hub.store.models import Delivery, Link, Record
from support import ENV, account_yaml, order_body


def make_account() -> Account:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    return build_account(parse_config(text, environ=ENV), Plugins.load())


def order(number: int, modified: str = "2026-11-27T22:13:56", status: str = "processing") -> bytes:
    return order_body(id=number, number=str(number), status=status, date_modified=modified, date_modified_gmt=modified)


async def test_a_batch_sees_the_records_and_links_it_created_and_the_versions_it_wrote(store: str) -> None:
    account = make_account()
    [known] = [await store_event(account.name, "shop", "order.updated", {}, order(920))]
    await importing.import_events(account, [known])
    batch = [await store_event(account.name, "shop", "order.updated", {}, body) for body in (
        order(920, "2026-11-28T08:00:00", "completed"),  # an order edited after its import (and export)
        order(921),                                       # a new one, then its edit in the same batch
        order(922),
        order(921, "2026-11-28T08:00:00", "completed"),
        order(922),                                       # a webhook sent twice
    )]
    imported = await importing.import_events(account, batch)
    records = {r.key: r for r in await Record.filter(account=account.name, data_type="orders")}
    assert {key: (r.version, r.data["status"]) for key, r in records.items()} == {
        "order:shop-920": (2, "completed"), "order:shop-921": (2, "completed"), "order:shop-922": (1, "processing"),
    }
    links = await Link.filter(account=account.name, integration="shop", data_type="orders").order_by("external_id")
    assert [(link.external_id, link.record_id) for link in links] == [(str(n), records[f"order:shop-{n}"].id) for n in (920, 921, 922)]
    planned = await Delivery.filter(id__in=imported.deliveries)
    assert sorted((d.record_id, d.version) for d in planned) == sorted([
        (records["order:shop-920"].id, 2), (records["order:shop-921"].id, 1), (records["order:shop-921"].id, 2),
        (records["order:shop-922"].id, 1),
    ])


async def test_what_the_batch_writes_is_read_again_and_a_record_saved_under_a_new_key_is_not_found_by_its_old_one(store: str) -> None:
    acme = f"t-{uuid.uuid4().hex[:10]}"
    with batch_reads.together() as reads:
        record = await rows.create(Record, None, account=acme, data_type="contacts", key="email:ann@example.com",
                                   hash="0" * 64, data={}, source="shop")
        assert await rows.record_by_key(acme, "contacts", "email:ann@example.com") is not record, "read again, not taken as made"
        found = await rows.record_by_key(acme, "contacts", "email:ann@example.com")
        assert found is not None and await rows.record_by_id(found.id) is found, "one object per row"
        found.key = "email:ann@example.org"  # her new e-mail
        await found.save()
        assert reads.record_by_key((acme, "contacts", "email:ann@example.com")) is batch_reads.UNKNOWN
        assert await rows.record_by_key(acme, "contacts", "email:ann@example.com") is None
        assert await rows.record_by_key(acme, "contacts", "email:ann@example.org") is not None

        assert await rows.link_of(acme, "shop", "contacts", "7") is None
        await rows.insert(Link, None, account=acme, integration="shop", data_type="contacts", external_id="7", record_id=record.id)
        link = await rows.link_of(acme, "shop", "contacts", "7")
        assert link is not None and link.record_id == record.id, "the Link made since is read"
        await rows.change(Link, link.id, {"record_id": found.id})
        again = await rows.link_of(acme, "shop", "contacts", "7")
        assert again is not None and again.record_id == found.id, "a Link changed by id is read again"
    assert batch_reads.current() is None
