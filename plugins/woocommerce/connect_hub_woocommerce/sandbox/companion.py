"""The Connect Hub companion plugin as the sandbox runs it: pairing, checkouts, shipments.

Its messages (``checkout.updated``, ``checkout.completed``, ``shipment.created``) go through the
webhook queue with the body fixed when queued, to the address and secret given at pairing.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from decimal import Decimal

from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError, missing_param
from connect_hub_woocommerce.sandbox.orders import Orders
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.values import Json, as_list, integer, money
from connect_hub_woocommerce.sandbox.webhooks import Webhooks

PLUGIN_VERSION = "0.1.0"
"""The companion plugin version the sandbox reports."""
SANDBOX_PAIRING_CODE = "sandbox-pairing-code"
"""The code the sandbox's companion plugin accepts at pairing."""
CHECKOUT_META_KEY = "_connect_hub_checkout_id"


class Companion:
    """The plugin's pairing (an option: a reset keeps it), checkouts and order shipments."""

    def __init__(
        self,
        ctx: ShopContext,
        webhooks: Webhooks,
        products: Products,
        orders: Orders,
        *,
        installed: bool,
        pairing_code: str = SANDBOX_PAIRING_CODE,
    ):
        self.ctx = ctx
        self.webhooks = webhooks
        self.products = products
        self.orders = orders
        self.installed = installed
        self.pairing_code = pairing_code
        self.pairing: Json | None = None
        """``{"hub_url", "secret"}`` once paired."""
        self.checkouts: dict[str, Json] = {}

    def reset(self) -> None:
        with self.ctx.lock:
            self.checkouts.clear()

    def status(self) -> Json:
        """As the real plugin's ``GET /status``: the hub URL and the secret's fingerprint tell the
        hub whether the plugin is paired with it."""
        with self.ctx.lock:
            pairing = self.pairing or {}
            secret = str(pairing.get("secret") or "")
            return {
                "version": PLUGIN_VERSION, "paired": self.pairing is not None,
                "hub_url": str(pairing.get("hub_url") or ""),
                "secret_fingerprint": hashlib.sha256(f"connect-hub-webhook:{secret}".encode()).hexdigest()[:8] if secret else "",
            }  # fmt: skip

    def current_pairing(self) -> Json | None:
        with self.ctx.lock:
            return dict(self.pairing) if self.pairing is not None else None

    def pair(self, data: Json) -> Json:
        """Pair the plugin with a hub: ``{"code", "hub_url", "secret"}``; the code must match."""
        with self.ctx.lock:
            for name in ("code", "hub_url", "secret"):
                if not data.get(name):
                    raise missing_param(name)
            if not secrets.compare_digest(str(data["code"]), self.pairing_code):
                raise ShopError(
                    403,
                    "connect_hub_invalid_pairing_code",
                    "The pairing code is not the one this shop shows.",
                )
            self.pairing = {"hub_url": str(data["hub_url"]), "secret": str(data["secret"])}
            return {"paired": True, "hub_url": self.pairing["hub_url"]}

    # --- checkouts ------------------------------------------------------------------------

    def _checkout(self, checkout_id: str) -> Json:
        checkout = self.checkouts.get(checkout_id)
        if checkout is None:
            raise ShopError(404, "sandbox_unknown_checkout", f"no checkout with id {checkout_id!r}")
        return checkout

    def checkout_json(self, checkout: Json) -> Json:
        """A checkout as the companion plugin sends it."""
        body = {
            "id": checkout["id"], "status": checkout["status"], "email": checkout["email"],
            "first_name": checkout["first_name"], "last_name": checkout["last_name"],
            "currency": checkout["currency"],
            "total": money(sum((Decimal(line["price"]) * line["quantity"] for line in checkout["lines"]), Decimal(0))),
            "lines": copy.deepcopy(checkout["lines"]), "recovery_url": checkout["recovery_url"],
            "updated_at_gmt": checkout["updated_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }  # fmt: skip
        if checkout.get("order_id"):
            body["order_id"] = checkout["order_id"]
        return body

    def start_checkout(self, data: Json) -> Json:
        """A shopper with a known e-mail and a cart (``{"email", "first_name", "last_name",
        "lines": [{"sku", "quantity"}]}``; with ``id``: that checkout's cart changes); queues
        ``checkout.updated``."""
        with self.ctx.lock:
            email = str(data.get("email") or "")
            if "@" not in email:
                raise missing_param("email")
            lines = []
            for line in as_list(data.get("lines"), "lines"):
                product = self.products.for_line(line)
                lines.append({
                    "sku": product["sku"], "name": self.products.name_of(product),
                    "quantity": integer(line.get("quantity", 1)) or 1,
                    "price": money(self.products.price_of(product) or Decimal(0)),
                })  # fmt: skip
            checkout_id = str(data.get("id") or uuid.uuid4())
            checkout = self.checkouts.get(checkout_id)
            if checkout is None:
                checkout = self.checkouts[checkout_id] = {
                    "id": checkout_id, "status": "pending", "currency": "USD", "order_id": None,
                    "recovery_url": f"{self.ctx.url}/checkout/?connect-hub-cart={checkout_id}",
                }  # fmt: skip
            checkout.update(
                email=email, first_name=str(data.get("first_name") or ""),
                last_name=str(data.get("last_name") or ""), lines=lines, updated_at=self.ctx.now(),
            )  # fmt: skip
            body = self.checkout_json(checkout)
            self.webhooks.emit_message("checkout.updated", body)
            return body

    def place_order(self, data: Json) -> Json:
        """An order placed from a checkout (``checkout_id``): lines, e-mail and names default
        to the checkout's, the order keeps the checkout id in meta ``_connect_hub_checkout_id``,
        and the checkout is completed (``checkout.completed``)."""
        with self.ctx.lock:
            checkout = self._checkout(str(data["checkout_id"]))
            data = {
                **data,
                "lines": data.get("lines") or [
                    {"sku": line["sku"], "quantity": line["quantity"]} for line in checkout["lines"]
                ],
                "email": data.get("email") or checkout["email"],
                "billing": {"first_name": checkout["first_name"], "last_name": checkout["last_name"],
                            **(data.get("billing") or {})},
                "meta_data": [{"key": CHECKOUT_META_KEY, "value": checkout["id"]}],
            }  # fmt: skip
            order = self.orders.place(data)
            checkout.update(status="completed", order_id=order["id"], updated_at=self.ctx.now())
            self.webhooks.emit_message("checkout.completed", self.checkout_json(checkout))
            return order

    # --- shipments ------------------------------------------------------------------------

    def list_shipments(self, order_id: int) -> list[Json]:
        with self.ctx.lock:
            return copy.deepcopy(self.orders.record(order_id, status=404)["shipments"])

    def add_shipment(self, order_id: int, data: Json, *, source: str) -> tuple[Json, bool]:
        """A shipment on an order's panel, and whether it is new: one with the same
        ``external_id`` is answered as it is (idempotent). Queues ``shipment.created``."""
        with self.ctx.lock:
            order = self.orders.record(order_id, status=404)
            external_id = str(data.get("external_id") or "")
            for existing in order["shipments"]:
                if external_id and existing["external_id"] == external_id:
                    return copy.deepcopy(existing), False
            if not data.get("tracking_number"):
                raise missing_param("tracking_number")
            shipment = {
                "id": str(uuid.uuid4()), "provider": str(data.get("provider") or ""),
                "tracking_number": str(data["tracking_number"]),
                "tracking_url": str(data.get("tracking_url") or ""), "external_id": external_id,
                "created_at_gmt": self.ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "source": source,
            }  # fmt: skip
            order["shipments"].append(shipment)
            self.webhooks.emit_message("shipment.created", {
                "order_id": order["id"], "order_number": str(order["id"]), "shipment": copy.deepcopy(shipment),
            })  # fmt: skip
            return copy.deepcopy(shipment), True

    def summary(self) -> Json:
        with self.ctx.lock:
            return {
                "installed": self.installed,
                "paired": self.pairing is not None,
                "hub_url": (self.pairing or {}).get("hub_url"),
            }
