"""The WooCommerce connector's hook implementations: wiring of the modules, nothing more."""

from __future__ import annotations

from connect_hub import hookimpl
from connect_hub.contracts import Incoming, Integration, RawEvent, WebhookRequest, WebhookVerdict
from connect_hub.manifest import Manifest

from connect_hub_woocommerce import webhooks
from connect_hub_woocommerce.manifest import MANIFEST


@hookimpl
def hub_connector_manifest() -> Manifest:
    """Declare the WooCommerce connector."""
    return MANIFEST


@hookimpl
def hub_webhook_verify(integration: Integration, request: WebhookRequest) -> WebhookVerdict:
    """Verify a WooCommerce webhook request against the integration's webhook secret."""
    return webhooks.verify(webhooks.webhook_secret_for(integration), request.headers, request.body)


@hookimpl
def hub_webhook_parse(integration: Integration, event: RawEvent) -> list[Incoming]:
    """Turn a stored WooCommerce event into canonical objects."""
    return webhooks.parse(integration, event)
