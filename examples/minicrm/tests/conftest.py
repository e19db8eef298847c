"""The hub's contract suite (connect_hub.testing) against the fake MiniCRM."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from connect_hub.canonical import Address, Order, OrderLine, OrderStatus
from connect_hub.manifest import DataType
from connect_hub_minicrm.simulator import FakeMiniCrm, running

if TYPE_CHECKING:
    from connect_hub.testing import ConnectorUnderTest

pytest_plugins = ["connect_hub.testing"]

API_KEY = "mk_test_2718"
RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="session")
def running_fake() -> Iterator[FakeMiniCrm]:
    """One fake MiniCRM for the whole run: starting one per test costs more than the test."""
    with running(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def fake(running_fake: FakeMiniCrm) -> FakeMiniCrm:
    """The shared fake, reset for each test: nothing left from the test before (whose webhook
    receiver is gone: retrying it would hold up this test's webhooks)."""
    running_fake.reset()
    return running_fake


def an_order(number: int) -> Order:
    """A guest's order, as a shop would send it to the hub."""
    buyer = Address(first_name="Noor", last_name=f"Buyer{number}", email=f"buyer-{RUN}-{number}@example.test")
    return Order(
        reference=f"shop-{RUN}-{number}", source="shop", number=str(number), status=OrderStatus.PROCESSING, currency="EUR",
        total="49.90", email=buyer.email, billing=buyer, shipping=buyer,
        lines=[OrderLine(sku="MUG-1", quantity=2, unit_price="24.95", total="49.90")],
    )


@pytest.fixture
def connector_under_test(fake: FakeMiniCrm) -> ConnectorUnderTest:
    from connect_hub.testing import ConnectorUnderTest
    from connect_hub_minicrm import hooks

    return ConnectorUnderTest(
        plugin=hooks,
        settings={"url": fake.url, "api_key": API_KEY, "timeout": "1s", "page_size": 20},
        remote=fake,
        samples={DataType.ORDERS: an_order},
        timeout_after=1.0,
        poll_items=50,
    )
