"""Webhook verification and parsing, as pure functions: signatures, secrets, bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from connect_hub.canonical import OrderLine, Shipment, Stock
from connect_hub.contracts import Integration, RawEvent, Verdict
from connect_hub.errors import ConfigError, MappingError
from connect_hub.secrets import webhook_secret
from connect_hub_efulfillment import webhooks
from connect_hub_efulfillment.manifest import MANIFEST
from connect_hub_efulfillment.simulator import sign as simulator_sign

SECRET = "wh-webhook-secret-91aa"
RECEIVED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
STOCK = {"sku": "MUG-1", "quantity": 3, "changed_at": "2025-03-01T11:59:58.123456+00:00"}
SHIPPED = {
    "reference": "shop-1042",
    "order_id": "WH-000001",
    "carrier": "PostNL",
    "tracking_code": "3SSIM000000001",
    "tracking_url": "https://tracking.example/3SSIM000000001",
    "shipped_at": "2025-03-01T11:59:59+00:00",
    "lines": [{"sku": "MUG-1", "quantity": 2}],
}


def integration(**settings) -> Integration:
    return Integration(
        account="acme",
        name="warehouse",
        connector="efulfillment",
        preset="fulfilment",
        settings={"url": "https://wh.example", "api_key": "k"} | settings,
        manifest=MANIFEST,
        flows=MANIFEST.flows_for("fulfilment"),
        public_url="https://hub.example/",
        secret_key="hub-key",
    )


def headers(body: bytes, event: str = "stock.changed", secret: str = SECRET) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-warehouse-event": event,
        "x-warehouse-signature": webhooks.sign(secret, body),
        "x-warehouse-delivery": "0b6d3f6e-8c1e-4f7e-9d7a-5b8f3c2a1e00",
    }


def event(topic: str, body: dict | bytes, event_id: int = 7) -> RawEvent:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawEvent(
        id=event_id,
        integration="warehouse",
        topic=topic,
        headers={},
        body=raw,
        received_at=RECEIVED,
    )


def test_the_signature_is_hex_hmac_sha256_of_the_raw_body():
    body = b'{"sku":"MUG-1"}'
    # the same as the simulator signs, and as `printf '%s' body | openssl dgst -sha256 -hmac`
    assert webhooks.sign(SECRET, body) == simulator_sign(SECRET, body)
    assert len(webhooks.sign(SECRET, body)) == 64
    assert webhooks.sign(SECRET, body) == webhooks.sign(SECRET, body).lower()


def test_a_genuine_request_is_accepted_with_its_topic():
    body = json.dumps(SHIPPED).encode()

    verdict = webhooks.verify(SECRET, headers(body, "order.shipped"), body)

    assert verdict.verdict == Verdict.ACCEPT
    assert verdict.topic == "order.shipped"


def test_an_upper_case_signature_is_accepted():
    body = b"{}"
    signed = headers(body) | {"x-warehouse-signature": webhooks.sign(SECRET, body).upper()}

    assert webhooks.verify(SECRET, signed, body).verdict == Verdict.ACCEPT


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"x-warehouse-signature": None}, "X-Warehouse-Signature header is missing"),
        ({"x-warehouse-signature": "0" * 64}, "does not match"),
        ({"x-warehouse-signature": "héllo"}, "does not match"),
        ({"x-warehouse-event": None}, "X-Warehouse-Event header is missing"),
    ],
)
def test_a_bad_request_is_rejected_with_a_safe_reason(change, reason):
    body = json.dumps(STOCK).encode()
    sent = {k: v for k, v in (headers(body) | change).items() if v is not None}

    verdict = webhooks.verify(SECRET, sent, body)

    assert verdict.verdict == Verdict.REJECT
    assert reason in verdict.reason
    assert SECRET not in verdict.reason and webhooks.sign(SECRET, body) not in verdict.reason


def test_a_changed_body_or_another_secret_is_rejected():
    body = json.dumps(STOCK).encode()

    assert webhooks.verify(SECRET, headers(body), body + b" ").verdict == Verdict.REJECT
    assert webhooks.verify("other", headers(body), body).verdict == Verdict.REJECT
    assert webhooks.verify("", headers(body), body).verdict == Verdict.REJECT


def test_the_secret_is_the_setting_or_derived_from_the_hub_key():
    assert webhooks.webhook_secret_for(integration(webhook_secret=SECRET)) == SECRET
    derived = webhook_secret("hub-key", "acme", "warehouse")
    assert webhooks.webhook_secret_for(integration()) == derived
    assert webhooks.webhook_secret_for(integration(webhook_secret="")) == derived


def test_without_any_secret_every_request_is_rejected():
    bare = integration()
    bare.secret_key = ""
    body = json.dumps(STOCK).encode()

    with pytest.raises(ConfigError, match="webhook_secret"):
        webhooks.webhook_secret_for(bare)
    verdict = webhooks.verify_request(bare, headers(body), body)
    assert verdict.verdict == Verdict.REJECT and "no webhook secret" in verdict.reason


def test_verify_request_uses_the_derived_secret():
    body = json.dumps(STOCK).encode()
    derived = webhook_secret("hub-key", "acme", "warehouse")

    assert webhooks.verify_request(integration(), headers(body, secret=derived), body).verdict == (
        Verdict.ACCEPT
    )
    assert webhooks.verify_request(integration(), headers(body), body).verdict == Verdict.REJECT


def test_stock_changed_becomes_a_stock_figure_keyed_by_sku():
    [incoming] = webhooks.parse(event("stock.changed", STOCK))

    assert incoming.obj == Stock(
        sku="MUG-1", quantity=3, modified_at=datetime(2025, 3, 1, 11, 59, 58, 123456, tzinfo=UTC)
    )
    assert incoming.external_id == "MUG-1"


def test_stock_without_changed_at_takes_the_time_it_arrived():
    [incoming] = webhooks.parse(event("stock.changed", {"sku": "MUG-1", "quantity": 0}))

    assert incoming.obj.modified_at == RECEIVED


def test_order_shipped_becomes_a_shipment_of_the_hub_order():
    [incoming] = webhooks.parse(event("order.shipped", SHIPPED))

    shipped_at = datetime(2025, 3, 1, 11, 59, 59, tzinfo=UTC)
    assert incoming.obj == Shipment(
        order_reference="shop-1042",
        carrier="PostNL",
        tracking_code="3SSIM000000001",
        tracking_url="https://tracking.example/3SSIM000000001",
        lines=[OrderLine(sku="MUG-1", quantity=2)],
        shipped_at=shipped_at,
        modified_at=shipped_at,
    )
    assert incoming.external_id == "WH-000001:3SSIM000000001"


def test_parse_is_pure_and_repeatable():
    first = webhooks.parse(event("order.shipped", SHIPPED))

    assert webhooks.parse(event("order.shipped", SHIPPED)) == first


def test_a_naive_time_is_taken_as_utc():
    [incoming] = webhooks.parse(event("stock.changed", STOCK | {"changed_at": "2025-03-01T10:00"}))

    assert incoming.obj.modified_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_unknown_topics_give_nothing():
    assert webhooks.parse(event("order.picked", b"not even json")) == []


@pytest.mark.parametrize(
    ("topic", "body", "problem"),
    [
        ("stock.changed", b"<html>", "the body is not JSON"),
        ("stock.changed", b"[1]", "not a JSON object"),
        ("stock.changed", {"quantity": 1}, "sku must be a non-empty string"),
        ("stock.changed", {"sku": "A", "quantity": "3"}, "quantity must be an integer"),
        ("stock.changed", {"sku": "A", "quantity": 3, "changed_at": "yesterday"}, "ISO 8601"),
        ("order.shipped", {k: v for k, v in SHIPPED.items() if k != "reference"}, "reference"),
        ("order.shipped", {k: v for k, v in SHIPPED.items() if k != "order_id"}, "order_id"),
        ("order.shipped", SHIPPED | {"lines": [{"sku": "A"}]}, "line 1: quantity"),
        ("order.shipped", SHIPPED | {"lines": "A"}, "lines must be a list"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_mapping_error_naming_the_event(topic, body, problem):
    with pytest.raises(MappingError) as caught:
        webhooks.parse(event(topic, body, event_id=42))

    assert f"event 42 ({topic})" in str(caught.value)
    assert problem in str(caught.value)


def test_delivery_url_and_wanted_events():
    assert webhooks.delivery_url(integration()) == "https://hub.example/webhooks/warehouse"
    assert webhooks.wanted_events(integration()) == ["stock.changed", "order.shipped"]
