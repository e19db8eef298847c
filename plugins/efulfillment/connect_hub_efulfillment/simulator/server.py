"""Running the simulator: blocking for the command line, in a background thread for tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from connect_hub.simulator.server import bind, serving

from connect_hub_efulfillment.simulator.app import create_app
from connect_hub_efulfillment.simulator.state import WarehouseState


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving at ``url`` (no trailing slash) with key ``api_key``."""

    url: str
    api_key: str
    state: WarehouseState


def run_simulator(
    host: str,
    port: int,
    api_key: str,
    *,
    ship_after: float = 0.0,
    webhooks: Iterable[tuple[str, str]] = (),
) -> None:
    """Serve the simulator until interrupted (Ctrl-C)."""
    state = WarehouseState(ship_after=ship_after, webhooks=webhooks)
    try:
        uvicorn.run(create_app(api_key, state), host=host, port=port, log_level="info")
    finally:
        state.close()


@contextmanager
def running_simulator(
    port: int = 0,
    api_key: str = "sim-key",
    *,
    host: str = "127.0.0.1",
    state: WarehouseState | None = None,
    ship_after: float = 0.0,
    webhooks: Iterable[tuple[str, str]] = (),
) -> Iterator[RunningSimulator]:
    """Run the simulator in a background thread; yields once it accepts connections.

    ``port=0`` picks a free port. ``ship_after`` and ``webhooks`` configure a new state; give
    them or ``state``, not both. On exit the server stops (requests still sleeping in a fault
    are cut off after a second), the thread is joined, and the state's background timers and
    webhook deliveries stop.
    """
    if state is not None and (ship_after or webhooks):
        raise ValueError("give either state or ship_after/webhooks, not both")
    warehouse = (
        state if state is not None else WarehouseState(ship_after=ship_after, webhooks=webhooks)
    )
    try:
        sock, url = bind(host, port, "warehouse simulator")
        with serving(create_app(api_key, warehouse), sock, name="warehouse simulator"):
            yield RunningSimulator(url, api_key, warehouse)
    finally:
        warehouse.close()
