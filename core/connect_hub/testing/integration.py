"""An :class:`~connect_hub.contracts.Integration` for a connector's own unit tests, built as the
hub builds one from an account file, without running a hub (no store, no broker, no service).

::

    from connect_hub.testing import build_integration
    from connect_hub_mycrm import hooks

    crm = build_integration(hooks, {"url": "http://127.0.0.1:9", "token": "t0k3n", "timeout": "2s"})
    assert crm.settings["timeout"] == 2.0          # read by type, defaults filled in
    verdict = hooks.hub_webhook_verify(integration=crm, request=...)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from connect_hub.account import build_account
from connect_hub.config import AccountConfig, IntegrationConfig, ServiceConfig
from connect_hub.contracts import Integration
from connect_hub.errors import PluginError
from connect_hub.plugins import Plugins, get_plugin_manager

SOURCE = "build_integration"
"""What errors name as the file the settings came from."""


def connector_plugins(plugin: object) -> Plugins:
    """The hub's plugin facade over ``plugin`` alone (no installed plugin is loaded).

    Raises :class:`~connect_hub.errors.PluginError` with the one line the hub would log when
    the plugin is broken (an unknown hook, a manifest that raises or has a bad ``carries``) or
    declares no connector.
    """
    plugins = Plugins(get_plugin_manager([("under-test", plugin)], load_entry_points=False))
    if plugins.unavailable.broken:
        raise PluginError("; ".join(plugins.unavailable.broken.values()))
    if len(plugins.manifests) != 1:
        raise PluginError("the plugin must declare exactly one connector (hub_connector_manifest)")
    return plugins


def build_integration(
    plugin: object,
    settings: Mapping[str, Any],
    *,
    name: str = "test",
    account: str = "test",
    preset: str | None = None,
    flows: Mapping[str, Mapping[str, bool | str]] | None = None,
    public_url: str = "http://127.0.0.1:8080",
    secret_key: str = "test-hub-secret-key",
    plugins: Plugins | None = None,
) -> Integration:
    """The integration ``name`` of connector ``plugin`` with these ``settings``, as the hub builds
    it from an account file: settings checked against the manifest and read by their type
    (defaults filled in), the preset's flows with the ``flows`` overrides (as YAML writes them:
    ``{"contacts": {"import": "5m"}}``), ``public_url`` and ``secret_key`` as the service's.

    Secrets are given in clear here (the account file would take them from the environment).
    A setting that does not fit raises :class:`~connect_hub.errors.ConfigError` naming
    ``integrations.<name>.settings.<setting>``, as ``check-config`` would. ``integration.resources``
    is empty: call the connector's ``hub_integration_start`` yourself if it needs one.
    """
    plugins = plugins or connector_plugins(plugin)
    manifest = next(iter(plugins.manifests.values()))
    config = AccountConfig(
        account=account,
        secret_key=SecretStr(secret_key),
        service=ServiceConfig(public_url=public_url),
        integrations={name: IntegrationConfig(connector=manifest.name, preset=preset, settings=dict(settings), flows=dict(flows or {}))},
        source_file=SOURCE,
        env_paths=frozenset(f"integrations.{name}.settings.{s.name}" for s in manifest.settings if s.secret),
    )
    return build_account(config, plugins).integrations[name]
