"""Registered customers: accounts with a unique e-mail and username, billing and shipping."""

from __future__ import annotations

import copy

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param, missing_param
from connect_hub_woocommerce.sandbox.values import Json, wc_date
from connect_hub_woocommerce.sandbox.webhooks import Webhooks


class Customers:
    """The shop's customer accounts: ``records`` by user id."""

    def __init__(self, ctx: ShopContext, webhooks: Webhooks):
        self.ctx = ctx
        self.webhooks = webhooks
        self.records: dict[int, Json] = {}

    def reset(self) -> None:
        with self.ctx.lock:
            self.records.clear()

    def json(self, record: Json) -> Json:
        return shapes.customer(self.ctx.url, record)

    def list(self, *, email: str | None = None, role: str = "customer") -> list[Json]:
        """Customers by id; filters by ``email`` only (the real shop has no date filter)."""
        with self.ctx.lock:
            return [
                self.json(c)
                for c in self.records.values()
                if (email is None or c["email"].lower() == email.lower())
                and role in ("all", c["role"])
            ]

    def get(self, customer_id: int) -> Json:
        with self.ctx.lock:
            return self.json(self._customer(customer_id))

    def by_email(self, email: str) -> Json | None:
        """The stored account with exactly that e-mail, if any."""
        with self.ctx.lock:
            return next((c for c in self.records.values() if c["email"] == email), None)

    def _customer(self, customer_id: int) -> Json:
        customer = self.records.get(customer_id)
        if customer is None:
            raise ShopError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return customer

    def create(self, data: Json) -> Json:
        """A registered customer; queues ``customer.created`` and ``customer.updated``."""
        with self.ctx.lock:
            email = data.get("email")
            if not email:
                raise missing_param("email")
            email = str(email)
            self._check_email(email, own_id=None)
            username = str(data.get("username") or email.split("@", 1)[0])
            if any(c["username"] == username for c in self.records.values()):
                raise ShopError(
                    400, "registration-error-username-exists",
                    "An account is already registered with that username. Please choose another.",
                )  # fmt: skip
            now = self.ctx.now()
            customer: Json = {
                "id": self.ctx.next_id("user"), "email": email, "username": username,
                "role": "customer", "first_name": str(data.get("first_name") or ""),
                "last_name": str(data.get("last_name") or ""),
                "billing": shapes.address(data.get("billing"), email=True),
                "shipping": shapes.address(data.get("shipping"), email=False),
                "is_paying_customer": False, "meta_data": [],
                "date_created": now, "date_modified": now,
            }  # fmt: skip
            self.ctx.merge_meta(
                customer["meta_data"], [{"key": "default_password_nag", "value": "1"}]
            )
            self.ctx.merge_meta(customer["meta_data"], data.get("meta_data"))
            self.records[customer["id"]] = customer
            self.webhooks.emit("customer", "created", customer["id"])
            self.webhooks.emit("customer", "updated", customer["id"])
            return self.json(customer)

    def update(self, customer_id: int, data: Json) -> Json:
        with self.ctx.lock:
            customer = self._customer(customer_id)
            if "email" in data:
                self._check_email(str(data["email"]), own_id=customer_id)
            before = copy.deepcopy({k: v for k, v in customer.items() if k != "meta_data"})
            for name in ("email", "first_name", "last_name"):
                if name in data:
                    customer[name] = str(data[name] or "")
            for name in ("billing", "shipping"):
                if name in data:
                    customer[name] = {
                        **customer[name],
                        **shapes.address(data[name], email=name == "billing", fill=False),
                    }
            if "meta_data" in data:
                self.ctx.merge_meta(customer["meta_data"], data["meta_data"])
            if {k: v for k, v in customer.items() if k != "meta_data"} != before:
                customer["date_modified"] = self.ctx.now()
            self.webhooks.emit("customer", "updated", customer_id)
            return self.json(customer)

    def save_checkout(self, customer_id: int, billing: Json, shipping: Json) -> None:
        """A logged-in checkout saves its addresses to the account (and the names from the
        billing address when the account has none); queues ``customer.updated``."""
        with self.ctx.lock:
            customer = self._customer(customer_id)
            before = copy.deepcopy({k: v for k, v in customer.items() if k != "meta_data"})
            for name in ("first_name", "last_name"):
                if not customer[name] and billing.get(name):
                    customer[name] = str(billing[name])
            customer["billing"].update(shapes.address(billing, email=True, fill=False))
            customer["shipping"].update(shapes.address(shipping, email=False, fill=False))
            if {k: v for k, v in customer.items() if k != "meta_data"} != before:
                customer["date_modified"] = self.ctx.now()
            self.webhooks.emit("customer", "updated", customer_id)

    def mark_paying(self, customer_id: int) -> None:
        """A paid order makes its customer a paying one (``customer.updated`` queued)."""
        with self.ctx.lock:
            customer = self.records.get(customer_id)
            if customer is not None:
                customer["is_paying_customer"] = True
                self.webhooks.emit("customer", "updated", customer_id)

    def _check_email(self, email: str, *, own_id: int | None) -> None:
        if "@" not in email:
            raise invalid_param(
                "email", "email is not a valid email address.", "rest_invalid_email"
            )
        for other in self.records.values():
            if other["email"].lower() == email.lower() and other["id"] != own_id:
                raise ShopError(
                    400, "registration-error-email-exists",
                    "An account is already registered with your email address. Please log in.",
                )  # fmt: skip

    def summary(self) -> list[Json]:
        """What ``GET /_sandbox/state`` shows of each customer."""
        with self.ctx.lock:
            return [
                {"id": c["id"], "email": c["email"], "first_name": c["first_name"],
                 "last_name": c["last_name"], "date_modified": wc_date(c["date_modified"])}
                for c in self.records.values()
            ]  # fmt: skip
