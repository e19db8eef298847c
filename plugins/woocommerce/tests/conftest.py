"""Fixtures for the WooCommerce connector tests: captured requests and a ready integration.

``samples/received/`` holds every request a real WooCommerce 9.9.5 shop sent, in order; the
deliveries were signed with ``verify-secret-123`` except 0035-0037 (see the webhook tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from connect_hub.contracts import Integration, RawEvent
from connect_hub_woocommerce.manifest import MANIFEST
from connect_hub_woocommerce.sandbox import ApiKey, RunningSandbox, running_sandbox
from connect_hub_woocommerce.sandbox.client import SandboxClient

SAMPLES = Path(__file__).parent / "samples"
RECEIVED = SAMPLES / "received"
SECRET = "verify-secret-123"

Received = tuple[dict[str, str], bytes]


def read_received(name: str) -> Received:
    """Headers (lower-case names) and raw body of ``received/<name>*.json``, e.g. ``0011``."""
    (path,) = RECEIVED.glob(f"{name}*.json")
    capture = json.loads(path.read_text())
    headers = {key.lower(): value for key, value in capture["headers"]}
    return headers, capture["body_raw"].encode()


@pytest.fixture
def load_received() -> Callable[[str], Received]:
    """``load_received("0011")`` -> (headers, body) of that captured request."""
    return read_received


@pytest.fixture
def load_payload() -> Callable[[str], dict[str, Any]]:
    """``load_payload("order_created")`` -> the decoded ``payload-order_created.json``."""

    def load(name: str) -> dict[str, Any]:
        return json.loads((SAMPLES / f"payload-{name}.json").read_text())

    return load


@pytest.fixture
def integration() -> Integration:
    """An integration ``acme/shop`` with the secret the samples were signed with."""
    return Integration(
        account="acme",
        name="shop",
        connector="woocommerce",
        preset="shop-with-efulfillment",
        settings={
            "url": "https://shop.example",
            "api_key": "ck_x",
            "api_secret": "cs_x",
            "webhook_secret": SECRET,
        },
        manifest=MANIFEST,
        flows=MANIFEST.flows_for("shop-with-efulfillment"),
    )


@pytest.fixture
def with_settings(integration: Integration) -> Callable[..., Integration]:
    """``with_settings(status_map={...})`` -> the integration with those settings changed."""

    def change(**settings: Any) -> Integration:
        return replace(integration, settings={**integration.settings, **settings})

    return change


@pytest.fixture
def make_event() -> Callable[..., RawEvent]:
    """``make_event("0011")`` -> the captured request as a stored event; or topic= and body=."""

    def make(name: str | None = None, *, topic: str = "", body: bytes = b"") -> RawEvent:
        headers: dict[str, str] = {}
        if name is not None:
            headers, body = read_received(name)
            topic = topic or headers["x-wc-webhook-topic"]
        return RawEvent(
            id=1,
            integration="shop",
            topic=topic,
            headers=headers,
            body=body,
            received_at=datetime(2026, 11, 27, tzinfo=UTC),
        )

    return make


SANDBOX_KEY = ApiKey("ck_test", "cs_test")


@pytest.fixture(scope="module")
def running_shop() -> Iterator[RunningSandbox]:
    """A sandbox shop for the module, its webhook queue run only when asked."""
    with running_sandbox(keys=[SANDBOX_KEY], queue_interval=None) as running:
        yield running


@pytest.fixture
def client(running_shop: RunningSandbox) -> Iterator[SandboxClient]:
    """A client of the module's sandbox shop, reset and seeded for each test."""
    shop = SandboxClient(running_shop.url, SANDBOX_KEY.consumer_key, SANDBOX_KEY.consumer_secret)
    shop.reset()
    yield shop
    shop.close()
