"""A simulated e-fulfilment warehouse, served over real HTTP for tests, demos and development."""

from connect_hub_efulfillment.simulator.app import create_app
from connect_hub_efulfillment.simulator.server import (
    RunningSimulator,
    run_simulator,
    running_simulator,
)
from connect_hub_efulfillment.simulator.state import Fault, WarehouseState
from connect_hub_efulfillment.simulator.webhooks import sign

__all__ = [
    "Fault",
    "RunningSimulator",
    "WarehouseState",
    "create_app",
    "run_simulator",
    "running_simulator",
    "sign",
]
