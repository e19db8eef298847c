"""Webhooks registered and active, as the shop and the warehouse report them (hub_webhook_status),
shown on the console's overview."""

from __future__ import annotations

import asyncio

import httpx
from connect_hub.contracts import WebhookStatus
from connect_hub.service.console.webhooks import WebhookStatusCache
from support import Hub, Shop, wait_for
from test_console_auth import signed_in


def status(hub: Hub, name: str) -> list[WebhookStatus]:
    runtime = hub.runtime
    return runtime.run(runtime.account.plugins.webhook_status(runtime.account.integration(name)))


def test_the_shop_and_the_warehouse_report_their_webhooks_to_the_hub(make_loop_hub, sandbox, warehouse) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    hooks = wait_for(lambda: len(shop.webhooks()) >= 6 and shop.webhooks(), timeout=30, what="the shop's webhooks")
    wait_for(lambda: all(w.active for w in status(hub, "warehouse")), what="the warehouse's subscription")
    assert {(w.topic, w.active, w.url) for w in status(hub, "shop")} == {(h["topic"], True, f"{hub.url}/webhooks/shop") for h in hooks}
    assert {w.topic for w in status(hub, "warehouse")} == {"stock.changed", "order.shipped"}

    victim = next(h for h in hooks if h["topic"] == "order.updated")
    sandbox.state.webhooks.records[victim["id"]]["status"] = "disabled"  # as the shop does after 7 failures
    httpx.delete(f"{warehouse.url}/_sim/webhooks").raise_for_status()
    shop_now = {w.topic: w for w in status(hub, "shop")}
    assert not shop_now["order.updated"].active and shop_now["order.updated"].detail == "was disabled"
    assert sum(w.active for w in shop_now.values()) == 5
    assert [(w.active, w.detail) for w in status(hub, "warehouse")] == [(False, "missing"), (False, "missing")]


def test_the_overview_says_how_many_webhooks_are_registered_and_active(make_loop_hub, sandbox) -> None:
    shop = Shop(sandbox.url)
    hub = make_loop_hub()
    wait_for(lambda: len(shop.webhooks()) >= 6, timeout=30, what="the shop's webhooks")
    page = signed_in(hub).get("/console/").text
    assert "6 of 6 registered and active" in page and "order.created: active (webhook " in page


class _Plugins:
    def __init__(self, answer):
        self.answer, self.asked = answer, 0

    async def webhook_status(self, integration):
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer == "slow":
            await asyncio.sleep(5)
        return self.answer


class _Account:
    def __init__(self, answer):
        self.plugins = _Plugins(answer)

    def integration(self, name):
        return object()

    def secrets(self):
        return ["s3cret"]


async def test_the_console_asks_at_most_once_a_minute_and_says_why_it_could_not() -> None:
    fine = _Account([WebhookStatus("order.created", True)])
    cache = WebhookStatusCache(fine)
    assert [w.topic for w in await cache.get("shop")] == ["order.created"]
    await cache.get("shop")
    assert fine.plugins.asked == 1
    broken = WebhookStatusCache(_Account(RuntimeError("the shop said 401 for key s3cret")))
    assert await broken.get("shop") == "could not ask: the shop said 401 for key ***"
    slow = WebhookStatusCache(_Account("slow"), timeout=0.1)
    assert await slow.get("shop") == "no answer within 0.1 s"
