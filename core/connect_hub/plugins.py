"""Finding plugins (one entry-point group for built-in and third-party ones) and calling them.

:class:`Plugins` is the typed facade the core uses instead of the untyped ``pm.hook``: connector
hooks are dispatched to the one connector of the integration concerned, so no connector ever
sees another's data.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy

from connect_hub import ENTRY_POINT_GROUP, PROJECT, hookspecs
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
from connect_hub.errors import PluginError
from connect_hub.manifest import DataType, Manifest

BLOCK_ENV = "CONNECT_HUB_BLOCK_PLUGINS"
"""Comma-separated plugin names not to load (e.g. to disable a broken third-party plugin)."""


def get_plugin_manager(extra: Iterable[tuple[str, object]] = (), *, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the hub's specs, every installed plugin and ``extra`` ones.

    Raises :class:`PluginError` (one line naming the plugin) when a plugin cannot be imported or
    implements a hook that does not exist.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    from connect_hub import builtin_rules

    pm.register(builtin_rules, name="core-rules")
    blocked = {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}
    if load_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in blocked or pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
                ) from None
            _register(pm, ep.name, plugin)
    for name, plugin in extra:
        _register(pm, name, plugin)
    return pm


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        raise PluginError(f"plugin {name!r} is broken: {str(exc).splitlines()[0]}") from None


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Plugins:
    """The typed facade over the plugin manager, with the connectors' manifests."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._callers: dict[tuple[str, str], Any] = {}
        self.manifests: dict[str, Manifest] = {}
        self._connector_plugin: dict[str, str] = {}
        for name, plugin in pm.list_name_plugin():
            if not hasattr(plugin, "hub_connector_manifest"):
                continue
            manifest = self._call(name, "hub_connector_manifest")
            if not isinstance(manifest, Manifest):
                raise PluginError(f"plugin {name!r} is broken: hub_connector_manifest did not return a Manifest")
            if manifest.name in self.manifests:
                raise PluginError(f"plugin {name!r} declares connector {manifest.name!r}, which another plugin already declares")
            self.manifests[manifest.name] = manifest
            self._connector_plugin[manifest.name] = name

    @classmethod
    def load(cls, extra: Iterable[tuple[str, object]] = ()) -> Plugins:
        return cls(get_plugin_manager(extra))

    def _caller(self, plugin_name: str, hook: str) -> Any:
        key = (plugin_name, hook)
        if key not in self._callers:
            others = [p for n, p in self.pm.list_name_plugin() if n != plugin_name]
            self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[key]

    def _call(self, plugin_name: str, hook: str, **kwargs: Any) -> Any:
        results = self._caller(plugin_name, hook)(**kwargs)
        return results[0] if results else None

    def _for(self, integration: Integration, hook: str, **kwargs: Any) -> Any:
        plugin = self._connector_plugin[integration.connector]
        return self._call(plugin, hook, integration=integration, **kwargs)

    def has(self, connector: str) -> bool:
        return connector in self.manifests

    def implements(self, connector: str, hook: str) -> bool:
        plugin = self.pm.get_plugin(self._connector_plugin[connector])
        return hasattr(plugin, hook)

    # connector hooks, in the order the hub runs them

    async def start(self, integration: Integration) -> None:
        await _resolve(self._for(integration, "hub_integration_start"))

    async def stop(self, integration: Integration) -> None:
        await _resolve(self._for(integration, "hub_integration_stop"))

    async def onboard_check(self, integration: Integration) -> list[Check]:
        return list(await _resolve(self._for(integration, "hub_onboard_check")) or [])

    def verify_webhook(self, integration: Integration, request: WebhookRequest) -> WebhookVerdict | None:
        return self._for(integration, "hub_webhook_verify", request=request)

    async def parse_event(self, integration: Integration, event: RawEvent) -> list[Incoming]:
        return list(await _resolve(self._for(integration, "hub_webhook_parse", event=event)) or [])

    def poll(self, integration: Integration, data_type: DataType, cursor: str | None) -> AsyncIterator[PollPage] | None:
        return self._for(integration, "hub_poll", data_type=data_type, cursor=cursor)

    async def export(self, integration: Integration, request: ExportRequest) -> ExportResult:
        result = await _resolve(self._for(integration, "hub_export", request=request))
        if not isinstance(result, ExportResult):
            raise PluginError(
                f"connector {integration.connector!r} returned {type(result).__name__} from hub_export, not ExportResult"
            )
        return result

    async def export_batch(self, integration: Integration, requests: list[ExportRequest]) -> list[ExportResult | Exception]:
        results = list(await _resolve(self._for(integration, "hub_export_batch", requests=requests)) or [])
        if len(results) != len(requests):
            raise PluginError(
                f"connector {integration.connector!r} returned {len(results)} results from hub_export_batch for {len(requests)} requests"
            )
        return results

    async def maintain(self, integration: Integration) -> list[Notice]:
        return list(await _resolve(self._for(integration, "hub_maintain")) or [])
