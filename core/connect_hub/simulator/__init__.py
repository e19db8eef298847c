"""Simulators: local stand-ins for the remote systems connectors talk to.

A connector ships one through the ``hub_simulator`` hook; ``connect-hub serve --simulators``,
``connect-hub demo`` and the end-to-end tests start one for every integration of the account
whose connector has one, on the address its settings give, before they start the hub.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connect_hub.contracts import Integration
from connect_hub.errors import ConfigError
from connect_hub.simulator.roles import (
    CatalogueItem,
    Fulfiller,
    SimulatedOrder,
    Simulator,
    Storefront,
)

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def local_port(integration: Integration, setting: str) -> int:
    """The port of the integration's URL setting ``setting``, where its simulator must listen.

    Raises :class:`~connect_hub.errors.ConfigError` naming the setting unless the URL is
    ``http://127.0.0.1:PORT`` (or ``localhost``) with an explicit port.
    """
    url = str(integration.settings.get(setting) or "")
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS or parts.port is None:
        raise ConfigError(
            f"a simulator runs only on http://127.0.0.1 with an explicit port, got {url!r}",
            path=f"integrations.{integration.name}.settings.{setting}",
        )
    return parts.port


__all__ = ["LOCAL_HOSTS", "CatalogueItem", "Fulfiller", "SimulatedOrder", "Simulator", "Storefront", "local_port"]
