"""WooCommerce webhook ingress: verify a request, then parse the stored event into objects.

A delivery carries ``X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, raw body))``. WooCommerce
signs with ``wp_specialchars_decode(secret, ENT_QUOTES)``, so a secret such as ``x&amp;y`` signs
as ``x&y``; :func:`signing_key` repeats that decoding. The creation ping is a form body
``webhook_id=N`` with no ``X-WC-Webhook-*`` header and no signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from connect_hub.contracts import Incoming, Integration, RawEvent, Verdict, WebhookVerdict
from connect_hub.errors import ConfigError, MappingError

from connect_hub_woocommerce.mapping import (
    checkout_from_plugin,
    contact_from_order_billing,
    contact_from_wc_customer,
    parse_order,
    product_from_wc,
    shipment_from_plugin,
)

SIGNATURE_HEADER = "x-wc-webhook-signature"
TOPIC_HEADER = "x-wc-webhook-topic"
_HEADER_PREFIX = "x-wc-webhook-"
_FORM = "application/x-www-form-urlencoded"
_PING_BODY = re.compile(rb"webhook_id=\d+")

# The entities wp_specialchars_decode(..., ENT_QUOTES) decodes: named ones (case-sensitive) and
# the decimal or hexadecimal forms of the same five characters, with any zero padding.
_WP_ENTITY = re.compile(r"&(?:(quot|lt|gt|amp)|#0*(34|39|60|62|38)|#[xX]0*(22|27|26));")
_WP_DECODED = {
    "quot": '"', "lt": "<", "gt": ">", "amp": "&",
    "34": '"', "39": "'", "60": "<", "62": ">", "38": "&",
    "22": '"', "27": "'", "26": "&",
}  # fmt: skip


def signing_key(secret: str) -> bytes:
    """The HMAC key WooCommerce uses for ``secret``: its HTML special characters decoded."""
    if "&" in secret:
        secret = _WP_ENTITY.sub(lambda m: _WP_DECODED[m.group(m.lastindex or 0)], secret)
    return secret.encode()


def sign(secret: str, body: bytes) -> str:
    """The ``X-WC-Webhook-Signature`` value WooCommerce sends for ``body``."""
    digest = hmac.new(signing_key(secret), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the request is WooCommerce's unsigned creation ping (``webhook_id=N``)."""
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return (
        content_type == _FORM
        and _PING_BODY.fullmatch(body.strip()) is not None
        and not any(name.startswith(_HEADER_PREFIX) for name in headers)
    )


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> WebhookVerdict:
    """Check one request against ``secret``; ``headers`` have lower-case names.

    Fast by design (no JSON parsing); the signature is compared in constant time. A REJECT's
    reason never contains the secret or the expected signature.
    """
    signature = headers.get(SIGNATURE_HEADER)
    if signature is None:
        if is_ping(headers, body):
            return WebhookVerdict(Verdict.PING)
        return WebhookVerdict(Verdict.REJECT, reason="the X-WC-Webhook-Signature header is missing")
    if not secret:
        return WebhookVerdict(Verdict.REJECT, reason="no webhook secret is configured")
    if not hmac.compare_digest(signature.encode(), sign(secret, body).encode()):
        return WebhookVerdict(
            Verdict.REJECT,
            reason="the signature does not match the body: the webhook's secret differs from "
            "this integration's webhook secret, or the body was changed on the way",
        )
    topic = headers.get(TOPIC_HEADER, "")
    if not topic:
        return WebhookVerdict(Verdict.REJECT, reason="the X-WC-Webhook-Topic header is missing")
    return WebhookVerdict(Verdict.ACCEPT, topic=topic)


# --- Parse ------------------------------------------------------------------------------------


def parse(integration: Integration, event: RawEvent) -> list[Incoming]:
    """The canonical objects in one stored event; topics without any (deletions, ``action.*``,
    unknown ones) give an empty list without reading the body.
    """
    parser = PARSERS.get(event.topic)
    if parser is None:
        return []
    return parser(integration, load_body(event))


def load_body(event: RawEvent) -> dict[str, Any]:
    """The event's JSON object, numbers with a fraction kept exact as Decimal."""
    try:
        data = json.loads(event.body, parse_float=Decimal)
    except ValueError:  # also UnicodeDecodeError
        data = None
    if not isinstance(data, dict):
        raise MappingError(
            f"event {event.id} ({event.topic}) of integration {event.integration!r}: the body is "
            "not JSON with an object at the top, so it is no WooCommerce resource"
        )
    return data


def _order(integration: Integration, data: dict[str, Any]) -> list[Incoming]:
    """An order and the person who placed it.

    A registered customer's contact is linked by the customer id (``customer_id``), the same
    identity a customer webhook gives it, so both land on one link. A guest has no customer id:
    the contact is linked by the alias ``email:<address>``, so every guest order of one address
    lands on one contact.
    """
    status_map = integration.settings.get("status_map") or {}
    if not isinstance(status_map, Mapping):
        raise ConfigError(
            f"integration {integration.name!r}: status_map must map WooCommerce statuses to hub "
            "statuses, e.g. {awaiting-pickup: processing}",
            path=f"integrations.{integration.name}.settings.status_map",
        )
    order = parse_order(data, integration.name, status_map)
    if order is None:
        return []
    incoming = [Incoming(order, _external_id(data, "order"))]
    contact = contact_from_order_billing(data)
    if contact is not None:
        customer_id = data.get("customer_id")
        if isinstance(customer_id, int) and customer_id > 0:
            incoming.append(Incoming(contact, str(customer_id)))
        else:
            incoming.append(Incoming(contact, contact.match_key(), alias=True))
    return incoming


def _customer(integration: Integration, data: dict[str, Any]) -> list[Incoming]:
    """A registered customer, linked by its customer id."""
    return [Incoming(contact_from_wc_customer(data), _external_id(data, "customer"))]


def _product(integration: Integration, data: dict[str, Any]) -> list[Incoming]:
    """A product or a variation, linked by its own id."""
    barcode_meta_key = integration.settings.get("barcode_meta_key") or None
    return [Incoming(product_from_wc(data, barcode_meta_key), _external_id(data, "product"))]


def _checkout(integration: Integration, data: dict[str, Any]) -> list[Incoming]:
    """A checkout from the companion plugin, linked by its checkout id."""
    checkout = checkout_from_plugin(data, integration.name)
    return [Incoming(checkout, checkout.reference)]


def _shipment(integration: Integration, data: dict[str, Any]) -> list[Incoming]:
    """A shipment a shop manager entered in the companion plugin's panel, linked by its id; it
    names the shop's order id, so the hub can find an order it placed in the shop."""
    shipment = shipment_from_plugin(data, integration.name)
    if shipment is None:
        return []
    external_id = str((data.get("shipment") or {}).get("id") or "")
    if not external_id:
        raise MappingError(f"a shipment of integration {integration.name!r} has no id, so it cannot be linked")
    related = {"order": str(data["order_id"])} if data.get("order_id") else {}
    return [Incoming(shipment, external_id, related=related)]


def _external_id(data: dict[str, Any], resource: str) -> str:
    """The resource's WooCommerce id as text."""
    if data.get("id") in (None, "", 0):
        raise MappingError(f"the {resource} in the body has no id, so it cannot be linked")
    return str(data["id"])


Parser = Callable[[Integration, dict[str, Any]], list[Incoming]]

PARSERS: dict[str, Parser] = {
    "order.created": _order,
    "order.updated": _order,
    "order.restored": _order,
    "customer.created": _customer,
    "customer.updated": _customer,
    "product.created": _product,
    "product.updated": _product,
    "product.restored": _product,
    "checkout.updated": _checkout,
    "checkout.completed": _checkout,
    "shipment.created": _shipment,
}
"""Topics that carry objects; ``*.deleted``, ``action.*`` and the rest carry none to import.
``checkout.*`` and ``shipment.created`` come from the companion plugin, signed the same way."""
