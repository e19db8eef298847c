"""Simulators: local stand-ins for the remote systems connectors talk to, and the base to build one.

A connector ships one through the ``hub_simulator`` hook; ``connect-hub serve --simulators``,
``connect-hub demo`` and the end-to-end tests start one for every integration of the account
whose connector has one, on the address its settings give, before they start the hub. The same
fake serves the connector's own tests and the contract suite (:mod:`connect_hub.testing`).

The pieces, shared by the shipped WooCommerce sandbox and warehouse simulator:

- :func:`running_app` (``server``): serve any ASGI app (Starlette, say) on a local socket in a
  background thread; the URL is known before the app starts answering;
- :class:`Fault`, :class:`FaultQueue` and :class:`FaultInjector` (``faults``): queue 500s, 429
  with ``Retry-After``, slow answers, garbage bodies or 4xx refusals for the next requests;
- :class:`WebhookSender` (``webhooks``): signed outgoing webhooks to subscribed URLs, in order,
  with retries and a delivery log;
- :func:`local_port`: the port an integration's URL setting gives its simulator;
- the roles :class:`Storefront` and :class:`Fulfiller`, which let a simulator take part in the
  demo.

A fake in thirty lines::

    faults: FaultQueue[Fault] = FaultQueue()
    sender = WebhookSender(sign=lambda secret, body: {"X-Signature": hex_hmac_sha256(secret, body)})
    app = FaultInjector(Starlette(routes=[...]), faults, path_prefix="/api/")
    with running_app(app, port=0, name="fake CRM") as url:
        faults.add(Fault.rate_limited(retry_after=7))
        ...
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connect_hub.contracts import Integration
from connect_hub.errors import ConfigError
from connect_hub.simulator.faults import Fault, FaultInjector, FaultQueue
from connect_hub.simulator.roles import (
    CatalogueItem,
    Fulfiller,
    SimulatedOrder,
    Simulator,
    Storefront,
)
from connect_hub.simulator.server import bind, running_app, serving
from connect_hub.simulator.webhooks import WebhookSender, base64_hmac_sha256, hex_hmac_sha256

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


__all__ = [
    "LOCAL_HOSTS",
    "CatalogueItem",
    "Fault",
    "FaultInjector",
    "FaultQueue",
    "Fulfiller",
    "SimulatedOrder",
    "Simulator",
    "Storefront",
    "WebhookSender",
    "base64_hmac_sha256",
    "bind",
    "hex_hmac_sha256",
    "local_port",
    "running_app",
    "serving",
]
