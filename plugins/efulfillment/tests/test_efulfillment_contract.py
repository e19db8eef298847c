"""The hub's contract suite (connect_hub.testing) run against the e-fulfilment connector and the
warehouse simulator, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from connect_hub.manifest import DataType
from connect_hub.simulator.faults import Fault
from connect_hub.testing import ConnectorContract, ConnectorUnderTest
from connect_hub_efulfillment import hooks
from connect_hub_efulfillment.simulator import Fault as WarehouseFault
from connect_hub_efulfillment.simulator import RunningSimulator, running_simulator

API_KEY = "wh-contract-key-77"


class WarehouseRemote:
    """The warehouse simulator as the contract suite drives it: its floor restocks and ships."""

    def __init__(self, simulator: RunningSimulator):
        self.state = simulator.state

    def create(self, data_type: DataType, count: int) -> list[str]:
        tag = uuid.uuid4().hex[:8]
        if data_type == DataType.STOCKS:
            skus = [f"CT-{tag}-{n}" for n in range(count)]
            self.state.set_stock({sku: 5 for sku in skus})
            return skus
        if data_type == DataType.SHIPMENTS:
            references = [f"contract-{tag}-{n}" for n in range(count)]
            for reference in references:
                self.state.create_order({"reference": reference, "lines": [{"sku": f"CT-{tag}", "quantity": 1}]})
                self.state.ship_order(reference)
            return references
        raise NotImplementedError(data_type)

    def count(self, data_type: DataType) -> int:
        return len(self.state.orders)

    def add_fault(self, fault: Fault) -> None:
        self.state.faults.add(WarehouseFault(**{**asdict(fault), "path_prefix": "/api/"}))

    def clear_faults(self) -> None:
        self.state.faults.clear()


@pytest.fixture(scope="module")
def warehouse() -> Iterator[RunningSimulator]:
    with running_simulator(port=0, api_key=API_KEY) as simulator:
        yield simulator


@pytest.fixture
def connector_under_test(warehouse: RunningSimulator) -> ConnectorUnderTest:
    return ConnectorUnderTest(
        plugin=hooks,
        settings={"url": warehouse.url, "api_key": API_KEY, "timeout": "1s"},
        remote=WarehouseRemote(warehouse),
        signature_header="x-warehouse-signature",
        timeout_after=1.0,
        poll_items=150,
    )


class TestEfulfillmentContract(ConnectorContract):
    pass
