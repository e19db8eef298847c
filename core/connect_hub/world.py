"""A whole loop on one machine: the hub with the shipped WooCommerce sandbox and warehouse simulator.

``connect-hub serve --simulators`` and ``connect-hub demo`` run it, and so do the end-to-end
tests. The simulators are started on the addresses the account file gives the integrations
(``http://127.0.0.1:PORT``), with the keys it gives them, so the hub talks to them exactly as
it would to a real shop and a real warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connect_hub.config import AccountConfig
from connect_hub.embedded import HubProcess, running_hub
from connect_hub.errors import ConfigError
from connect_hub.runtime import Runtime

LOCAL_HOSTS = ("127.0.0.1", "localhost")


@dataclass
class World:
    hub: HubProcess
    shops: dict[str, Any] = field(default_factory=dict)
    """Integration name -> running WooCommerce sandbox."""
    warehouses: dict[str, Any] = field(default_factory=dict)
    """Integration name -> running warehouse simulator."""


def _local_port(config: AccountConfig, name: str, url: str) -> int:
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS or parts.port is None:
        raise ConfigError(f"a simulator runs only on 127.0.0.1 with an explicit port, got {url!r}", file=config.source_file, path=f"integrations.{name}.settings.url")
    return parts.port


@contextmanager
def running_world(config: AccountConfig, *, ship_after: float = 3.0, queue_interval: float = 0.5, migrate: bool = True) -> Iterator[World]:
    """Start a simulator for every integration of a shipped connector, then the hub (embedded)."""
    from connect_hub_efulfillment.simulator.server import running_simulator
    from connect_hub_woocommerce.sandbox.server import running_sandbox
    from connect_hub_woocommerce.sandbox.state import ApiKey

    with ExitStack() as stack:
        runtime = Runtime(config, migrate=migrate)
        shops: dict[str, Any] = {}
        warehouses: dict[str, Any] = {}
        for name, integration in runtime.account.integrations.items():
            settings = integration.settings
            if integration.connector == "woocommerce":
                port = _local_port(config, name, str(settings["url"]))
                key = ApiKey(str(settings["api_key"]), str(settings["api_secret"]))
                shops[name] = stack.enter_context(running_sandbox(port=port, keys=(key,), seed=True, queue_interval=queue_interval))
            elif integration.connector == "efulfillment":
                port = _local_port(config, name, str(settings["url"]))
                warehouses[name] = stack.enter_context(running_simulator(port=port, api_key=str(settings["api_key"]), ship_after=ship_after))
        hub = stack.enter_context(running_hub(runtime, port=config.service.port))
        yield World(hub=hub, shops=shops, warehouses=warehouses)
