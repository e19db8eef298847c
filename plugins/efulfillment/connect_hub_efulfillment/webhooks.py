"""Warehouse webhooks: verify a request, parse a stored event, register and watch the subscription.

A delivery is a ``POST`` of JSON with ``X-Warehouse-Event`` (``stock.changed`` or
``order.shipped``), ``X-Warehouse-Delivery`` (a UUID, the same on each retry) and
``X-Warehouse-Signature``: the lower-case hex HMAC-SHA256 of the raw body, keyed with the
integration's webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from connect_hub.contracts import (
    Check,
    Incoming,
    Integration,
    Notice,
    RawEvent,
    Verdict,
    WebhookStatus,
    WebhookVerdict,
)
from connect_hub.errors import ConfigError, ExportError, MappingError
from connect_hub.manifest import DataType
from connect_hub.secrets import webhook_secret_for

from connect_hub_efulfillment.client import WarehouseClient
from connect_hub_efulfillment.mapping import (
    shipment_external_id,
    shipment_from_warehouse,
    stock_from_warehouse,
)

EVENT_HEADER = "x-warehouse-event"
SIGNATURE_HEADER = "x-warehouse-signature"
DELIVERY_HEADER = "x-warehouse-delivery"
STOCK_CHANGED = "stock.changed"
ORDER_SHIPPED = "order.shipped"
EVENT_FOR_FLOW = {DataType.STOCKS: STOCK_CHANGED, DataType.SHIPMENTS: ORDER_SHIPPED}
"""The warehouse event that carries each imported data type."""


def sign(secret: str, body: bytes) -> str:
    """The ``X-Warehouse-Signature`` the warehouse sends for ``body``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> WebhookVerdict:
    """Check one request against ``secret``; ``headers`` have lower-case names.

    No JSON parsing; the signature is compared in constant time. A REJECT's reason never
    contains the secret or the expected signature.
    """
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        return WebhookVerdict(Verdict.REJECT, reason="the X-Warehouse-Signature header is missing")
    if not secret:
        return WebhookVerdict(Verdict.REJECT, reason="no webhook secret is configured")
    given = signature.strip().lower().encode("ascii", "replace")
    if not hmac.compare_digest(given, sign(secret, body).encode()):
        return WebhookVerdict(
            Verdict.REJECT,
            reason="the signature does not match the body: the warehouse signs with another "
            "secret than this integration's webhook secret, or the body was changed on the way",
        )
    topic = headers.get(EVENT_HEADER, "").strip()
    if not topic:
        return WebhookVerdict(Verdict.REJECT, reason="the X-Warehouse-Event header is missing")
    return WebhookVerdict(Verdict.ACCEPT, topic=topic)


def verify_request(
    integration: Integration, headers: Mapping[str, str], body: bytes
) -> WebhookVerdict:
    """:func:`verify` with the integration's webhook secret; without one, every request fails."""
    try:
        secret = webhook_secret_for(integration)
    except ConfigError:
        return WebhookVerdict(
            Verdict.REJECT,
            reason="this integration has no webhook secret (set webhook_secret or the hub's "
            "secret key)",
        )
    return verify(secret, headers, body)


# --- Parse ---------------------------------------------------------------------------------


def parse(event: RawEvent) -> list[Incoming]:
    """The canonical object in one stored event (webhook or polled item); other topics give none.

    Raises MappingError naming the event when its body does not have the warehouse's shape.
    """
    if event.topic not in (STOCK_CHANGED, ORDER_SHIPPED):
        return []
    try:
        body = json.loads(event.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MappingError(f"event {event.id} ({event.topic}): the body is not JSON") from None
    if not isinstance(body, dict):
        raise MappingError(f"event {event.id} ({event.topic}): the body is not a JSON object")
    try:
        if event.topic == STOCK_CHANGED:
            stock = stock_from_warehouse(body, event.received_at)
            return [Incoming(obj=stock, external_id=stock.sku)]
        shipment = shipment_from_warehouse(body, event.received_at)
        return [Incoming(obj=shipment, external_id=shipment_external_id(body))]
    except MappingError as exc:
        raise MappingError(f"event {event.id} ({event.topic}): {exc}") from None


# --- Register and watch --------------------------------------------------------------------


def delivery_url(integration: Integration) -> str:
    """Where the warehouse must send this integration's webhooks."""
    return f"{integration.public_url.rstrip('/')}/webhooks/{integration.name}"


def wanted_events(integration: Integration) -> list[str]:
    """The warehouse events this integration's import flows need, e.g. ``["stock.changed"]``."""
    return [event for data_type, event in EVENT_FOR_FLOW.items() if integration.imports(data_type)]


async def register(client: WarehouseClient, integration: Integration) -> Check:
    """Subscribe the hub at the warehouse (idempotent by URL): the onboarding check."""
    events = wanted_events(integration)
    if not events:
        return Check("webhook registered", True, "No webhook needed: this preset imports nothing.")
    problem = _cannot_subscribe(integration)
    if problem:
        return Check("webhook registered", False, problem)
    url = delivery_url(integration)
    try:
        await client.register_webhook(url, webhook_secret_for(integration), events)
    except ExportError as exc:
        return Check("webhook registered", False, f"Cannot register the webhook {url}: {exc}")
    return Check("webhook registered", True, f"The warehouse sends {', '.join(events)} to {url}.")


async def watch(client: WarehouseClient, integration: Integration) -> list[Notice]:
    """Check that the warehouse still has the hub's subscription; re-create or repair it."""
    events = wanted_events(integration)
    if not events:
        return []
    problem = _cannot_subscribe(integration)
    if problem:
        return [Notice("webhook_not_configured", problem)]
    url = delivery_url(integration)
    try:
        subscription = _find(await client.list_webhooks(), url)
        if subscription is not None and set(events) <= set(subscription.get("events", [])):
            return []
        await client.register_webhook(url, webhook_secret_for(integration), events)
    except ExportError as exc:
        return [Notice("webhook_check_failed", f"Cannot check the warehouse webhook {url}: {exc}")]
    if subscription is None:
        return [
            Notice(
                "webhook_recreated",
                f"The warehouse had no webhook subscription for {url}; it was re-created for "
                f"{', '.join(events)}. Stock figures missed meanwhile come back with the next "
                "stock reconciliation; shipments sent meanwhile are not sent again by the "
                "warehouse.",
            )
        ]
    return [
        Notice(
            "webhook_repaired",
            f"The warehouse webhook for {url} sent only {', '.join(subscription.get('events', []))}"
            f"; it now sends {', '.join(events)}.",
        )
    ]


async def status(client: WarehouseClient, integration: Integration) -> list[WebhookStatus]:
    """Each event the integration needs, as the warehouse's subscription has it now."""
    events = wanted_events(integration)
    problem = _cannot_subscribe(integration) if events else None
    if problem:
        return [WebhookStatus(event, False, "", problem) for event in events]
    url = delivery_url(integration)
    subscription = _find(await client.list_webhooks(), url) if events else None
    sent = set(subscription.get("events", [])) if subscription else set()
    return [
        WebhookStatus(event, True, url, f"subscription {subscription.get('id')}")
        if subscription and event in sent
        else WebhookStatus(event, False, "", "missing")
        for event in events
    ]


def _cannot_subscribe(integration: Integration) -> str | None:
    """Why the hub cannot subscribe, in a sentence the user can act on; None when it can."""
    if not integration.public_url:
        return "The hub's public address is unknown: set service.public_url."
    try:
        webhook_secret_for(integration)
    except ConfigError as exc:
        return str(exc)
    return None


def _find(subscriptions: list[Any], url: str) -> dict[str, Any] | None:
    return next((s for s in subscriptions if isinstance(s, dict) and s.get("url") == url), None)
