"""The warehouse simulator as a simulator of an e-fulfilment integration (``hub_simulator``).

:class:`SimulatedWarehouse` reads and stocks a running simulator over HTTP, so
``connect-hub demo`` can use it as its fulfiller without knowing this connector.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from connect_hub.contracts import Integration
from connect_hub.simulator import SimulatedOrder, local_port

from connect_hub_efulfillment.simulator.server import RunningSimulator, running_simulator


class SimulatedWarehouse:
    """A running warehouse simulator seen as a fulfiller; ``simulator`` is the simulator itself."""

    title = "warehouse simulator"

    def __init__(self, simulator: RunningSimulator):
        self.simulator = simulator
        self.url = simulator.url
        self.http = httpx.Client(timeout=10, headers={"X-Api-Key": simulator.api_key})

    def onboarded(self) -> bool:
        return bool(self.http.get(f"{self.url}/api/v1/webhooks").json())

    def set_stock(self, quantities: dict[str, int]) -> None:
        self.http.post(f"{self.url}/_sim/stock", json=quantities).raise_for_status()

    def orders(self) -> dict[str, SimulatedOrder]:
        return {o["reference"]: _order(o) for o in self.http.get(f"{self.url}/_sim/orders").json()}

    def stock(self) -> dict[str, int]:
        items = self.http.get(f"{self.url}/api/v1/stock", params={"per_page": 100}).json()
        return {i["sku"]: i["quantity"] for i in items}


def _order(order: dict[str, Any]) -> SimulatedOrder:
    return SimulatedOrder(
        id=order["id"],
        reference=order["reference"],
        status=order["status"],
        lines=tuple((line["sku"], line["quantity"]) for line in order["lines"]),
        extra=order,
    )


@contextmanager
def simulate(integration: Integration, pace: float) -> Iterator[SimulatedWarehouse]:
    """A simulator on the integration's ``url`` taking its ``api_key``; it ships each order
    ``pace`` seconds after receiving it."""
    port = local_port(integration, "url")
    with running_simulator(port=port, api_key=str(integration.settings["api_key"]), ship_after=pace) as simulator:
        warehouse = SimulatedWarehouse(simulator)
        try:
            yield warehouse
        finally:
            warehouse.http.close()
