"""The WooCommerce REST API v3: auth, limits, retries, pagination; plain JSON in and out.

One :class:`WooClient` per integration shares one connection pool. It holds at most
``max_concurrency`` requests in flight and starts at most ``requests_per_second``. It retries a
few times itself (429, 5xx, network trouble), honouring ``Retry-After`` up to ``max_wait``
seconds, and then raises :class:`TransientError` with the wait the shop asked for. A POST that
creates something is retried only when the shop certainly did not act on it (429, no
connection), so a timeout never makes a second note or customer.

Errors, in the hub's tree::

    TransientError          429, 5xx, timeouts, network errors, a garbled 2xx body
    PermanentError
    └── WooApiError         any other 4xx; carries ``status`` and the shop's ``code``
        └── AuthenticationError   401 and 403

Messages name the integration, the method, the path (never the query string), the status and
the shop's ``code: message``, and never the key, the secret or an OAuth signature.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
from connect_hub import http, jsontext
from connect_hub.errors import PermanentError, TransientError
from connect_hub.http import parse_retry_after
from connect_hub.secrets import redact

from connect_hub_woocommerce.auth import WooAuth

API = "/wp-json/wc/v3"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3"
COMPANION_API = "/wp-json/connect-hub/v1"
"""The companion WordPress plugin's routes (same authentication as ``wc/v3``)."""
PER_PAGE = 100
"""The most the shop gives per page (101 is a 400)."""
BATCH_LIMIT = 100
"""The most items a batch request takes (101 is a 413)."""

Json = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]


class WooApiError(PermanentError):
    """The shop refused a request (a 4xx other than 429): retrying will not help.

    ``code`` and ``detail`` are the shop's own (``woocommerce_rest_authentication_error``,
    ``Consumer secret is invalid.``), for callers that tell causes apart.
    """

    def __init__(self, message: str, *, status: int, code: str, detail: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail


class AuthenticationError(WooApiError):
    """The shop refused the key, the secret, or the key's permissions (401 or 403)."""


class RateLimiter:
    """Spaces the start of requests at least ``1 / per_second`` seconds apart."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic):
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, sleep: Sleep) -> None:
        async with self._lock:
            now = self._clock()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await sleep(delay)


class Page(list):
    """One page of a list endpoint, with the endpoint's total item count when it says it."""

    def __init__(self, items: list[Json], *, total: int | None):
        super().__init__(items)
        self.total = total


class WooClient:
    """One integration's connection to a shop's REST API; share it, close it with ``aclose``."""

    def __init__(
        self,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        name: str = "shop",
        timeout: float = 30.0,
        max_concurrency: int = 4,
        requests_per_second: float = 10.0,
        tries: int = 3,
        max_wait: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ):
        self.name = name
        self.url = url.rstrip("/")
        self._secrets = (consumer_key, consumer_secret)
        self._tries = max(1, tries)
        self._max_wait = max_wait
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max(1, max_concurrency))
        self._rate = RateLimiter(requests_per_second)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            auth=WooAuth(consumer_key, consumer_secret),
            headers={"Accept": "application/json", "User-Agent": "connect-hub"},
            timeout=httpx.Timeout(timeout),
            transport=transport or http.transport(limits=httpx.Limits(
                max_connections=max(1, max_concurrency),
                max_keepalive_connections=max(1, max_concurrency),
                keepalive_expiry=30.0,
            )),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- Shop ---------------------------------------------------------------------------

    async def index(self) -> Json | None:
        """The ``wc/v3`` namespace index, or None when the address has no such API (404, or a
        page that is not a JSON object, e.g. a site without WooCommerce)."""
        response = await self._send("GET", API, accept=(404,))
        if response.status_code == 404:
            return None
        try:
            data = response.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def system_status(self) -> Json:
        """``/system_status``: ``environment.version`` is the WooCommerce version."""
        return await self._object("GET", f"{API}/system_status")

    # --- Products -----------------------------------------------------------------------

    def iter_products(self, modified_after: str | None = None) -> AsyncIterator[list[Json]]:
        """Pages of products, oldest change first; ``modified_after`` is GMT (``...T22:00:00``)."""
        params: dict[str, Any] = {"orderby": "modified", "order": "asc"}
        if modified_after:
            params |= {"modified_after": modified_after, "dates_are_gmt": "true"}
        return self.iter_pages(f"{API}/products", params)

    async def products_by_sku(self, sku: str) -> list[Json]:
        """The products and variations whose SKU is exactly ``sku`` (a variation has a
        ``parent_id``)."""
        return await self._list("GET", f"{API}/products", params={"sku": sku})

    async def products_by_skus(self, skus: list[str]) -> list[Json]:
        """The products and variations with any of ``skus`` (at most 100, none with a comma):
        one request, as the shop takes a comma-separated list."""
        return await self._list("GET", f"{API}/products", params={"sku": ",".join(skus), "per_page": 100})

    def iter_variations(self, product_id: int | str) -> AsyncIterator[list[Json]]:
        """Pages of a variable product's variations."""
        return self.iter_pages(f"{API}/products/{product_id}/variations", {})

    async def batch_products(self, update: list[Json]) -> list[Json]:
        """``POST /products/batch {"update": [...]}``: the answered items, in the same order; a
        failed item carries ``error``. At most 100 items."""
        return await self._batch(f"{API}/products/batch", update)

    async def batch_variations(self, parent_id: int | str, update: list[Json]) -> list[Json]:
        """Like :meth:`batch_products` for the variations of one parent."""
        return await self._batch(f"{API}/products/{parent_id}/variations/batch", update)

    # --- Orders -------------------------------------------------------------------------

    def iter_orders(self, modified_after: str | None = None) -> AsyncIterator[list[Json]]:
        """Pages of orders of any status, oldest change first; ``modified_after`` is GMT."""
        params: dict[str, Any] = {"orderby": "modified", "order": "asc"}
        if modified_after:
            params |= {"modified_after": modified_after, "dates_are_gmt": "true"}
        return self.iter_pages(f"{API}/orders", params)

    async def get_order(self, order_id: int | str) -> Json:
        return await self._object("GET", f"{API}/orders/{order_id}")

    async def update_order(self, order_id: int | str, data: Json) -> Json:
        return await self._object("PUT", f"{API}/orders/{order_id}", json=data)

    async def order_notes(self, order_id: int | str) -> list[Json]:
        """Every note of an order (customer notes have ``customer_note: true``)."""
        return await self._list("GET", f"{API}/orders/{order_id}/notes", params={"type": "any"})

    async def create_order_note(self, order_id: int | str, note: str, *, customer: bool) -> Json:
        """Add a note; a customer note is shown to, and mailed to, the customer."""
        return await self._object(
            "POST",
            f"{API}/orders/{order_id}/notes",
            json={"note": note, "customer_note": customer},
            idempotent=False,
        )

    # --- Customers ----------------------------------------------------------------------

    def iter_customers(self) -> AsyncIterator[list[Json]]:
        """Pages of every customer, by id (the endpoint has no date filter)."""
        return self.iter_pages(f"{API}/customers", {"orderby": "id", "order": "asc"})

    async def customers_by_email(self, email: str) -> list[Json]:
        """The users (any role) with exactly this e-mail address."""
        return await self._list("GET", f"{API}/customers", params={"email": email, "role": "all"})

    async def get_customer(self, customer_id: int | str) -> Json | None:
        """The customer, or None when the shop has none with this id (deleted)."""
        response = await self._send("GET", f"{API}/customers/{customer_id}", accept=(404, 400))
        if response.status_code in (400, 404):
            return None
        data = self._parse(response, "GET", f"{API}/customers/{customer_id}")
        return data if isinstance(data, dict) and data.get("id") else None

    async def create_customer(self, data: Json) -> Json:
        return await self._object("POST", f"{API}/customers", json=data, idempotent=False)

    async def update_customer(self, customer_id: int | str, data: Json) -> Json:
        return await self._object("PUT", f"{API}/customers/{customer_id}", json=data)

    # --- Webhooks -----------------------------------------------------------------------

    async def webhooks(self) -> list[Json]:
        """Every webhook of the shop, whatever its status."""
        found: list[Json] = []
        async for page in self.iter_pages(f"{API}/webhooks", {"status": "all"}):
            found.extend(page)
        return found

    async def create_webhook(self, data: Json) -> Json:
        """``POST /webhooks``; the shop pings the delivery URL before it answers."""
        return await self._object("POST", f"{API}/webhooks", json=data, idempotent=False)

    async def update_webhook(self, webhook_id: int | str, data: Json) -> Json:
        return await self._object("PUT", f"{API}/webhooks/{webhook_id}", json=data)

    async def delete_webhook(self, webhook_id: int | str) -> None:
        """Delete for good (webhooks have no trash); one already gone counts as deleted."""
        await self._send(
            "DELETE", f"{API}/webhooks/{webhook_id}", params={"force": "true"}, accept=(404,)
        )

    # --- Shipment Tracking extension ----------------------------------------------------

    async def shipment_trackings(self, order_id: int | str) -> list[Json] | None:
        """An order's tracking items, or None when the shop lacks the Shipment Tracking
        extension (its route answers 404 ``rest_no_route``)."""
        path = f"{TRACKING_API}/orders/{order_id}/shipment-trackings"
        response = await self._send("GET", path, accept=(404,))
        if response.status_code == 404:
            if _error_code(response) == "rest_no_route":
                return None
            raise self._error("GET", path, response)
        return self._parse_list(response, "GET", path)

    async def create_shipment_tracking(self, order_id: int | str, data: Json) -> Json:
        path = f"{TRACKING_API}/orders/{order_id}/shipment-trackings"
        return await self._object("POST", path, json=data, idempotent=False)

    # --- Companion plugin ---------------------------------------------------------------

    async def companion_status(self) -> Json | None:
        """``{"version", "paired"}`` of the companion plugin, or None when the shop has none
        (its route answers 404 ``rest_no_route``)."""
        path = f"{COMPANION_API}/status"
        response = await self._send("GET", path, accept=(404,))
        if response.status_code == 404:
            if _error_code(response) == "rest_no_route":
                return None
            raise self._error("GET", path, response)
        data = self._parse(response, "GET", path)
        if not isinstance(data, dict):
            raise TransientError(f"{self.name}: GET {path}: expected a JSON object")
        return data

    async def companion_shipments(self, order_id: int | str) -> list[Json]:
        """The shipments of an order in the companion plugin's panel."""
        return await self._list("GET", f"{COMPANION_API}/orders/{order_id}/shipments")

    async def add_companion_shipment(self, order_id: int | str, data: Json) -> Json:
        """Add a shipment through the companion plugin; it is idempotent by ``external_id``
        (a replay answers the existing one), so a retry never adds a second."""
        return await self._object("POST", f"{COMPANION_API}/orders/{order_id}/shipments", json=data)

    async def pair_companion(self, data: Json) -> Json:
        """Tell the companion plugin where to send its webhooks and the secret to sign them."""
        return await self._object("POST", f"{COMPANION_API}/pair", json=data, idempotent=False)

    # --- Plumbing -----------------------------------------------------------------------

    async def iter_pages(self, path: str, params: Mapping[str, Any]) -> AsyncIterator[list[Json]]:
        """Each page of a list endpoint, 100 items at a time, until ``X-WP-TotalPages`` or an
        empty page. Every page URL is built here and signed afresh (never taken from ``Link``).
        Each page is a :class:`Page`: a list that also knows ``X-WP-Total``."""
        page = 1
        while True:
            query = {**params, "per_page": PER_PAGE, "page": page}
            response = await self._send("GET", path, params=query)
            items = self._parse_list(response, "GET", path)
            if not items:
                return
            total = response.headers.get("X-WP-Total", "")
            yield Page(items, total=int(total) if total.isdigit() else None)
            total_pages = response.headers.get("X-WP-TotalPages", "")
            if total_pages.isdigit():
                if page >= int(total_pages):
                    return
            elif len(items) < PER_PAGE:
                return
            page += 1

    async def _batch(self, path: str, update: list[Json]) -> list[Json]:
        if len(update) > BATCH_LIMIT:
            raise ValueError(f"a batch takes at most {BATCH_LIMIT} items, got {len(update)}")
        # Setting absolute values is idempotent, so a batch of updates may be retried.
        answer = await self._object("POST", path, json={"update": update})
        items = answer.get("update")
        if not isinstance(items, list):
            raise TransientError(f"{self.name}: POST {path}: the answer has no update list")
        return items

    async def _object(self, method: str, path: str, **kwargs: Any) -> Json:
        response = await self._send(method, path, **kwargs)
        data = self._parse(response, method, path)
        if not isinstance(data, dict):
            raise TransientError(
                f"{self.name}: {method} {path}: expected a JSON object, got {type(data).__name__}"
            )
        return data

    async def _list(self, method: str, path: str, **kwargs: Any) -> list[Json]:
        return self._parse_list(await self._send(method, path, **kwargs), method, path)

    def _parse_list(self, response: httpx.Response, method: str, path: str) -> list[Json]:
        data = self._parse(response, method, path)
        if not isinstance(data, list):
            raise TransientError(
                f"{self.name}: {method} {path}: expected a JSON list, got {type(data).__name__}"
            )
        return data

    def _parse(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return jsontext.loads(response.content)
        except ValueError:  # also UnicodeDecodeError
            raise TransientError(
                f"{self.name}: {method} {path} answered {response.status_code} with a body that "
                "is not JSON"
            ) from None

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send with limits and retries; answer a 2xx (or a status in ``accept``), else raise."""
        for attempt in range(1, self._tries + 1):
            last = attempt == self._tries
            try:
                response = await self._attempt(method, path, params, json)
            except httpx.TransportError as exc:
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                error = TransientError(
                    self._redact(
                        f"{self.name}: {method} {path} failed: {type(exc).__name__}: {exc}"
                    )
                )
                if last or not (idempotent or unsent):
                    raise error from None
                await self._sleep(self._backoff(attempt))
                continue
            if response.is_success or response.status_code in accept:
                return response
            error = self._error(method, path, response)
            if not isinstance(error, TransientError):
                raise error
            retryable = idempotent or response.status_code == 429
            wait = error.retry_after if error.retry_after is not None else self._backoff(attempt)
            if last or not retryable or wait > self._max_wait:
                raise error
            await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> httpx.Response:
        async with self._slots:
            await self._rate.wait(self._sleep)
            return await self._http.request(method, path, params=params, json=body)

    def _backoff(self, attempt: int) -> float:
        return min(self._max_wait, 0.5 * 2 ** (attempt - 1))

    def _error(self, method: str, path: str, response: httpx.Response) -> Exception:
        status = response.status_code
        code, text = _describe_error(response)
        text = self._redact(text)
        message = self._redact(
            f"{self.name}: {method} {path} answered {status}: {code + ': ' if code else ''}{text}"
        )
        if status == 429 or status >= 500:
            return TransientError(message, retry_after=parse_retry_after(response))
        if status in (401, 403):
            return AuthenticationError(message, status=status, code=code, detail=text)
        return WooApiError(message, status=status, code=code, detail=text)

    def _redact(self, text: str) -> str:
        return redact(text, *self._secrets)


def _error_code(response: httpx.Response) -> str:
    return _describe_error(response)[0]


def _describe_error(response: httpx.Response) -> tuple[str, str]:
    """The shop's ``(code, message)`` from a WordPress error body, else ``("", excerpt)``."""
    try:
        body = json.loads(response.content)
        return str(body["code"]), str(body["message"])
    except (ValueError, TypeError, KeyError):
        excerpt = " ".join(response.text[:200].split())
        return "", excerpt or response.reason_phrase
