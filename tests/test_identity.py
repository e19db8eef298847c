"""One person, one contact: the identities a real shop gives one customer land on one record.

Driven through the real WooCommerce parser with bodies captured from a real shop (order 22 of
customer 4, customer 3's webhooks), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from connect_hub.account import Account, build_account
from connect_hub.config import parse_config
from connect_hub.pipeline import importing
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store.models import Event, Link, Record
from support import ENV, SAMPLES, account_yaml


def captured(sample: str, **changes: Any) -> dict[str, Any]:
    data = json.loads(json.loads((SAMPLES / sample).read_text())["body_raw"])
    return {**data, **changes}


ORDER = captured("0011-order_created.json")  # order 22, customer_id 4, hook.1795817631@example.test
CUSTOMER = captured("0006-customer_created.json")  # customer 3, idle.1795817594@example.test


def make_account() -> Account:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9")
    return build_account(parse_config(text, environ=ENV), Plugins.load())


async def receive(account: Account, topic: str, body: dict[str, Any]) -> Event:
    """Store a shop webhook and import it, as the service and the import actor do."""
    event_id = await store_event(account.name, "shop", topic, {}, json.dumps(body).encode())
    await importing.import_event(account, event_id)
    return await Event.get(id=event_id)


def order(number: int, email: str, *, customer_id: int = 0, first_name: str = "Hook", created: str = "2026-11-27T22:13:54") -> dict[str, Any]:
    billing = {**ORDER["billing"], "email": email, "first_name": first_name}
    return {**ORDER, "id": number, "number": str(number), "customer_id": customer_id, "billing": billing,
            "date_created_gmt": created, "date_modified_gmt": created}  # fmt: skip


def customer(customer_id: int, email: str, *, modified: str = "2026-11-28T09:00:00", **fields: Any) -> dict[str, Any]:
    return {**CUSTOMER, "id": customer_id, "email": email, "date_modified_gmt": modified, **fields}


async def contacts(account: Account) -> list[Record]:
    return await Record.filter(account=account.name, data_type="contacts").order_by("id")


async def shop_links(account: Account, record: Record) -> list[tuple[str, bool]]:
    links = await Link.filter(account=account.name, integration="shop", data_type="contacts", record_id=record.id).order_by("id")
    return [(link.external_id, link.alias) for link in links]


async def test_a_registered_customers_order_then_their_update_is_one_contact(store: str) -> None:
    account = make_account()
    placed = await receive(account, "order.created", ORDER)
    updated = await receive(account, "customer.updated", customer(4, "hook.1795817631@example.test", first_name="Hooky"))

    assert (placed.state, placed.attempts, updated.state) == ("done", 1, "done")
    [contact] = await contacts(account)
    assert contact.data["first_name"] == "Hooky" and contact.version == 2
    assert await shop_links(account, contact) == [("4", False)]


async def test_a_guest_who_registers_later_keeps_one_contact_known_both_ways(store: str) -> None:
    account = make_account()
    await receive(account, "order.created", order(30, "ann@example.test"))
    registered = await receive(account, "customer.created", customer(7, "Ann@Example.test", first_name="Ann"))
    await receive(account, "order.created", order(31, "ann@example.test", customer_id=7, created="2026-11-29T10:00:00"))

    assert registered.state == "done"
    [contact] = await contacts(account)
    assert await shop_links(account, contact) == [("email:ann@example.test", True), ("7", False)]


async def test_two_guests_with_one_email_are_one_contact_the_latest_order_wins(store: str) -> None:
    account = make_account()
    await receive(account, "order.created", order(40, "family@example.test", first_name="Bo", created="2026-11-27T10:00:00"))
    await receive(account, "order.created", order(41, "family@example.test", first_name="Cy", created="2026-11-27T11:00:00"))
    await receive(account, "order.updated", order(40, "family@example.test", first_name="Bo", created="2026-11-27T10:00:00"))

    [contact] = await contacts(account)
    assert contact.data["first_name"] == "Cy"  # order 40's update is older news about the person
    assert await shop_links(account, contact) == [("email:family@example.test", True)]


async def test_an_email_change_moves_the_customer_and_the_old_address_stays_its_own(store: str) -> None:
    account = make_account()
    await receive(account, "customer.created", customer(8, "old@example.test", modified="2026-11-28T09:00:00"))
    changed = await receive(account, "customer.updated", customer(8, "new@example.test", modified="2026-11-28T10:00:00"))
    guest = await receive(account, "order.created", order(50, "old@example.test", created="2026-11-28T11:00:00"))

    assert (changed.state, guest.state) == ("done", "done")
    moved, old = await contacts(account)
    assert (moved.key, moved.version) == ("email:new@example.test", 2)
    assert await shop_links(account, moved) == [("8", False)]
    assert old.key == "email:old@example.test"
    assert await shop_links(account, old) == [("email:old@example.test", True)]


async def test_an_email_change_onto_a_known_address_joins_that_contact(store: str) -> None:
    account = make_account()
    await receive(account, "order.created", order(60, "shared@example.test", created="2026-11-28T08:00:00"))
    await receive(account, "customer.created", customer(9, "mine@example.test", modified="2026-11-28T09:00:00"))
    joined = await receive(account, "customer.updated", customer(9, "shared@example.test", modified="2026-11-28T10:00:00"))

    assert joined.state == "done"
    shared, mine = await contacts(account)  # the guest order came first
    assert mine.key == "email:mine@example.test" and await shop_links(account, mine) == []
    assert await shop_links(account, shared) == [("email:shared@example.test", True), ("9", False)]
    assert shared.data["email"] == "shared@example.test"


async def test_replaying_an_imported_customer_changes_nothing(store: str) -> None:
    account = make_account()
    await receive(account, "order.created", ORDER)
    first = await receive(account, "customer.updated", customer(4, "hook.1795817631@example.test"))
    again = await receive(account, "customer.updated", customer(4, "hook.1795817631@example.test"))

    assert (first.state, again.state) == ("done", "done")
    [contact] = await contacts(account)
    assert contact.version == 2
