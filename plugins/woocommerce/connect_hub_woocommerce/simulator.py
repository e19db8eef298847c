"""The WooCommerce sandbox as a simulator of a WooCommerce integration (``hub_simulator``).

:class:`SandboxShop` drives a running sandbox over HTTP the way a shopper (orders on
``/_sandbox/orders``) and a merchant (a signed REST call to cancel) would, and reads it back, so
``connect-hub demo`` can use it as its storefront without knowing WooCommerce.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from connect_hub.contracts import Integration
from connect_hub.simulator import CatalogueItem, SimulatedOrder, local_port

from connect_hub_woocommerce.sandbox.auth import authorization_header
from connect_hub_woocommerce.sandbox.keys import ApiKey
from connect_hub_woocommerce.sandbox.server import RunningSandbox, running_sandbox
from connect_hub_woocommerce.watchdog import TOPICS

_STATUS = {"on-hold": "on_hold"}
"""WooCommerce statuses whose hub name differs."""


class SandboxShop:
    """A running sandbox shop seen as a storefront; ``sandbox`` is the sandbox itself."""

    title = "WooCommerce sandbox"

    def __init__(self, integration_name: str, sandbox: RunningSandbox):
        self.integration_name = integration_name
        self.sandbox = sandbox
        self.url = sandbox.url
        self.http = httpx.Client(timeout=10)

    def state(self) -> dict[str, Any]:
        return self.http.get(f"{self.url}/_sandbox/state").json()

    def onboarded(self) -> bool:
        active = {h["topic"] for h in self.state()["webhooks"] if h["status"] == "active"}
        return set(TOPICS) <= active

    def catalogue(self) -> list[CatalogueItem]:
        products = self.state()["products"]
        return [
            CatalogueItem(p["sku"], variation=p["parent_id"] not in (0, None))
            for p in products
            if p["manage_stock"] and p["sku"]
        ]

    def place_order(self, lines: list[tuple[str, int]], email: str) -> str:
        body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], "email": email}
        response = self.http.post(f"{self.url}/_sandbox/orders", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    def cancel_order(self, order_id: str) -> None:
        url = f"{self.url}/wp-json/wc/v3/orders/{order_id}"
        header = authorization_header("PUT", url, self.sandbox.consumer_key, self.sandbox.consumer_secret)
        self.http.put(url, json={"status": "cancelled"}, headers={"Authorization": header}).raise_for_status()

    def orders(self) -> dict[str, SimulatedOrder]:
        return {str(o["id"]): self._order(o) for o in self.state()["orders"]}

    def _order(self, order: dict[str, Any]) -> SimulatedOrder:
        notes = [n["note"] for n in order["notes"] if n["customer_note"] and "tracking code" in n["note"].lower()]
        trackings = [str(t.get("tracking_number", t)) for t in order["trackings"]]
        return SimulatedOrder(
            id=str(order["id"]),
            reference=f"{self.integration_name}-{order['id']}",
            status=_STATUS.get(order["status"], order["status"]),
            lines=tuple((line["sku"], line["quantity"]) for line in order["lines"]),
            tracking=tuple(notes + trackings),
            extra=order,
        )

    def stock(self) -> dict[str, int]:
        return {p["sku"]: p["stock_quantity"] for p in self.state()["products"] if p["manage_stock"] and p["sku"]}


@contextmanager
def simulate(integration: Integration, pace: float) -> Iterator[SandboxShop]:
    """A seeded sandbox on the integration's ``url``, taking its ``api_key`` and ``api_secret``."""
    key = ApiKey(str(integration.settings["api_key"]), str(integration.settings["api_secret"]))
    port = local_port(integration, "url")
    with running_sandbox(port=port, keys=(key,), seed=True, queue_interval=min(0.5, pace / 5)) as sandbox:
        shop = SandboxShop(integration.name, sandbox)
        try:
            yield shop
        finally:
            shop.http.close()
