"""The shop's webhooks to the hub: register them, and keep them active, pointed at the hub.

WooCommerce never redelivers a failed webhook and disables one after 7 failures in a row. A
re-enabled webhook keeps its failure count at 6 (one more failure disables it again), so a
disabled or paused webhook is replaced by a new one and then deleted. A webhook's secret is
never readable through the API, so the name carries a short fingerprint of the secret it was
made with: one made with another secret (the setting or the hub's key changed) is replaced too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from connect_hub.contracts import Integration, Notice, WebhookStatus
from connect_hub.errors import ConfigError, HubError, TransientError
from connect_hub.secrets import webhook_secret_for

from connect_hub_woocommerce.client import Json, WooClient
from connect_hub_woocommerce.resources import describe

TOPICS = (
    "order.created",
    "order.updated",
    "product.created",
    "product.updated",
    "customer.created",
    "customer.updated",
)
"""The topics the hub listens to."""


@dataclass
class Repairs:
    """What :func:`ensure_webhooks` found healthy and what it had to change."""

    kept: list[Json] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def delivery_url(integration: Integration) -> str:
    """Where the shop sends this integration's webhooks."""
    return f"{integration.public_url.rstrip('/')}/webhooks/{integration.name}"


def name_prefix(integration: Integration) -> str:
    """The start of the name of every webhook the hub registers for this integration."""
    return f"connect-hub {describe(integration)} "


def secret_fingerprint(secret: str) -> str:
    """Eight hex digits that tell secrets apart without revealing them (the companion plugin's
    status route reports its secret's the same way)."""
    return hashlib.sha256(f"connect-hub-webhook:{secret}".encode()).hexdigest()[:8]


def webhook_name(integration: Integration, topic: str, secret: str) -> str:
    """``connect-hub acme/shop order.created #1a2b3c4d``: the fingerprint tells secrets apart
    without revealing them."""
    return f"{name_prefix(integration)}{topic} #{secret_fingerprint(secret)}"


def is_ours(integration: Integration, webhook: Json, url: str) -> bool:
    """Registered by the hub for this integration: our name, or our delivery URL."""
    return webhook.get("delivery_url") == url or str(webhook.get("name", "")).startswith(
        name_prefix(integration)
    )


async def ensure_webhooks(client: WooClient, integration: Integration) -> Repairs:
    """Make sure each topic has exactly one active webhook of ours, with the current URL and
    secret; create what is missing, replace what is disabled, paused or outdated, delete the
    rest. Each change is a Notice."""
    url = delivery_url(integration)
    secret = webhook_secret_for(integration)
    ours = [w for w in await client.webhooks() if is_ours(integration, w, url)]
    repairs = Repairs()
    for topic in TOPICS:
        name = webhook_name(integration, topic, secret)
        mine = [w for w in ours if w.get("topic") == topic]
        healthy = [w for w in mine if _healthy(w, url, name)]
        if healthy:
            repairs.kept.append(healthy[0])
        else:
            created = await client.create_webhook(
                {"name": name, "topic": topic, "delivery_url": url, "secret": secret,
                 "status": "active"}
            )  # fmt: skip
            repairs.notices.append(_notice(integration, topic, mine, created, url))
        extras = [w for w in mine if not healthy or w is not healthy[0]]
        for old in extras:
            await client.delete_webhook(old["id"])
        if healthy and extras:
            repairs.notices.append(_extras_notice(integration, topic, extras, url))
    return repairs


def _healthy(webhook: Json, url: str, name: str) -> bool:
    """Active, delivering to the hub's address, and made with the current secret."""
    return (
        webhook.get("status") == "active"
        and webhook.get("delivery_url") == url
        and webhook.get("name") == name
    )


async def status(client: WooClient, integration: Integration) -> list[WebhookStatus]:
    """Each topic's webhook as the shop has it now: active, or why not. Changes nothing."""
    url = delivery_url(integration)
    secret = webhook_secret_for(integration)
    ours = [w for w in await client.webhooks() if is_ours(integration, w, url)]
    result = []
    for topic in TOPICS:
        mine = [w for w in ours if w.get("topic") == topic]
        healthy = [w for w in mine if _healthy(w, url, webhook_name(integration, topic, secret))]
        if healthy:
            result.append(WebhookStatus(topic, True, url, f"webhook {healthy[0].get('id')}"))
        elif mine:
            reasons = " and ".join(sorted({_why_replaced(w, url) for w in mine}))
            result.append(WebhookStatus(topic, False, str(mine[0].get("delivery_url", "")), reasons))
        else:
            result.append(WebhookStatus(topic, False, "", "missing"))
    return result


def _notice(
    integration: Integration, topic: str, replaced: list[Json], created: Json, url: str
) -> Notice:
    """A loud sentence about one created or replaced webhook."""
    who = f"{describe(integration)}: the shop's {topic} webhook"
    new = f"created webhook {created.get('id')} to {url}"
    if not replaced:
        return Notice("webhook_created", f"{who} was missing: {new}.")
    reasons = sorted({_why_replaced(w, url) for w in replaced})
    old_ids = ", ".join(str(w.get("id")) for w in replaced)
    message = f"{who} {old_ids} {' and '.join(reasons)}: {new} and deleted the old one."
    if any(w.get("status") == "disabled" for w in replaced):
        message += (
            " WooCommerce disables a webhook after 7 failed deliveries in a row and never "
            "redelivers: changes in between came only through polling. Check that the shop "
            f"can reach {url}."
        )
    return Notice("webhook_recreated", message)


def _extras_notice(integration: Integration, topic: str, extras: list[Json], url: str) -> Notice:
    ids = ", ".join(str(w.get("id")) for w in extras)
    reasons = " and ".join(sorted({_why_replaced(w, url) for w in extras}))
    return Notice(
        "webhook_deleted",
        f"{describe(integration)}: deleted the shop's extra {topic} webhook {ids} ({reasons}); "
        "one active webhook remains",
    )


def _why_replaced(webhook: Json, url: str) -> str:
    status = webhook.get("status")
    if status != "active":
        return f"was {status}"
    if webhook.get("delivery_url") != url:
        return f"pointed at {webhook.get('delivery_url')}"
    return "was made with another secret or was a duplicate"


async def maintain(client: WooClient, integration: Integration) -> list[Notice]:
    """The watchdog: repair the webhooks, and say what was done or what stands in the way."""
    if not integration.public_url:
        return [_no_public_url(integration)]
    try:
        return (await ensure_webhooks(client, integration)).notices
    except ConfigError as exc:
        return [Notice("webhooks_unchecked", f"{describe(integration)}: {exc}")]
    except TransientError as exc:
        return [Notice("shop_unreachable", f"cannot check the shop's webhooks now: {exc}")]
    except HubError as exc:
        return [Notice("webhooks_unrepaired", f"cannot check or repair the webhooks: {exc}")]


def _no_public_url(integration: Integration) -> Notice:
    return Notice(
        "webhooks_unchecked",
        f"{describe(integration)}: service.public_url is not set, so the shop cannot be told "
        "where to send webhooks; set it to the address at which the shop reaches this hub",
    )
