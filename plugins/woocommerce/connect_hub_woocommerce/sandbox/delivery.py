"""Sending webhooks as the real shop does: the creation ping, then the queue's signed deliveries.

- A send is a POST of the JSON body with the ``X-WC-Webhook-*`` headers; 200-302 is success.
  There are no retries (counting failures is :mod:`.webhooks`' part).
- The body is built when the action runs, so it shows the object's latest state.
- The creation ping is ``webhook_id=<id>`` as a form, no ``X-WC-Webhook-*`` headers, not logged
  as a failure whatever the answer.
- The companion plugin's messages go to the address and secret given at pairing, signed and
  headed like a webhook plus ``X-Connect-Hub-Plugin: <version>``; dropped while unpaired.
- A mishap asked for (:class:`.webhooks.Mishap`) befalls a delivery once it is built: a
  duplicate is the same body sent again with a new delivery id (as a re-run job sends it), a
  held one waits with the body of its time until :meth:`Deliverer.release`, a dropped one is
  logged as ``dropped`` and never arrives (the shop counts no failure for it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx

from connect_hub_woocommerce.sandbox.companion import PLUGIN_VERSION
from connect_hub_woocommerce.sandbox.state import ShopState
from connect_hub_woocommerce.sandbox.values import Json, encode
from connect_hub_woocommerce.sandbox.webhooks import PLUGIN_WEBHOOK_ID, Action, HeldSend
from connect_hub_woocommerce.webhooks import sign


class Deliverer:
    """Sends pings and runs the queue for one shop; lives in the server's event loop."""

    def __init__(self, state: ShopState, *, timeout: float = 60.0, wp_version: str = "6.8.8"):
        self.state = state
        self.timeout = timeout
        self.user_agent = f"WooCommerce/{state.version} Hookshot (WordPress/{wp_version})"
        self._client: httpx.AsyncClient | None = None
        self._lock: asyncio.Lock | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ping(self, webhook: Json) -> Json:
        """POST ``webhook_id=<id>`` to a new webhook's URL, synchronously; logs the answer."""
        headers = {
            "User-Agent": self.user_agent,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        body = f"webhook_id={webhook['id']}".encode()
        entry = await self._post(webhook, "ping", None, body, headers, "ping")
        self.state.webhooks.log_ping(entry)
        return entry

    async def run_queue(self) -> list[Json]:
        """Send every queued action now, one after the other; returns their log entries."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            actions = self.state.webhooks.take_pending()
            sent = []
            for action in actions:
                entry = await self._deliver(action)
                if entry is not None:
                    sent.append(entry)
            return sent

    async def run_forever(self, interval: float) -> None:
        """Run the queue every ``interval`` seconds (0: as soon as something is queued)."""
        while True:
            await asyncio.sleep(interval if interval > 0 else 0.02)
            if len(self.state.webhooks.pending):
                await self.run_queue()

    async def _deliver(self, action: Action) -> Json | None:
        if action.body is not None:
            return await self._deliver_message(action, action.body)
        record = self.state.webhooks.record(action.webhook_id)
        if record is None or record["status"] != "active":
            return None  # deleted, paused or disabled: the event is lost
        resource, _, event = action.topic.partition(".")
        body = encode(self.state.resource_json(resource, action.resource_id))
        headers = {
            "User-Agent": self.user_agent,
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": f"{self.state.url}/",
            "X-WC-Webhook-Topic": action.topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(record["secret"], body),
            "X-WC-Webhook-ID": str(record["id"]),
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
        }
        mishap = self.state.webhooks.take_mishap(action.topic, action.resource_id)
        if mishap == "hold":
            self.state.webhooks.hold(
                HeldSend(record["id"], action.topic, action.resource_id,
                         record["delivery_url"], body, headers)
            )  # fmt: skip
            entry = _entry("held", record, action.topic, action.resource_id, headers)
            self.state.webhooks.log_ping(entry)
            return entry
        if mishap == "drop":
            entry = _entry("dropped", record, action.topic, action.resource_id, headers)
            self.state.webhooks.log_ping(entry)
            return entry
        entry = await self._send(
            record["id"], record["delivery_url"], action.topic, action.resource_id, body, headers
        )
        if mishap == "duplicate":
            again = {**headers, "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}
            await self._send(
                record["id"], record["delivery_url"], action.topic, action.resource_id, body, again
            )
        return entry

    async def release(self) -> list[Json]:
        """Send every held delivery now, oldest first, with the body it had when held."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            sent = []
            for held in self.state.webhooks.release_held():
                entry = await self._send(
                    held.webhook_id, held.delivery_url, held.topic, held.resource_id,
                    held.body, held.headers,
                )  # fmt: skip
                sent.append(entry)
            return sent

    async def _send(
        self,
        webhook_id: int,
        delivery_url: str,
        topic: str,
        resource_id: int,
        body: bytes,
        headers: dict[str, str],
    ) -> Json:
        record = {"id": webhook_id, "delivery_url": delivery_url}
        entry = await self._post(record, topic, resource_id, body, headers, "delivery")
        self.state.webhooks.delivery_done(webhook_id, entry, success=entry["success"])
        return entry

    async def _deliver_message(self, action: Action, body: bytes) -> Json | None:
        """Send a companion plugin message to the paired hub; dropped while unpaired."""
        pairing = self.state.companion.current_pairing()
        if pairing is None:
            return None
        record = {"id": PLUGIN_WEBHOOK_ID, "delivery_url": pairing["hub_url"]}
        headers = {
            "User-Agent": self.user_agent,
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": f"{self.state.url}/",
            "X-WC-Webhook-Topic": action.topic,
            "X-WC-Webhook-Signature": sign(pairing["secret"], body),
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            "X-Connect-Hub-Plugin": PLUGIN_VERSION,
        }
        entry = await self._post(record, action.topic, None, body, headers, "plugin")
        self.state.webhooks.log_ping(entry)
        return entry

    async def _post(
        self,
        record: Json,
        topic: str,
        resource_id: int | None,
        body: bytes,
        headers: dict[str, str],
        kind: str,
    ) -> Json:
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._http().post(
                record["delivery_url"], content=body, headers=headers
            )
            status = response.status_code
        except httpx.TimeoutException:
            error = f"timed out after {self.timeout:g}s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return _entry(
            kind, record, topic, resource_id, headers, status=status, error=error,
            duration=round(time.monotonic() - started, 4),
        )  # fmt: skip


def _entry(
    kind: str,
    record: Json,
    topic: str,
    resource_id: int | None,
    headers: dict[str, str],
    *,
    status: int | None = None,
    error: str | None = None,
    duration: float = 0.0,
) -> Json:
    """One line of the send log (``GET /_sandbox/deliveries``)."""
    return {
        "kind": kind,
        "webhook_id": record["id"],
        "topic": topic,
        "resource_id": resource_id,
        "delivery_url": record["delivery_url"],
        "delivery_id": headers.get("X-WC-Webhook-Delivery-ID"),
        "status": status,
        "success": status is not None and 200 <= status <= 302,
        "error": error,
        "duration": duration,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
