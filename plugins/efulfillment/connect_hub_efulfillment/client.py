"""The warehouse REST API: auth, error classification, plain JSON in and out; no retries here.

Every failure becomes one of the hub's export errors, so the delivery machinery knows whether to
retry (:class:`TransientError`: network trouble, timeouts, 429, 5xx, a garbled 2xx body) or give
up (:class:`PermanentError`: any other 4xx). Messages name the status and the warehouse's own
error code and message, and never contain the API key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from connect_hub import http, jsontext
from connect_hub.errors import PermanentError, TransientError
from connect_hub.http import parse_retry_after
from connect_hub.secrets import redact

API = "/api/v1"
JSON_BODY = {"Content-Type": "application/json"}


class AuthenticationError(PermanentError):
    """The warehouse refused the API key (401 or 403)."""


class OrderShippedError(PermanentError):
    """The warehouse refused to cancel an order because it has shipped it (409 order_shipped)."""


class OrderNotEditableError(PermanentError):
    """The warehouse refused a change: picking has started, or it shipped or cancelled the order
    (409 order_not_editable)."""


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint and the total the warehouse reported (``X-Total-Count``)."""

    items: list[dict[str, Any]]
    total: int


class WarehouseClient:
    """One integration's connection pool to the warehouse; share it, close it with ``aclose``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        name: str = "warehouse",
        timeout: float = 10.0,
        max_connections: int = 10,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.name = name
        self._secrets = [api_key]
        self._orders_url = httpx.URL(f"{base_url.rstrip('/')}{API}/orders")
        """``POST /orders``, once per order, as an absolute URL made once: httpx joins a path to
        its base URL by parsing both again, more than half of the cost of building the request."""
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            transport=transport or http.transport(limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=30.0,
            )),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def ping(self) -> dict[str, Any]:
        """Check that the warehouse answers and accepts the key."""
        return _json_object(await self._send("GET", f"{API}/ping"), self._where("ping"))

    async def create_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create the order keyed by ``payload["reference"]``, or return the one that exists.

        The warehouse answers 201 for a new order and 200 with the existing order for a known
        reference; a 409 is taken the same way by fetching the existing order.
        """
        response = await self._send("POST", f"{API}/orders", body=payload, url=self._orders_url, accept=(409,))
        if response.status_code == 409:
            existing = await self.get_order(payload["reference"])
            if existing is None:
                raise TransientError(
                    f"{self.name}: the warehouse reported order {payload['reference']} as a "
                    "conflict but does not return it; trying again later"
                )
            return existing
        return _json_object(response, self._where(f"create order {payload['reference']}"))

    async def place_order(self, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create the order keyed by ``payload["reference"]``: the warehouse's order and True
        when this request created it (201), else the order it already had and False."""
        response = await self._send("POST", f"{API}/orders", body=payload, url=self._orders_url, accept=(409,))
        if response.status_code == 409:
            return await self.create_order(payload), False
        return _json_object(response, self._where(f"create order {payload['reference']}")), response.status_code == 201

    async def get_order(self, reference: str) -> dict[str, Any] | None:
        """The warehouse's order for a hub reference, or None when it has none."""
        response = await self._send("GET", _order_path(reference), accept=(404,))
        if response.status_code == 404:
            return None
        return _json_object(response, self._where(f"get order {reference}"))

    async def update_order(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Replace the e-mail, address and lines of the order ``payload["reference"]``.

        The warehouse takes changes only until picking starts: a refusal raises
        :class:`OrderNotEditableError` with its reason.
        """
        path = _order_path(payload["reference"])
        response = await self._send("PUT", path, body=payload, accept=(409,))
        if response.status_code == 409:
            error = self._error("PUT", path, response)
            raise OrderNotEditableError(str(error)) if _error_code(response) == "order_not_editable" else error
        return _json_object(response, self._where(f"update order {payload['reference']}"))

    async def cancel_order(self, reference: str) -> dict[str, Any]:
        """Cancel an order the warehouse has not shipped.

        A shipped one raises :class:`OrderShippedError`; any other refusal a PermanentError.
        """
        path = f"{_order_path(reference)}/cancel"
        response = await self._send("POST", path, accept=(409,))
        if response.status_code == 409:
            error = self._error("POST", path, response)
            if _error_code(response) == "order_shipped":
                raise OrderShippedError(str(error))
            raise error
        return _json_object(response, self._where(f"cancel order {reference}"))

    async def list_stock(self, page: int, per_page: int = 100) -> Page:
        """One page of stock levels, numbered from 1, sorted by SKU: ``{"sku", "quantity",
        "changed_at"}`` (``quantity`` is what is available: on hand minus reserved)."""
        response = await self._send(
            "GET", f"{API}/stock", params={"page": page, "per_page": per_page}
        )
        items = _json(response, self._where("list stock"))
        if not isinstance(items, list):
            raise TransientError(f"{self._where('list stock')}: expected a JSON list")
        return Page(items=items, total=int(response.headers.get("X-Total-Count", len(items))))

    async def list_webhooks(self) -> list[dict[str, Any]]:
        """The warehouse's webhook subscriptions: ``{"id", "url", "events", "created_at"}``."""
        response = await self._send("GET", f"{API}/webhooks")
        items = _json(response, self._where("list webhooks"))
        if not isinstance(items, list):
            raise TransientError(f"{self._where('list webhooks')}: expected a JSON list")
        return items

    async def register_webhook(
        self, url: str, secret: str, events: list[str]
    ) -> tuple[dict[str, Any], bool]:
        """Subscribe ``url`` to ``events`` signed with ``secret``; idempotent by URL.

        :return: the subscription, and True when the warehouse had none for this URL (201).
        """
        if secret not in self._secrets:
            self._secrets.append(secret)
        body = {"url": url, "secret": secret, "events": events}
        response = await self._send("POST", f"{API}/webhooks", body=body)
        subscription = _json_object(response, self._where(f"register webhook {url}"))
        return subscription, response.status_code == 201

    def _where(self, action: str) -> str:
        return f"{self.name}: {action}"

    async def _send(
        self, method: str, path: str, *, accept: tuple[int, ...] = (), body: Any = None,
        url: httpx.URL | None = None, **kwargs: Any,
    ) -> httpx.Response:
        """Send one request to ``path`` (``url``: the same, made absolute already), with ``body``
        as JSON; answer the response if 2xx or in ``accept``, else raise."""
        if body is not None:
            kwargs["content"] = jsontext.dumps(body)
            kwargs["headers"] = JSON_BODY
        try:
            response = await self._http.request(method, url or path, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(
                self._redact(f"{self.name}: {method} {path} timed out ({type(exc).__name__})")
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(
                self._redact(f"{self.name}: {method} {path} failed: {type(exc).__name__}: {exc}")
            ) from None
        if response.is_success or response.status_code in accept:
            return response
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: httpx.Response) -> Exception:
        status = response.status_code
        message = self._redact(
            f"{self.name}: {method} {path} answered {status}: {_describe_error(response)}"
        )
        if status == 429 or status >= 500:
            return TransientError(message, retry_after=parse_retry_after(response))
        if status in (401, 403):
            return AuthenticationError(f"{message} (check the api_key setting)")
        return PermanentError(message)

    def _redact(self, text: str) -> str:
        return redact(text, *self._secrets)


def _order_path(reference: str) -> str:
    return f"{API}/orders/{quote(reference, safe='')}"


def _error_code(response: httpx.Response) -> str | None:
    """The warehouse's error code from its ``{"error": {"code": ...}}`` body, if any."""
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, TypeError, KeyError):
        return None


def _describe_error(response: httpx.Response) -> str:
    """``code: message`` from the warehouse's ``{"error": {...}}`` body, else a text excerpt."""
    try:
        error = response.json().get("error")
        return f"{error['code']}: {error['message']}"
    except (ValueError, AttributeError, TypeError, KeyError):
        return response.text[:200].strip() or response.reason_phrase


def _json(response: httpx.Response, where: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TransientError(
            f"{where}: the warehouse answered {response.status_code} with a body that is not JSON"
        ) from None


def _json_object(response: httpx.Response, where: str) -> dict[str, Any]:
    data = _json(response, where)
    if not isinstance(data, dict):
        raise TransientError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data
