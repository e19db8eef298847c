"""The warehouse's outgoing webhooks: subscriptions, signed deliveries with retries, a delivery log.

Each delivery is a ``POST`` of a JSON body with the headers

- ``X-Warehouse-Event``: ``stock.changed`` or ``order.shipped``;
- ``X-Warehouse-Signature``: the lower-case **hex** HMAC-SHA256 of the raw body, keyed with the
  subscription's secret;
- ``X-Warehouse-Delivery``: a UUID, the same on every retry of one delivery.

A delivery is sent in the background and retried after each delay of ``retry_delays`` while the
receiver answers anything but ``2xx`` or cannot be reached; then it is ``failed``. First attempts
to one subscriber go one at a time, in the order the events happened; retries come later, out of
order, as with a real provider.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import threading
import uuid
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from connect_hub_efulfillment.simulator.background import BackgroundLoop

STOCK_CHANGED = "stock.changed"
ORDER_SHIPPED = "order.shipped"
EVENTS = (STOCK_CHANGED, ORDER_SHIPPED)
DEFAULT_RETRY_DELAYS = (1.0, 4.0, 16.0, 64.0)
DELIVERY_TIMEOUT = 10.0
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class SubscriptionError(ValueError):
    """A subscription the warehouse refuses (a 422 in the API)."""


def sign(secret: str, body: bytes) -> str:
    """The ``X-Warehouse-Signature`` of ``body``: hex HMAC-SHA256 keyed with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Subscription:
    """Where to send which events, and the secret to sign them with (never shown)."""

    id: str
    url: str
    secret: str
    events: tuple[str, ...]
    created_at: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events),
                "created_at": self.created_at}  # fmt: skip


class WebhookSender:
    """The subscriptions and the log of deliveries; thread-safe."""

    def __init__(
        self,
        background: BackgroundLoop,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DELIVERY_TIMEOUT,
    ):
        self._background = background
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._next_id = 1
        self._in_order: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def subscribe(
        self, url: Any, secret: Any, events: Iterable[str] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Add a subscription (True) or update the one with this URL (False): keyed by URL."""
        wanted = _valid_events(events)
        if (
            not isinstance(url, str)
            or urlsplit(url).scheme not in ("http", "https")
            or not (urlsplit(url).netloc)
        ):
            raise SubscriptionError("url must be an absolute http(s) URL")
        if not isinstance(secret, str) or not secret:
            raise SubscriptionError("secret must be a non-empty string")
        with self._lock:
            existing = self._subscriptions.get(url)
            subscription = Subscription(
                id=existing.id if existing else f"whk-{self._next_id:06d}",
                url=url,
                secret=secret,
                events=wanted,
                created_at=existing.created_at if existing else _now(),
            )
            if existing is None:
                self._next_id += 1
            self._subscriptions[url] = subscription
            return subscription.public(), existing is None

    def subscriptions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.public() for s in self._subscriptions.values()]

    def forget(self) -> None:
        """Drop every subscription (as a warehouse that lost them would); the log stays."""
        with self._lock:
            self._subscriptions.clear()

    def reset(self) -> None:
        """Drop subscriptions and the log (the caller cancels deliveries still under way)."""
        with self._lock:
            self._subscriptions.clear()
            self._log = deque(maxlen=self._log.maxlen)
            self._next_id = 1

    def deliveries(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first: id, url, event, body, state and every attempt."""
        with self._lock:
            return copy.deepcopy(list(self._log))

    def emit(self, event: str, body: dict[str, Any]) -> None:
        """Deliver ``body`` to every subscription to ``event``, in the background."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        with self._lock:
            targets = [s for s in self._subscriptions.values() if event in s.events]
            entries = []
            for subscription in targets:
                entry = {
                    "id": str(uuid.uuid4()),
                    "subscription": subscription.id,
                    "url": subscription.url,
                    "event": event,
                    "body": copy.deepcopy(body),
                    "state": PENDING,
                    "attempts": [],
                }
                self._log.append(entry)
                entries.append(entry)
        for subscription, entry in zip(targets, entries, strict=True):
            self._background.spawn(self._deliver(subscription, entry, raw))

    async def _deliver(self, subscription: Subscription, entry: dict[str, Any], raw: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "connect-hub-warehouse-simulator",
            "X-Warehouse-Event": entry["event"],
            "X-Warehouse-Signature": sign(subscription.secret, raw),
            "X-Warehouse-Delivery": entry["id"],
        }
        waits = (0.0, *self.retry_delays)
        locks = self._in_order.setdefault(asyncio.get_running_loop(), {})
        first = locks.setdefault(subscription.url, asyncio.Lock())
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            for number, wait in enumerate(waits, 1):
                if wait:
                    await asyncio.sleep(wait)
                try:
                    if number == 1:
                        async with first:
                            response = await http.post(
                                subscription.url, content=raw, headers=headers
                            )
                    else:
                        response = await http.post(subscription.url, content=raw, headers=headers)
                    status, error = response.status_code, None
                except httpx.HTTPError as exc:
                    status, error = None, f"{type(exc).__name__}: {exc}"
                delivered = status is not None and 200 <= status < 300
                state = DELIVERED if delivered else FAILED if number == len(waits) else PENDING
                with self._lock:
                    entry["attempts"].append({"at": _now(), "status": status, "error": error})
                    entry["state"] = state
                if delivered:
                    return


def _valid_events(events: Iterable[str] | None) -> tuple[str, ...]:
    if events is None:
        return EVENTS
    if isinstance(events, str) or not isinstance(events, Iterable):
        raise SubscriptionError(f"events must be a list of {', '.join(EVENTS)}")
    wanted = tuple(dict.fromkeys(events))
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise SubscriptionError(
            f"events must be a non-empty list of {', '.join(EVENTS)}; unknown: {unknown}"
        )
    return wanted


def _now() -> str:
    return datetime.now(UTC).isoformat()
