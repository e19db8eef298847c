"""A client of a running sandbox shop: signed REST calls, and what a shopper or a test does.

``rest`` signs every call with OAuth 1.0a as a real client of a plain-http shop must; the other
methods use the control routes (``/_sandbox/``), which need no key.
"""

from __future__ import annotations

from typing import Any

import httpx

from connect_hub_woocommerce.sandbox.auth import signed_url

Json = dict[str, Any]


class SandboxRefused(Exception):
    """A call that had to succeed was answered with an error (the status and body are in the
    message)."""


class SandboxClient:
    """``url`` is the shop's address (no trailing slash); the key pair is one the shop has."""

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        http: httpx.Client | None = None,
    ):
        self.url = url.rstrip("/")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.http = http or httpx.Client(timeout=10, trust_env=False)

    def close(self) -> None:
        self.http.close()

    # --- the REST API ---------------------------------------------------------------------

    def rest(self, method: str, path: str, json: object = None, **params: object) -> httpx.Response:
        """``/wp-json/wc/v3{path}`` with ``params`` in the query, signed afresh."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"{self.url}/wp-json/wc/v3{path}" + (f"?{query}" if query else "")
        signed = signed_url(method, url, self.consumer_key, self.consumer_secret)
        return self.http.request(method, signed, json=json)

    def ok(self, method: str, path: str, json: object = None, **params: object) -> Any:
        """Like :meth:`rest`, for a call that must succeed: its decoded answer."""
        response = self.rest(method, path, json, **params)
        if response.status_code >= 400:
            raise SandboxRefused(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def product_id(self, sku: str) -> int:
        [product] = self.ok("GET", "/products", sku=sku)
        return product["id"]

    # --- shoppers and shop managers -------------------------------------------------------

    def place_order(
        self,
        lines: list[tuple[str, int]],
        *,
        email: str | None = None,
        customer_id: int | None = None,
        **extra: Any,
    ) -> Json:
        """A checkout: a guest's with ``email``, a logged-in customer's with ``customer_id``."""
        body: Json = {"lines": [{"sku": sku, "quantity": q} for sku, q in lines], **extra}
        if email is not None:
            body["email"] = email
        if customer_id is not None:
            body["customer_id"] = customer_id
        return self._control("POST", "/orders", body)

    def register(self, **customer: Any) -> Json:
        """A shopper registers an account (``email``, names, ``billing``, ``shipping``)."""
        return self._control("POST", "/customers", customer)

    def set_stock(self, levels: dict[str, int]) -> list[Json]:
        return self._control("POST", "/stock", levels)

    # --- the shop's state and its webhook queue -------------------------------------------

    def state(self) -> Json:
        return self._control("GET", "/state")

    def reset(self, *, seed: bool = True, keep_webhooks: bool = False) -> None:
        """Empty the shop (``keep_webhooks``: its webhooks stay, ids go on), then seed it."""
        body = {"keep_webhooks": True} if keep_webhooks else None
        self.http.post(f"{self.url}/_sandbox/reset", json=body).raise_for_status()
        if seed:
            self._control("POST", "/seed", {})

    def stock_writes(self) -> list[Json]:
        """Every stock figure a REST client wrote: ``{"product_id", "sku", "stock_quantity"}``."""
        return self._control("GET", "/stock-writes")

    def run_queue(self) -> list[Json]:
        return self._control("POST", "/run-queue")["sent"]

    def deliveries(self) -> list[Json]:
        return self._control("GET", "/deliveries")

    def mishap(
        self, kind: str, *, count: int = 1, topic: str | None = None, resource_id: int | None = None
    ) -> None:
        """The next ``count`` matching deliveries are sent twice (``duplicate``), held back
        (``hold``) until :meth:`release`, or lost (``drop``)."""
        body: Json = {"count": count}
        if topic is not None:
            body["topic"] = topic
        if resource_id is not None:
            body["resource_id"] = resource_id
        self._control("POST", f"/deliveries/{kind}", body)

    def forget_mishaps(self) -> int:
        """Forget the mishaps asked for that have not befallen a delivery yet."""
        return self._control("DELETE", "/deliveries/mishaps")["forgotten"]

    def release(self) -> list[Json]:
        return self._control("POST", "/deliveries/release")["sent"]

    def _control(self, method: str, path: str, body: object = None) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox{path}", json=body)
        if response.status_code >= 400:
            raise SandboxRefused(
                f"{method} /_sandbox{path}: {response.status_code} {response.text}"
            )
        return response.json()
