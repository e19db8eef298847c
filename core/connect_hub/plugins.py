"""Finding plugins (one entry-point group for built-in and third-party ones) and calling them.

:class:`Plugins` is the typed facade the core uses instead of the untyped ``pm.hook``: connector
hooks are dispatched to the one connector of the integration concerned, so no connector ever
sees another's data.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

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
    WebhookStatus,
    WebhookVerdict,
)
from connect_hub.errors import PluginError
from connect_hub.manifest import DataType, Direction, Manifest

if TYPE_CHECKING:
    from connect_hub.commands import CommandRegistry
    from connect_hub.simulator import Simulator

BLOCK_ENV = "CONNECT_HUB_BLOCK_PLUGINS"
"""Comma-separated plugin names not to load (e.g. to disable a broken third-party plugin)."""

log = logging.getLogger(__name__)


@dataclass
class Unavailable:
    """Plugins that were found but are not in use, so errors can say why a connector is missing."""

    blocked: set[str] = field(default_factory=set)
    """Entry-point names listed in ``CONNECT_HUB_BLOCK_PLUGINS``."""
    broken: dict[str, str] = field(default_factory=dict)
    """Plugin name -> one line saying why it could not be used."""

    def explain(self, connector: str) -> str | None:
        """Why the connector ``connector`` is missing, when a plugin of that name is the reason."""
        if connector in self.blocked:
            return f"connector {connector!r} is blocked: plugin {connector!r} is listed in {BLOCK_ENV}"
        if connector in self.broken:
            return f"connector {connector!r} is unavailable: {self.broken[connector]}"
        return None


def blocked_names() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCK_ENV, "").split(",") if name.strip()}


def get_plugin_manager(
    extra: Iterable[tuple[str, object]] = (),
    *,
    load_entry_points: bool = True,
    unavailable: Unavailable | None = None,
) -> pluggy.PluginManager:
    """A plugin manager with the hub's specs, every installed plugin and ``extra`` ones.

    A plugin that cannot be imported, or that implements a hook that does not exist, is left
    out and recorded in ``unavailable`` with one line naming it (without ``unavailable``, it
    raises that line as a :class:`PluginError`). Plugins named in ``CONNECT_HUB_BLOCK_PLUGINS``
    are not loaded.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    from connect_hub import builtin_rules

    pm.register(builtin_rules, name="core-rules")
    blocked = blocked_names()
    if unavailable is not None:
        unavailable.blocked |= blocked
    found = entry_points(group=ENTRY_POINT_GROUP) if load_entry_points else ()
    candidates: list[tuple[str, Callable[[], object], str]] = [
        (ep.name, ep.load, f" ({ep.value})") for ep in found if ep.name not in blocked
    ]
    candidates += [(name, lambda plugin=plugin: plugin, "") for name, plugin in extra]
    for name, load, where in candidates:
        if where and pm.has_plugin(name):
            continue  # the same entry point installed twice
        try:
            try:
                plugin = load()
            except Exception as exc:  # noqa: BLE001 - any import failure is the plugin's
                raise PluginError(f"plugin {name!r}{where} failed to load: {_one_line(exc)}") from None
            _register(pm, name, plugin)
        except PluginError as exc:
            if unavailable is None:
                raise
            unavailable.broken[name] = str(exc)
    return pm


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        raise PluginError(f"plugin {name!r} is broken: {str(exc).splitlines()[0]}") from None


def carries_problem(manifest: Manifest) -> str | None:
    """What is wrong with a flow's ``carries`` in ``manifest``, in one line, or None: each name
    must be a field of the flow's canonical model, and only an import carries."""
    from connect_hub.canonical import MODELS

    for flow in manifest.flows + tuple(f for p in manifest.presets for f in p.flows):
        if not flow.carries:
            continue
        where = f"the {flow.data_type} {flow.direction} flow"
        if flow.direction != Direction.IMPORT:
            return f"{where} has carries, which only an import flow takes"
        model = MODELS[flow.data_type]
        for carried in flow.carries:
            if carried not in model.model_fields:
                return (f"{where} carries {carried!r}, which is no field of {model.__name__} "
                        f"(its fields: {', '.join(model.model_fields)})")
    return None


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Plugins:
    """The typed facade over the plugin manager, with the connectors' manifests."""

    def __init__(self, pm: pluggy.PluginManager, unavailable: Unavailable | None = None):
        self.pm = pm
        self.unavailable = unavailable or Unavailable()
        self._callers: dict[tuple[str, str], Any] = {}
        self.manifests: dict[str, Manifest] = {}
        self._connector_plugin: dict[str, str] = {}
        for name, plugin in list(pm.list_name_plugin()):
            if not hasattr(plugin, "hub_connector_manifest"):
                continue
            try:
                self._declare(name)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
                problem = str(exc) if isinstance(exc, PluginError) else f"plugin {name!r} is broken: hub_connector_manifest raised {_one_line(exc)}"
                self.unavailable.broken[name] = problem
                pm.unregister(name=name)
                self._callers.clear()

    def _declare(self, name: str) -> None:
        manifest = self._call(name, "hub_connector_manifest")
        if not isinstance(manifest, Manifest):
            raise PluginError(f"plugin {name!r} is broken: hub_connector_manifest did not return a Manifest")
        if manifest.name in self.manifests:
            other = self._connector_plugin[manifest.name]
            raise PluginError(f"plugin {name!r} declares connector {manifest.name!r}, which plugin {other!r} already declares")
        problem = carries_problem(manifest)
        if problem:
            raise PluginError(f"plugin {name!r} is broken: connector {manifest.name!r}: {problem}")
        self.manifests[manifest.name] = manifest
        self._connector_plugin[manifest.name] = name

    @classmethod
    def load(cls, extra: Iterable[tuple[str, object]] = ()) -> Plugins:
        """Every installed plugin and ``extra`` ones; a broken one is left out, logged as a
        warning in one line naming it, and kept in ``unavailable``."""
        unavailable = Unavailable()
        plugins = cls(get_plugin_manager(extra, unavailable=unavailable), unavailable)
        for problem in plugins.unavailable.broken.values():
            log.warning("%s; accounts that use it cannot run", problem)
        return plugins

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

    def register_commands(self, commands: CommandRegistry) -> None:
        """Let every plugin add its commands; one whose hook fails is logged in one line and
        the command line goes on without its commands."""
        for name, plugin in list(self.pm.list_name_plugin()):
            if not hasattr(plugin, "hub_register_commands"):
                continue
            commands.plugin = name
            try:
                self._call(name, "hub_register_commands", commands=commands)
            except Exception as exc:  # noqa: BLE001 - one plugin's commands must not stop the CLI
                commands.discard()
                problem = str(exc) if isinstance(exc, PluginError) else f"plugin {name!r} is broken: hub_register_commands raised {_one_line(exc)}"
                log.warning("%s; its commands are left out", problem)
            else:
                commands.commit()

    # connector hooks, in the order the hub runs them

    def simulator(self, integration: Integration, pace: float) -> AbstractContextManager[Simulator] | None:
        return self._for(integration, "hub_simulator", pace=pace)

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

    async def webhook_status(self, integration: Integration) -> list[WebhookStatus] | None:
        """The integration's webhooks as its remote system has them; None if the connector cannot tell."""
        if not self.implements(integration.connector, "hub_webhook_status"):
            return None
        return list(await _resolve(self._for(integration, "hub_webhook_status")) or [])

    async def maintain(self, integration: Integration) -> list[Notice]:
        return list(await _resolve(self._for(integration, "hub_maintain")) or [])
