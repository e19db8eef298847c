"""Signed outgoing webhooks for simulators: subscriptions, deliveries in order, retries, a log.

A :class:`WebhookSender` sends each event to every subscription that wants it, from a thread of
its own, one delivery after another in the order the events happened, each retried after the
delays of ``retry_delays`` while the receiver answers anything but 2xx or cannot be reached (as a
real provider does); ``sign(secret, body)`` gives the headers that sign the body::

    sender = WebhookSender(sign=lambda secret, body: {"X-Signature": hex_hmac_sha256(secret, body)})
    sender.subscribe("http://127.0.0.1:8080/webhooks/crm", secret="s3cr3t")
    sender.emit("contact.updated", {"id": 7, "email": "ada@example.test"})
    sender.wait_idle()                                  # tests: until every delivery is done

A subscription removed (:meth:`WebhookSender.unsubscribe`, :meth:`WebhookSender.forget`,
:meth:`WebhookSender.reset`) gets nothing more: its deliveries not yet made, retries included,
are dropped at once, as a provider stops sending to a deleted webhook. So a fake shared by many
tests, each with a receiver of its own, never spends a test retrying the last test's receiver.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

Signer = Callable[[str, bytes], Mapping[str, str]]
"""``sign(secret, body) -> headers`` that sign the body."""

PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"


def hex_hmac_sha256(secret: str, body: bytes) -> str:
    """The lower-case hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def base64_hmac_sha256(secret: str, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body`` keyed with ``secret`` (as WooCommerce signs)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Subscription:
    url: str
    secret: str
    events: frozenset[str] | None
    """The events it wants; None: all of them."""


class WebhookSender:
    """Subscriptions and signed deliveries; thread-safe. :meth:`close` stops its thread."""

    def __init__(
        self,
        sign: Signer,
        *,
        event_header: str = "X-Event",
        retry_delays: Iterable[float] = (0.5, 2.0, 8.0),
        timeout: float = 10.0,
    ):
        self.sign = sign
        self.event_header = event_header
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._subscriptions: dict[str, Subscription] = {}
        self._log: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Subscription, dict[str, Any], bytes] | None] = queue.Queue()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._thread: threading.Thread | None = None

    def subscribe(self, url: str, secret: str, events: Iterable[str] | None = None) -> None:
        """Send the events (all by default) to ``url``, signed with ``secret``; keyed by URL."""
        with self._lock:
            self._subscriptions[url] = Subscription(url, secret, frozenset(events) if events is not None else None)

    def unsubscribe(self, url: str) -> None:
        """Stop sending to ``url``; what it has not received yet is dropped."""
        with self._idle:
            self._subscriptions.pop(url, None)
            self._idle.notify_all()

    def subscriptions(self) -> list[str]:
        """The subscribed URLs."""
        with self._lock:
            return list(self._subscriptions)

    def forget(self) -> None:
        """Drop every subscription (as a remote system that lost them would), and every
        delivery not yet made to them."""
        with self._idle:
            self._subscriptions.clear()
            self._idle.notify_all()

    def reset(self) -> None:
        """As new: no subscriptions, nothing left to send, an empty delivery log (between two
        tests that share one fake)."""
        with self._idle:
            self._subscriptions.clear()
            self._log.clear()
            self._idle.notify_all()

    def emit(self, event: str, body: Mapping[str, Any] | bytes) -> None:
        """Deliver ``body`` (JSON, or raw bytes) to every subscription that wants ``event``."""
        raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        with self._lock:
            targets = [s for s in self._subscriptions.values() if s.events is None or event in s.events]
            for subscription in targets:
                entry = {"id": str(uuid.uuid4()), "url": subscription.url, "event": event, "body": raw.decode(errors="replace"), "state": PENDING, "attempts": []}
                self._log.append(entry)
                self._busy += 1
                self._queue.put((subscription, entry, raw))
            if targets and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="simulator-webhooks", daemon=True)
                self._thread.start()

    def deliveries(self) -> list[dict[str, Any]]:
        """The delivery log, oldest first: id, url, event, body, state (``pending``,
        ``delivered``, ``failed`` after its last retry, ``dropped`` when its subscription was
        removed first) and every attempt (``status``, ``error``)."""
        with self._lock:
            return copy.deepcopy(self._log)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every delivery so far is delivered or failed; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self) -> None:
        """Stop sending (deliveries not yet made are dropped)."""
        with self._lock:
            thread, self._thread = self._thread, None
            while not self._queue.empty():
                self._queue.get_nowait()
            self._busy = 0
            self._idle.notify_all()
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            while (item := self._queue.get()) is not None:
                subscription, entry, raw = item
                self._deliver(http, subscription, entry, raw)
                with self._idle:
                    self._busy = max(0, self._busy - 1)
                    self._idle.notify_all()

    def _current(self, subscription: Subscription) -> bool:
        return self._subscriptions.get(subscription.url) == subscription  # the same URL and secret

    def _wait_while_subscribed(self, seconds: float, subscription: Subscription, entry: dict[str, Any]) -> bool:
        """Wait ``seconds`` unless the subscription goes first; False (and the delivery marked
        dropped) when it is gone."""
        with self._idle:
            if seconds > 0:
                self._idle.wait_for(lambda: not self._current(subscription), seconds)
            if self._current(subscription):
                return True
            entry["state"] = DROPPED
            return False

    def _deliver(self, http: httpx.Client, subscription: Subscription, entry: dict[str, Any], raw: bytes) -> None:
        headers = {"Content-Type": "application/json", self.event_header: entry["event"], "X-Delivery": entry["id"], **self.sign(subscription.secret, raw)}
        waits = (0.0, *self.retry_delays)
        for number, wait in enumerate(waits, 1):
            if not self._wait_while_subscribed(wait, subscription, entry):
                return
            try:
                status, error = http.post(subscription.url, content=raw, headers=headers).status_code, None
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            delivered = status is not None and 200 <= status < 300
            with self._lock:
                entry["attempts"].append({"status": status, "error": error})
                entry["state"] = DELIVERED if delivered else FAILED if number == len(waits) else PENDING
            if delivered:
                return
