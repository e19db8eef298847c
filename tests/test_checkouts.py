"""Checkouts: pending, abandoned after the configured time, completed by their order; never back.

Pipeline level on SQLite and PostgreSQL, then through a running hub with the sandbox shop's
companion plugin over real HTTP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from connect_hub import hookimpl
from connect_hub.account import Account, build_account
from connect_hub.canonical import Checkout, CheckoutStatus, OrderLine
from connect_hub.config import parse_config
from connect_hub.contracts import ExportResult, Incoming
from connect_hub.datatypes.checkouts import merge_forward
from connect_hub.manifest import DataType, Direction, Flow, Manifest
from connect_hub.pipeline import importing
from connect_hub.pipeline.checkouts import abandon_stale
from connect_hub.pipeline.ingress import store_event
from connect_hub.plugins import Plugins
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, Record
from support import ENV, Hub, Shop, account_yaml, order_body, wait_for

T0 = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
CHECKOUT_ID = "6f1c8a0e-2f4b-4a43-9a55-0b8f3c1d2e7a"


class MarketingTool:
    """A connector that takes checkouts (abandoned-cart mails), as a test sees it."""

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(name="marketing", title="Marketing", flows=(Flow(data_type=DataType.CHECKOUTS, direction=Direction.EXPORT),))

    @hookimpl
    async def hub_export(self, integration, request):
        return ExportResult(external_id=request.obj.reference)


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    url = f"sqlite://{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres")
    await open_store(url, apply_migrations=True)
    yield request.param
    await close_store()


def make_account(abandoned_after: int | None = None) -> Account:
    extra = "  crm:\n    connector: marketing\n"
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra=extra)
    if abandoned_after is not None:
        text = text.replace("      webhook_secret:", f"      abandoned_after_minutes: {abandoned_after}\n      webhook_secret:", 1)
    return build_account(parse_config(text, environ=ENV), Plugins.load(extra=[("marketing", MarketingTool())]))


def checkout(status: str = "pending", minutes: int = 0, quantity: int = 1) -> Checkout:
    return Checkout(
        reference=CHECKOUT_ID, email="cart@example.test", status=CheckoutStatus(status), currency="EUR",
        total=Decimal("6.25") * quantity, lines=[OrderLine(sku="MUG-1", quantity=quantity, unit_price=Decimal("6.25"))],
        modified_at=T0 + timedelta(minutes=minutes),
    )


async def stored(account: Account) -> Record:
    return await Record.get(account=account.name, key=f"checkout:{CHECKOUT_ID}")


async def crm_deliveries(account: Account) -> list[Delivery]:
    return await Delivery.filter(account=account.name, integration="crm").order_by("id")


def test_the_status_only_moves_forward_and_the_content_follows_the_newer_version() -> None:
    completed = checkout("completed", minutes=5).model_copy(update={"order_reference": "shop-12"})
    late = merge_forward(checkout("pending", minutes=1, quantity=3), completed)
    assert (late.status, late.order_reference, late.lines[0].quantity, late.modified_at) == ("completed", "shop-12", 1, T0 + timedelta(minutes=5))
    newer = merge_forward(checkout("pending", minutes=9, quantity=3), checkout("abandoned", minutes=5))
    assert (newer.status, newer.lines[0].quantity) == ("abandoned", 3)


async def test_a_pending_checkout_is_abandoned_after_the_configured_time_then_completed_by_its_order(store: str) -> None:
    account = make_account(abandoned_after=45)
    [first] = await importing.merge(account, "shop", Incoming(checkout(), CHECKOUT_ID), None)
    assert (await Delivery.get(id=first)).integration == "crm"

    assert await abandon_stale(account, now=T0 + timedelta(minutes=44)) == []
    [abandoned] = await abandon_stale(account, now=T0 + timedelta(minutes=46))
    record = await stored(account)
    assert (record.status, record.version, record.data["status"]) == ("abandoned", 2, "abandoned")
    assert (await Delivery.get(id=abandoned)).version == 2
    assert await abandon_stale(account, now=T0 + timedelta(hours=5)) == []  # once

    meta = [{"id": 1, "key": "_connect_hub_checkout_id", "value": CHECKOUT_ID}]
    event_id = await store_event(account.name, "shop", "order.updated", {}, order_body(meta_data=meta))
    deliveries = await importing.import_event(account, event_id)
    order = await Record.get(account=account.name, data_type="orders")
    assert order.data["checkout_reference"] == CHECKOUT_ID
    record = await stored(account)
    assert (record.status, record.data["order_reference"], record.version) == ("completed", order.data["reference"], 3)
    assert [d.version for d in await crm_deliveries(account)] == [1, 2, 3]
    assert {(await Delivery.get(id=d)).integration for d in deliveries} == {"warehouse", "crm"}

    again = await store_event(account.name, "shop", "order.updated", {}, order_body(meta_data=meta))
    await importing.import_event(account, again)
    assert (await stored(account)).version == 3  # the same order again completes nothing more


async def test_a_late_pending_update_does_not_reopen_a_completed_checkout(store: str) -> None:
    account = make_account()
    await importing.merge(account, "shop", Incoming(checkout(), CHECKOUT_ID), None)
    await importing.merge(account, "shop", Incoming(checkout("completed", minutes=3), CHECKOUT_ID), None)

    assert await importing.merge(account, "shop", Incoming(checkout("pending", minutes=1, quantity=2), CHECKOUT_ID), None) == []
    assert await importing.merge(account, "shop", Incoming(checkout("pending", minutes=3), CHECKOUT_ID), None) == []
    await importing.merge(account, "shop", Incoming(checkout("pending", minutes=8, quantity=2), CHECKOUT_ID), None)
    record = await stored(account)
    assert (record.status, record.data["lines"][0]["quantity"]) == ("completed", 2)
    assert await abandon_stale(account, now=T0 + timedelta(days=1)) == []


async def test_an_order_whose_checkout_never_arrived_makes_a_completed_checkout(store: str) -> None:
    account = make_account()
    meta = [{"id": 1, "key": "_connect_hub_checkout_id", "value": CHECKOUT_ID}]
    await importing.import_event(account, await store_event(account.name, "shop", "order.updated", {}, order_body(meta_data=meta)))
    record = await stored(account)
    assert record.status == "completed" and record.data["email"] and record.data["lines"]
    await importing.merge(account, "shop", Incoming(checkout("pending", minutes=60 * 24 * 3650), CHECKOUT_ID), None)
    assert (await stored(account)).status == "completed"


def plugin_body(status: str, updated_at: datetime, **extra: object) -> bytes:
    return json.dumps({
        "id": CHECKOUT_ID, "status": status, "email": "cart@example.test", "first_name": "Cara", "last_name": "Cart",
        "currency": "EUR", "total": "12.50", "lines": [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "price": "6.25"}],
        "recovery_url": "https://shop.example/checkout/?cart=1", "updated_at_gmt": updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"), **extra,
    }).encode()


def test_the_scheduler_abandons_a_checkout_that_waited_too_long_in_a_running_hub(make_hub) -> None:
    hub: Hub = make_hub()
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    assert hub.post_webhook(plugin_body("pending", an_hour_ago), topic="checkout.updated").status_code == 202
    records = wait_for(lambda: [r for r in hub.api("records?data_type=checkouts")["items"] if r["data"]["status"] == "abandoned"], what="the abandoned checkout")
    assert records[0]["key"] == f"checkout:{CHECKOUT_ID}" and records[0]["data"]["recovery_url"]

    late = plugin_body("completed", an_hour_ago + timedelta(minutes=50), order_id=77)
    assert hub.post_webhook(late, topic="checkout.completed").status_code == 202
    wait_for(lambda: hub.api("records?data_type=checkouts")["items"][0]["data"]["status"] == "completed", what="the completed checkout")
    assert hub.post_webhook(plugin_body("pending", datetime.now(UTC)), topic="checkout.updated").status_code == 202
    wait_for(lambda: all(e["state"] == "done" for e in hub.events()), what="every event imported")
    [record] = hub.api("records?data_type=checkouts")["items"]
    assert (record["data"]["status"], record["data"]["order_reference"]) == ("completed", "shop-77")


def test_a_shoppers_checkout_in_the_shop_is_completed_by_the_order_placed_from_it(make_companion_hub, companion_sandbox) -> None:
    import httpx

    shop = Shop(companion_sandbox.url)
    hub = make_companion_hub()
    wait_for(lambda: shop.state()["companion"]["paired"], timeout=20, what="the companion plugin paired")
    cart = {"email": "cara@example.test", "first_name": "Cara", "last_name": "Cart", "lines": [{"sku": "MUG-1", "quantity": 2}]}
    started = httpx.post(f"{shop.url}/_sandbox/checkouts", json=cart).json()
    key = f"checkout:{started['id']}"

    def record() -> dict | None:
        return next((r for r in hub.api("records?data_type=checkouts")["items"] if r["key"] == key), None)

    pending = wait_for(record, timeout=20, what="the pending checkout in the hub")
    assert (pending["data"]["status"], pending["data"]["email"], pending["data"]["total"]) == ("pending", "cara@example.test", "25.00")
    order = httpx.post(f"{shop.url}/_sandbox/orders", json={"checkout_id": started["id"]}).json()
    done = wait_for(lambda: (r := record()) and r["data"]["status"] == "completed" and r, timeout=20, what="the completed checkout")
    assert done["data"]["order_reference"] == f"shop-{order['id']}"
    orders = wait_for(lambda: [r for r in hub.api("records?data_type=orders")["items"] if r["data"]["checkout_reference"] == started["id"]], timeout=20, what="the order")
    assert orders[0]["data"]["email"] == "cara@example.test"
