"""The WooCommerce connector's hook implementations: wiring of the modules, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager

from connect_hub import hookimpl
from connect_hub.commands import CommandRegistry
from connect_hub.contracts import (
    Check,
    ExportRequest,
    ExportResult,
    Incoming,
    Integration,
    Notice,
    PollPage,
    RawEvent,
    WebhookRequest,
    WebhookStatus,
    WebhookVerdict,
)
from connect_hub.errors import PermanentError
from connect_hub.manifest import DataType, Manifest
from connect_hub.secrets import webhook_secret_for
from connect_hub.simulator import Simulator

from connect_hub_woocommerce import (
    companion,
    exports,
    onboarding,
    polling,
    watchdog,
    webhooks,
    wordpress_plugin,
)
from connect_hub_woocommerce.manifest import MANIFEST
from connect_hub_woocommerce.resources import (
    client_for,
    close_client,
    describe,
)


@hookimpl
def hub_connector_manifest() -> Manifest:
    """Declare the WooCommerce connector."""
    return MANIFEST


@hookimpl
def hub_register_commands(commands: CommandRegistry) -> None:
    """Add ``connect-hub wordpress-plugin --zip PATH`` (the companion plugin's zip)."""
    wordpress_plugin.register(commands)


@hookimpl
def hub_simulator(integration: Integration, pace: float) -> AbstractContextManager[Simulator]:
    """A seeded WooCommerce sandbox on the integration's ``url``, with its key and secret."""
    from connect_hub_woocommerce.simulator import simulate  # the sandbox loads only when wanted

    return simulate(integration, pace)


@hookimpl
def hub_integration_start(integration: Integration) -> None:
    """Open the integration's shared REST client."""
    client_for(integration)


@hookimpl
async def hub_integration_stop(integration: Integration) -> None:
    """Close the integration's REST client."""
    await close_client(integration)


@hookimpl
async def hub_onboard_check(integration: Integration) -> list[Check]:
    """Check the shop, the key and its permissions; register the webhooks."""
    return await onboarding.onboard(client_for(integration), integration)


@hookimpl
def hub_webhook_verify(integration: Integration, request: WebhookRequest) -> WebhookVerdict:
    """Verify a WooCommerce webhook request against the integration's webhook secret."""
    return webhooks.verify(webhook_secret_for(integration), request.headers, request.body)


@hookimpl
def hub_webhook_parse(integration: Integration, event: RawEvent) -> list[Incoming]:
    """Turn a stored WooCommerce event into canonical objects."""
    return webhooks.parse(integration, event)


@hookimpl
def hub_poll(
    integration: Integration, data_type: DataType, cursor: str | None
) -> AsyncIterator[PollPage]:
    """Page through the orders, products or customers changed since ``cursor``."""
    return polling.poll(
        client_for(integration),
        data_type,
        cursor,
        first_import=integration.first_import_since(data_type),
    )


@hookimpl
async def hub_export(integration: Integration, request: ExportRequest) -> ExportResult:
    """Write a shipment, a contact or one stock figure into the shop."""
    client, who = client_for(integration), describe(integration)
    if request.data_type == DataType.SHIPMENTS:
        return await exports.export_shipment(
            client, request, who, has_companion=lambda: companion.plugin_present(client, integration)
        )
    if request.data_type == DataType.CONTACTS:
        return await exports.export_contact(client, request, who)
    if request.data_type == DataType.STOCKS:
        (result,) = await exports.export_stocks(client, [request], who)
        if isinstance(result, Exception):
            raise result
        return result
    raise PermanentError(f"{who}: the WooCommerce connector exports no {request.data_type}")


@hookimpl
async def hub_export_batch(
    integration: Integration, requests: list[ExportRequest]
) -> list[ExportResult | Exception]:
    """Set many stock figures at once (one result per request, in order)."""
    who = describe(integration)
    if any(r.data_type != DataType.STOCKS for r in requests):
        raise PermanentError(f"{who}: the WooCommerce connector batches only stocks")
    return await exports.export_stocks(client_for(integration), requests, who)


@hookimpl
async def hub_webhook_status(integration: Integration) -> list[WebhookStatus]:
    """The shop's webhooks to the hub, topic by topic."""
    return await watchdog.status(client_for(integration), integration)


@hookimpl
async def hub_maintain(integration: Integration) -> list[Notice]:
    """Keep the shop's webhooks to the hub present and active."""
    return await watchdog.maintain(client_for(integration), integration)
