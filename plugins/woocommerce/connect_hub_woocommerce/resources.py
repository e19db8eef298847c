"""An integration's settings (with the manifest's defaults) and its shared per-process resources."""

from __future__ import annotations

from typing import Any

from connect_hub.contracts import Integration
from connect_hub.errors import PermanentError

from connect_hub_woocommerce.client import WooClient
from connect_hub_woocommerce.manifest import MANIFEST


def setting(integration: Integration, name: str) -> Any:
    """A setting's value, else the manifest's default (None when it has none)."""
    value = integration.settings.get(name)
    if value is None:
        declared = MANIFEST.setting(name)
        value = declared.read(declared.default) if declared and declared.default is not None else None
    return value


def required_setting(integration: Integration, name: str) -> Any:
    """A setting that must have a value; a missing one is a PermanentError naming it."""
    value = setting(integration, name)
    if value in (None, ""):
        raise PermanentError(f"{describe(integration)}: the setting {name!r} is missing")
    return value


def describe(integration: Integration) -> str:
    """``account/name``, how messages name the integration."""
    return f"{integration.account}/{integration.name}"


def client_for(integration: Integration) -> WooClient:
    """The integration's shared client, made on first use if the integration was not started."""
    client = integration.resources.get("client")
    if client is None:
        client = WooClient(
            str(required_setting(integration, "url")),
            str(required_setting(integration, "api_key")),
            str(required_setting(integration, "api_secret")),
            name=describe(integration),
            timeout=float(setting(integration, "timeout")),
            max_concurrency=int(setting(integration, "max_concurrency")),
            requests_per_second=float(setting(integration, "requests_per_second")),
        )
        integration.resources["client"] = client
    return client


async def close_client(integration: Integration) -> None:
    """Close the shared client, if one was made."""
    client = integration.resources.pop("client", None)
    if client is not None:
        await client.aclose()


