"""Secrets never reach logs, error messages or API responses."""

from __future__ import annotations

import logging

import httpx
import pytest
from connect_hub.secrets import derive_secret, webhook_secret
from support import ADMIN_TOKEN, ENV, Warehouse, order_body, wait_for

SECRETS = [ENV["TEST_SHOP_KEY"], ENV["TEST_SHOP_SECRET"], ENV["TEST_WAREHOUSE_KEY"], ENV["TEST_HUB_SECRET_KEY"], ENV["TEST_SHOP_WEBHOOK_SECRET"]]


def test_no_secret_appears_in_logs_api_or_metrics(make_hub, warehouse: Warehouse, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    warehouse.fault(status=401, count=-1, path_prefix="/api/v1/orders")
    hub = make_hub()
    hub.post_webhook(order_body())
    hub.post_webhook(order_body(), secret="wrong")
    failed = wait_for(lambda: [d for d in hub.deliveries() if d["state"] == "failed"], what="a failed delivery")
    assert failed[0]["last_error"]
    seen = [
        caplog.text,
        httpx.get(f"{hub.url}/metrics").text,
        *(httpx.get(f"{hub.url}/api/v1/{path}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).text
          for path in ("integrations", "deliveries", "events", "records", "status")),
    ]
    for text in seen:
        for secret in SECRETS:
            assert secret not in text
    integrations = hub.api("integrations")["items"]
    shop = next(i for i in integrations if i["name"] == "shop")
    assert shop["settings"]["api_key"] == "***" and shop["settings"]["url"] == "https://shop.example"


def test_the_admin_api_needs_the_bearer_token(make_hub) -> None:
    hub = make_hub()
    assert httpx.get(f"{hub.url}/api/v1/deliveries").status_code == 401
    assert httpx.get(f"{hub.url}/api/v1/deliveries", headers={"authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(f"{hub.url}/healthz").status_code == 200
    assert httpx.get(f"{hub.url}/readyz").status_code == 200


def test_derived_webhook_secrets_differ_per_integration_and_need_the_hub_key() -> None:
    assert webhook_secret("k", "acme", "shop") != webhook_secret("k", "acme", "shop2")
    assert webhook_secret("k", "acme", "shop") == webhook_secret("k", "acme", "shop")
    assert "k" not in webhook_secret("k", "acme", "shop").split("-")
    with pytest.raises(ValueError, match="CONNECT_HUB_SECRET_KEY"):
        derive_secret("", "webhook", "acme", "shop")
