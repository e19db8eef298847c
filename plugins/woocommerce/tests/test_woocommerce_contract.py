"""The hub's contract suite (connect_hub.testing) run against the WooCommerce connector and the
sandbox shop, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from connect_hub.canonical import Shipment, Stock
from connect_hub.manifest import DataType
from connect_hub.simulator.faults import Fault
from connect_hub.testing import ConnectorContract, ConnectorUnderTest, Sample
from connect_hub_woocommerce import hooks
from connect_hub_woocommerce.sandbox import ApiKey, RunningSandbox, running_sandbox
from connect_hub_woocommerce.sandbox.faults import Fault as SandboxFault

KEY = ApiKey("ck_contract_0123", "cs_contract_4567")


class SandboxRemote:
    """The sandbox shop as the contract suite drives it: changes as its users make them."""

    def __init__(self, sandbox: RunningSandbox):
        self.state = sandbox.state
        self.run = uuid.uuid4().hex[:6]

    def create(self, data_type: DataType, count: int) -> list[str]:
        tag = f"{self.run}-{uuid.uuid4().hex[:4]}"
        if data_type == DataType.PRODUCTS:
            made = [self.state.products.create({"name": f"Contract {n}", "sku": f"CT-{tag}-{n}", "regular_price": "5.00", "manage_stock": True, "stock_quantity": 3}) for n in range(count)]
        elif data_type == DataType.CONTACTS:
            made = [self.state.customers.create({"email": f"ct-{tag}-{n}@example.test", "first_name": "Ada", "last_name": f"Contract{n}"}) for n in range(count)]
        elif data_type == DataType.ORDERS:
            made = [self.state.orders.place({"lines": [{"sku": "MUG-1", "quantity": 1}], "email": f"ct-{tag}-{n}@example.test"}) for n in range(count)]
        else:
            raise NotImplementedError(data_type)
        return [str(m["id"]) for m in made]

    def count(self, data_type: DataType) -> int:
        if data_type == DataType.CONTACTS:
            return len(self.state.customers.records)
        if data_type == DataType.SHIPMENTS:  # a shipment is a customer note or a tracking item
            return sum(
                len([n for n in o["notes"] if n["customer_note"]]) + len(o["trackings"])
                for o in self.state.orders.records.values()
            )
        return len(self.state.products.records)  # stock figures change products, never add one

    def add_fault(self, fault: Fault) -> None:
        self.state.faults.add(SandboxFault(**{**asdict(fault), "path_prefix": "/wp-json/"}))

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def shipment(self, number: int) -> Sample:
        """A shipment for a fresh order of the shop (one the hub placed there, say)."""
        order = self.state.orders.place({"lines": [{"sku": "POSTER-1", "quantity": 1}], "email": f"ct-ship-{self.run}-{number}@example.test"})
        shipment = Shipment(order_reference=f"shop-{order['id']}", carrier="PostNL", tracking_code=f"3SCT{self.run.upper()}{number}")
        return Sample(shipment, related={"order": str(order["id"])})


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(port=0, keys=(KEY,), seed=True, queue_interval=0.1) as shop:
        yield shop


@pytest.fixture
def connector_under_test(sandbox: RunningSandbox) -> ConnectorUnderTest:
    remote = SandboxRemote(sandbox)
    return ConnectorUnderTest(
        plugin=hooks,
        settings={
            "url": sandbox.url, "api_key": KEY.consumer_key, "api_secret": KEY.consumer_secret,
            "requests_per_second": 500, "timeout": "1s",
        },
        remote=remote,
        preset="shop-with-efulfillment",
        samples={
            DataType.STOCKS: lambda n: Stock(sku="STICKER-1", quantity=50 + n),
            DataType.SHIPMENTS: remote.shipment,
        },
        signature_header="x-wc-webhook-signature",
        timeout_after=1.0,
        poll_items=120,
    )


class TestWooCommerceContract(ConnectorContract):
    pass
