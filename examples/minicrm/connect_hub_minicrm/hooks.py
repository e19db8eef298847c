"""The MiniCRM connector's hook implementations: wiring, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager

from connect_hub import hookimpl
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
    WebhookVerdict,
)
from connect_hub.errors import HubError
from connect_hub.manifest import DataType, Manifest
from connect_hub.secrets import webhook_secret_for
from connect_hub.simulator import Simulator

from connect_hub_minicrm import sync, webhooks
from connect_hub_minicrm.client import MiniCrm
from connect_hub_minicrm.manifest import MANIFEST


def crm_for(integration: Integration) -> MiniCrm:
    crm = integration.resources.get("crm")
    if crm is None:
        settings = integration.settings
        crm = MiniCrm(settings["url"], settings["api_key"], name=f"{integration.account}/{integration.name}", timeout=settings["timeout"])
        integration.resources["crm"] = crm
    return crm


def hook_target(integration: Integration) -> str:
    return f"{integration.public_url}/webhooks/{integration.name}"


@hookimpl
def hub_connector_manifest() -> Manifest:
    return MANIFEST


@hookimpl
def hub_simulator(integration: Integration) -> AbstractContextManager[Simulator]:
    from connect_hub_minicrm.simulator import simulate

    return simulate(integration)


@hookimpl
def hub_integration_start(integration: Integration) -> None:
    crm_for(integration)


@hookimpl
async def hub_integration_stop(integration: Integration) -> None:
    crm = integration.resources.pop("crm", None)
    if crm is not None:
        await crm.aclose()


@hookimpl
async def hub_onboard_check(integration: Integration) -> list[Check]:
    crm = crm_for(integration)
    try:
        hooks = await crm.hooks()
    except HubError as exc:
        return [Check("MiniCRM reachable", False, str(exc))]
    if not any(h.get("target") == hook_target(integration) for h in hooks):
        await crm.add_hook(hook_target(integration), webhook_secret_for(integration))
    return [
        Check("MiniCRM reachable", True, f"{integration.settings['url']} takes the api_key."),
        Check("webhooks", True, f"MiniCRM sends contact changes to {hook_target(integration)}."),
    ]


@hookimpl
def hub_webhook_verify(integration: Integration, request: WebhookRequest) -> WebhookVerdict:
    return webhooks.verify(webhook_secret_for(integration), request.headers, request.body)


@hookimpl
def hub_webhook_parse(event: RawEvent) -> list[Incoming]:
    return webhooks.parse(event)


@hookimpl
def hub_poll(integration: Integration, data_type: DataType, cursor: str | None) -> AsyncIterator[PollPage] | None:
    if data_type != DataType.CONTACTS:
        return None
    return sync.poll_contacts(crm_for(integration), cursor, integration.settings["page_size"], integration.first_import_since(data_type))


@hookimpl
async def hub_export(integration: Integration, request: ExportRequest) -> ExportResult:
    return await sync.export(crm_for(integration), request)


@hookimpl
async def hub_maintain(integration: Integration) -> list[Notice]:
    crm = crm_for(integration)
    if any(h.get("target") == hook_target(integration) for h in await crm.hooks()):
        return []
    await crm.add_hook(hook_target(integration), webhook_secret_for(integration))
    return [Notice("webhook_recreated", f"MiniCRM had lost the hook to {hook_target(integration)}; added it again")]
