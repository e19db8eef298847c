"""The e-fulfilment connector's hook implementations: wiring of the modules beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Any

from connect_hub import hookimpl
from connect_hub.canonical import Order
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
from connect_hub.errors import PermanentError, TransientError
from connect_hub.manifest import DataType, Manifest
from connect_hub.simulator import Simulator

from connect_hub_efulfillment import webhooks
from connect_hub_efulfillment.client import AuthenticationError, WarehouseClient
from connect_hub_efulfillment.manifest import MANIFEST
from connect_hub_efulfillment.orders import export_order
from connect_hub_efulfillment.polling import poll_stock


@hookimpl
def hub_connector_manifest() -> Manifest:
    return MANIFEST


@hookimpl
def hub_simulator(integration: Integration, pace: float) -> AbstractContextManager[Simulator]:
    """The warehouse simulator on the integration's ``url``; it ships an order ``pace`` s after
    receiving it."""
    from connect_hub_efulfillment.simulator.role import simulate  # loads only when wanted

    return simulate(integration, pace)


@hookimpl
def hub_integration_start(integration: Integration) -> None:
    _client(integration)


@hookimpl
async def hub_integration_stop(integration: Integration) -> None:
    client = integration.resources.pop("client", None)
    if client is not None:
        await client.aclose()


@hookimpl
def hub_webhook_verify(integration: Integration, request: WebhookRequest) -> WebhookVerdict:
    return webhooks.verify_request(integration, request.headers, request.body)


@hookimpl
def hub_webhook_parse(event: RawEvent) -> list[Incoming]:
    return webhooks.parse(event)


@hookimpl
def hub_poll(integration: Integration, data_type: DataType) -> AsyncIterator[PollPage] | None:
    if data_type != DataType.STOCKS:
        return None
    return poll_stock(_client(integration))


@hookimpl
async def hub_export(integration: Integration, request: ExportRequest) -> ExportResult:
    if request.data_type != DataType.ORDERS or not isinstance(request.obj, Order):
        raise PermanentError(
            f"{integration.account}/{integration.name}: the e-fulfilment warehouse takes no "
            f"{request.data_type} export, only orders"
        )
    send_statuses = _setting(integration, "send_statuses")
    return await export_order(
        _client(integration), request.obj, send_statuses, sent_before=request.external_id is not None,
        first_try=request.attempt == 1,
    )


@hookimpl
async def hub_onboard_check(integration: Integration) -> list[Check]:
    url = _setting(integration, "url")
    try:
        await _client(integration).ping()
    except AuthenticationError as exc:
        return [
            Check("warehouse reachable", True, f"The warehouse at {url} answers."),
            Check("api key accepted", False, f"The warehouse refused the api_key: {exc}"),
        ]
    except TransientError as exc:
        return [Check("warehouse reachable", False, f"Cannot reach the warehouse: {exc}")]
    except PermanentError as exc:
        return [
            Check(
                "warehouse reachable",
                False,
                f"{exc}; is url the base of the warehouse API (without /api/v1)?",
            )
        ]
    return [
        Check("warehouse reachable", True, f"The warehouse at {url} answers."),
        Check("api key accepted", True, "The warehouse accepts the api_key."),
        await webhooks.register(_client(integration), integration),
    ]


@hookimpl
async def hub_webhook_status(integration: Integration) -> list[WebhookStatus]:
    return await webhooks.status(_client(integration), integration)


@hookimpl
async def hub_maintain(integration: Integration) -> list[Notice]:
    return await webhooks.watch(_client(integration), integration)


def _client(integration: Integration) -> WarehouseClient:
    """The integration's shared client, made on first use if the integration was not started."""
    client = integration.resources.get("client")
    if client is None:
        client = WarehouseClient(
            _setting(integration, "url"),
            _setting(integration, "api_key"),
            name=f"{integration.account}/{integration.name}",
            timeout=float(_setting(integration, "timeout")),
            max_connections=int(_setting(integration, "max_connections")),
        )
        integration.resources["client"] = client
    return client


def _setting(integration: Integration, name: str) -> Any:
    """A setting's value, or the manifest's default when the integration leaves it out."""
    value = integration.settings.get(name)
    if value is None:
        declared = MANIFEST.setting(name)
        value = declared.read(declared.default) if declared and declared.default is not None else None
    if value is None:
        raise PermanentError(
            f"{integration.account}/{integration.name}: the setting {name!r} is missing"
        )
    return value
