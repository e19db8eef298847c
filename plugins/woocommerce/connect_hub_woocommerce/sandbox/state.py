"""The sandbox shop as one object: its resources, wired together, and what spans them.

Each resource lives in a module of its own, and imports run one way (each module imports only
those above it)::

    values, errors, topics, keys, faults   plain values and refusals
    shapes                                 JSON as the real shop renders it
    context                                address, clock, lock, id sequences
    webhooks                               subscriptions, the job queue, the send log
    products, customers                    the catalogue; customer accounts
    order_items                            line items and the stock they take
    orders                                 orders, edits, statuses and their side effects
    notes, refunds, companion              order notes and trackings; refunds; the plugin
    seed                                   the demo catalogue
    state                                  this facade (reset, seed, state snapshot)
    delivery, auth                         sending webhooks; REST authentication
    app, server                            HTTP

Rules follow a real WooCommerce 9.9.5 shop (``/work/shared/woocommerce/FACTS.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from connect_hub.simulator.faults import FaultQueue

from connect_hub_woocommerce.sandbox.companion import SANDBOX_PAIRING_CODE, Companion
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.customers import Customers
from connect_hub_woocommerce.sandbox.faults import Fault
from connect_hub_woocommerce.sandbox.keys import ApiKey, Keys
from connect_hub_woocommerce.sandbox.notes import Notes
from connect_hub_woocommerce.sandbox.orders import Orders
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.refunds import Refunds
from connect_hub_woocommerce.sandbox.seed import seed
from connect_hub_woocommerce.sandbox.values import Json
from connect_hub_woocommerce.sandbox.webhooks import Webhooks


class ShopState:
    """Everything the sandbox shop knows; ``reset`` empties it (keys and options stay)."""

    def __init__(
        self,
        *,
        keys: Iterable[ApiKey],
        url: str = "http://127.0.0.1",
        version: str = "9.9.5",
        custom_statuses: Iterable[str] = (),
        shipment_tracking: bool = False,
        companion_plugin: bool = False,
        pairing_code: str = SANDBOX_PAIRING_CODE,
    ):
        self.ctx = ShopContext(url=url.rstrip("/"), version=version)
        self.keys = Keys(keys)
        self.shipment_tracking = shipment_tracking
        self.faults: FaultQueue[Fault] = FaultQueue()
        self.webhooks = Webhooks(self.ctx)
        self.products = Products(self.ctx, self.webhooks)
        self.customers = Customers(self.ctx, self.webhooks)
        self.orders = Orders(
            self.ctx, self.webhooks, self.products, self.customers, custom_statuses
        )
        self.notes = Notes(self.ctx, self.orders)
        self.refunds = Refunds(self.ctx, self.orders)
        self.companion = Companion(
            self.ctx, self.webhooks, self.products, self.orders,
            installed=companion_plugin, pairing_code=pairing_code,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return self.ctx.url

    @property
    def version(self) -> str:
        return self.ctx.version

    @property
    def clock(self) -> Callable[[], datetime]:
        """The shop's clock (whole seconds, UTC); tests may set another."""
        return self.ctx.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.ctx.clock = clock

    def reset(self, *, keep_webhooks: bool = False) -> None:
        """Forget every object, webhook, fault and nonce; keys and the pairing stay.

        ``keep_webhooks`` keeps the webhooks (their queue, log and mishaps are forgotten) and
        the id sequences go on, so no id of the day before comes back: a hub subscribed once
        can be reused on an emptied shop.
        """
        with self.ctx.lock:
            for part in (self.products, self.orders, self.customers, self.companion):
                part.reset()
            if keep_webhooks:
                self.webhooks.forget_traffic()
            else:
                self.webhooks.reset()
                self.ctx.ids.reset()
            self.keys.forget_nonces()
            self.faults.clear()

    def seed(self, extra_products: int = 0) -> Json:
        """The demo catalogue and customer (see :mod:`.seed`), with no webhook fired."""
        with self.ctx.lock, self.webhooks.muted():
            seed(self.products, self.customers, extra_products)
        return self.snapshot()

    def resource_json(self, resource: str, resource_id: int) -> Json:
        """The body of a delivery, as ``GET /{resource}s/{id}`` shows it now (``{"id"}`` if gone)."""
        with self.ctx.lock:
            tables = {"product": self.products, "order": self.orders, "customer": self.customers}
            table = tables.get(resource)
            if table is not None and resource_id in table.records:
                return table.json(table.records[resource_id])
            return {"id": resource_id}

    def snapshot(self) -> Json:
        """What ``GET /_sandbox/state`` shows: stock, order statuses and notes, webhooks."""
        with self.ctx.lock:
            return {
                "products": self.products.summary(),
                "orders": self.orders.summary(),
                "customers": self.customers.summary(),
                "webhooks": self.webhooks.summary(),
                "checkouts": [self.companion.checkout_json(c) for c in self.companion.checkouts.values()],
                "companion": self.companion.summary(),
                "pending_deliveries": len(self.webhooks.pending),
            }  # fmt: skip
