"""What a running simulator is, and the roles the demo drives: a storefront and a fulfiller.

A connector's ``hub_simulator`` hook yields a :class:`Simulator`. One that also implements
:class:`Storefront` (shoppers place orders there) or :class:`Fulfiller` (it receives orders and
ships them) can take part in ``connect-hub demo``: the demo places orders in the first
storefront of the account and watches them reach the first fulfiller, come back shipped and
bring the fulfiller's stock figures along. The demo knows these roles, never a connector.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@runtime_checkable
class Simulator(Protocol):
    """A local stand-in for an integration's remote system, serving at ``url``."""

    title: str
    """What it simulates, for people: ``WooCommerce sandbox``, ``warehouse simulator``."""
    url: str
    """Where it listens (no trailing slash): the address the integration's settings give."""

    def onboarded(self) -> bool:
        """Whether the hub has set up what it needs there (webhooks, subscriptions)."""
        ...


@dataclass(frozen=True)
class SimulatedOrder:
    """An order as a simulated system holds it, in the words the demo reads."""

    id: str
    """The order's id in the simulated system."""
    reference: str
    """The hub's reference of the order (``Order.reference``), by which other systems know it."""
    status: str
    """A storefront says a hub :class:`~connect_hub.canonical.OrderStatus` (``processing``,
    ``completed``, ``cancelled``...); a fulfiller says ``received``, ``shipped`` or
    ``cancelled``."""
    lines: tuple[tuple[str, int], ...] = ()
    """(SKU, quantity) per line."""
    tracking: tuple[str, ...] = ()
    """Storefront: the tracking information the customer sees (notes, tracking items)."""
    extra: Mapping[str, object] = field(default_factory=dict)
    """Whatever else the simulator shows about it (for tests and displays)."""


@dataclass(frozen=True)
class CatalogueItem:
    """A product a storefront sells with managed stock."""

    sku: str
    variation: bool = False
    """A variation of a variable product (a T-shirt in size M)."""


@runtime_checkable
class Storefront(Simulator, Protocol):
    """A simulated shop: shoppers place orders; the merchant may cancel them."""

    def catalogue(self) -> list[CatalogueItem]:
        """The products that can be ordered (with managed stock)."""
        ...

    def place_order(self, lines: list[tuple[str, int]], email: str) -> str:
        """Place an order as a shopper would; returns its id in the shop."""
        ...

    def cancel_order(self, order_id: str) -> None:
        """Cancel an order as the merchant would."""
        ...

    def orders(self) -> dict[str, SimulatedOrder]:
        """Every order, by its id in the shop."""
        ...

    def stock(self) -> dict[str, int]:
        """The stock figure of every product with managed stock, by SKU."""
        ...


@runtime_checkable
class Fulfiller(Simulator, Protocol):
    """A simulated warehouse: receives orders, ships them, reports stock."""

    def set_stock(self, quantities: dict[str, int]) -> None:
        """Put these quantities on hand, as a stock count would (and report them)."""
        ...

    def orders(self) -> dict[str, SimulatedOrder]:
        """Every order received, by the hub's reference."""
        ...

    def stock(self) -> dict[str, int]:
        """What the warehouse reports as available, by SKU."""
        ...
