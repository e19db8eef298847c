"""The first flow over real HTTP: a WooCommerce order webhook reaches the warehouse, exactly once."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from support import ENV, Hub, Warehouse, order_body, raw_sample, wait_for


def delivered(hub: Hub, state: str = "done") -> list[dict]:
    return [d for d in hub.deliveries(integration="warehouse") if d["state"] == state]


def test_the_real_signed_order_webhook_reaches_the_warehouse(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    headers, body = raw_sample("0013-order_updated.json")
    response = httpx.post(f"{hub.url}/webhooks/shop", content=body, headers=headers)
    assert response.status_code == 202
    orders = wait_for(warehouse.orders, what="the order at the warehouse")
    assert [o["reference"] for o in orders] == ["shop-22"]
    assert orders[0]["lines"] == [{"sku": "VER-MUG-001", "quantity": 1, "name": "Verify Mug"}]
    done = wait_for(lambda: delivered(hub), what="a done delivery")
    assert done[0]["external_id"] == orders[0]["id"]


def test_order_lines_link_to_master_products_by_sku(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(order_body())
    wait_for(lambda: delivered(hub))
    order = hub.api("records?data_type=orders")["items"][0]
    product = hub.api("records?data_type=products&key=sku:VER-MUG-001")["items"][0]
    assert order["data"]["lines"][0]["product_record_id"] == product["id"]


def test_the_same_webhook_twice_makes_one_warehouse_order(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    body = order_body()
    assert hub.post_webhook(body).status_code == 202
    assert hub.post_webhook(body).status_code == 202
    wait_for(lambda: len(hub.events()) == 2 and all(e["state"] == "done" for e in hub.events()), what="both events imported")
    wait_for(lambda: delivered(hub))
    time.sleep(0.5)
    orders = warehouse.orders()
    assert len(orders) == 1 and orders[0]["create_requests"] == 1
    assert len(hub.deliveries(integration="warehouse")) == 1


def test_a_pending_order_is_stored_but_not_sent_and_says_why(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(order_body("0011-order_created.json"), topic="order.created")
    skipped = wait_for(lambda: delivered(hub, "skipped"), what="a skipped delivery")
    assert "pending" in skipped[0]["reason"]
    assert warehouse.orders() == []


def test_an_older_body_after_a_newer_one_does_not_go_back(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(order_body("0013-order_updated.json"))  # processing, modified 22:13:56
    wait_for(lambda: delivered(hub))
    hub.post_webhook(order_body("0011-order_created.json"), topic="order.created")  # pending, 22:13:54
    wait_for(lambda: all(e["state"] == "done" for e in hub.events()) and len(hub.events()) == 2)
    order = hub.api("records?data_type=orders")["items"][0]
    assert order["data"]["status"] == "processing"
    assert order["version"] == 1
    assert len(hub.deliveries(integration="warehouse")) == 1


def test_a_bad_signature_gets_401_and_stores_nothing(make_hub) -> None:
    hub = make_hub()
    body = order_body()
    assert hub.post_webhook(body, secret="not-the-secret").status_code == 401
    assert hub.post_webhook(body, signature="").status_code == 401
    assert hub.post_webhook(body + b" ").status_code == 202  # re-signed: accepted
    tampered = hub.post_webhook(body, signature="AAAA")
    assert tampered.status_code == 401
    assert len(hub.events()) == 1


def test_the_creation_ping_gets_200_and_stores_nothing(make_hub) -> None:
    hub = make_hub()
    headers, body = raw_sample("0001-ping.json")
    response = httpx.post(f"{hub.url}/webhooks/shop", content=body, headers=headers)
    assert response.status_code == 200
    assert hub.events() == []


def test_an_unknown_integration_is_a_404(make_hub) -> None:
    hub = make_hub()
    assert hub.post_webhook(order_body(), integration="nope").status_code == 404


def test_a_warehouse_answering_500_then_200_is_delivered_on_retry(make_hub, warehouse: Warehouse) -> None:
    warehouse.fault(status=500, count=2, path_prefix="/api/v1/orders")
    hub = make_hub()
    hub.post_webhook(order_body())
    done = wait_for(lambda: delivered(hub), what="delivery after retries")
    assert done[0]["attempts"] == 3
    assert len(warehouse.orders()) == 1


def test_a_429_with_retry_after_is_retried_after_the_wait(make_hub, warehouse: Warehouse) -> None:
    warehouse.fault(status=429, count=1, retry_after=1, path_prefix="/api/v1/orders")
    hub = make_hub()
    started = time.monotonic()
    hub.post_webhook(order_body())
    done = wait_for(lambda: delivered(hub), what="delivery after 429")
    assert time.monotonic() - started >= 1.0
    assert done[0]["attempts"] == 2


def test_always_500_ends_dead_visible_and_replay_delivers(make_hub, warehouse: Warehouse) -> None:
    warehouse.fault(status=500, count=-1, path_prefix="/api/v1/orders")
    hub = make_hub()
    hub.post_webhook(order_body())
    dead = wait_for(lambda: delivered(hub, "dead"), timeout=20, what="a dead delivery")
    assert dead[0]["attempts"] == 3
    assert "500" in dead[0]["last_error"]
    assert warehouse.orders() == []

    status = subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", "status", "--config", hub.config_file],
        capture_output=True, text=True, env={**_env(), "COLUMNS": "200"}, timeout=60, check=False,
    )
    assert status.returncode == 0, status.stderr
    assert "dead" in status.stdout and "500" in status.stdout

    warehouse.clear_faults()
    replayed = hub.api(f"deliveries/{dead[0]['id']}/replay", method="POST")
    assert replayed == {"replayed": [dead[0]["id"]]}
    wait_for(lambda: delivered(hub), what="the replayed delivery")
    assert len(warehouse.orders()) == 1


def test_replay_from_the_cli_delivers_a_dead_delivery(make_hub, warehouse: Warehouse) -> None:
    warehouse.fault(status=503, count=-1, path_prefix="/api/v1/orders")
    hub = make_hub()
    hub.post_webhook(order_body())
    dead = wait_for(lambda: delivered(hub, "dead"), timeout=20, what="a dead delivery")
    warehouse.clear_faults()
    result = subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", "replay", "--all-failed", "--config", hub.config_file],
        capture_output=True, text=True, env=_env(), timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert str(dead[0]["id"]) in result.stdout
    wait_for(lambda: delivered(hub), what="the delivery replayed by the CLI (picked up by the sweeper)")
    assert len(warehouse.orders()) == 1


def _env() -> dict[str, str]:
    import os

    return {**os.environ, **ENV}


def test_an_unmappable_order_is_kept_failed_with_its_reason_and_can_be_replayed(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(order_body(status="awaiting-pickup"))
    failed = wait_for(lambda: [e for e in hub.events() if e["state"] == "failed"], what="a failed event")
    assert "awaiting-pickup" in failed[0]["last_error"] and "status_map" in failed[0]["last_error"]
    assert hub.api(f"events/{failed[0]['id']}/replay", method="POST") == {"replayed": [failed[0]["id"]]}
    again = wait_for(lambda: [e for e in hub.events() if e["state"] == "failed" and e["attempts"] == 1 and e["processed_at"] != failed[0]["processed_at"]], what="the replayed event")
    assert again[0]["id"] == failed[0]["id"]
    assert warehouse.orders() == []


def test_concurrent_webhooks_are_each_stored_under_the_id_they_were_answered_with(make_hub) -> None:
    import asyncio
    import json

    from connect_hub.store.models import Event
    from connect_hub_woocommerce.webhooks import sign

    hub = make_hub()
    bodies = [order_body(id=1000 + n, number=str(1000 + n)) for n in range(60)]

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient() as client:
            return await asyncio.gather(*(
                client.post(f"{hub.url}/webhooks/shop", content=body, headers={
                    "content-type": "application/json", "x-wc-webhook-topic": "order.updated",
                    "x-wc-webhook-signature": sign("verify-secret-123", body),
                }) for body in bodies
            ))

    responses = asyncio.run(post_all())
    assert [r.status_code for r in responses] == [202] * len(bodies)
    ids = [r.json()["event"] for r in responses]
    assert len(set(ids)) == len(ids)

    async def stored() -> dict[int, int]:
        rows = await Event.filter(id__in=ids).values("id", "body")
        return {row["id"]: json.loads(bytes(row["body"]))["id"] for row in rows}

    by_id = hub.runtime.run(stored())
    assert [by_id[i] for i in ids] == [1000 + n for n in range(60)]
