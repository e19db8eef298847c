"""Webhook deliveries as the real shop makes them: a job queue, merged events, signed bodies.

- A change queues one action per (webhook, object); more changes before the queue runs merge
  into that action, as Action Scheduler does. The body is built when the action runs, so it
  shows the object's latest state.
- A send is a POST of the JSON body with the ``X-WC-Webhook-*`` headers; 200-302 is success.
  There are no retries. A failure while the count is already above 5 disables the webhook
  (the 7th in a row), and the count stays at 6, also after re-enabling; a success resets it.
- The creation ping is ``webhook_id=<id>`` as a form, no ``X-WC-Webhook-*`` headers, not logged
  as a failure whatever the answer.
- The companion plugin's messages (``checkout.*``, ``shipment.created``) go through the same
  queue with the body fixed when queued, to the address and secret given at pairing, signed and
  headed like a webhook plus ``X-Connect-Hub-Plugin: <version>``; never merged, never retried.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from connect_hub_woocommerce.webhooks import sign

if TYPE_CHECKING:
    from connect_hub_woocommerce.sandbox.state import ShopState

Json = dict[str, Any]
PLUGIN_VERSION = "0.1.0"
"""The companion plugin version the sandbox reports."""
PLUGIN_WEBHOOK_ID = 0
"""The queue's webhook id for the companion plugin's messages (no WooCommerce webhook has it)."""
DISABLE_AFTER = 5
"""A failure when the count is already above this disables the webhook (7 in a row)."""

TOPIC_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "order.restored": ["untrashed_post"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product",
                        "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product",
                        "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}  # fmt: skip


def valid_topic(topic: str) -> bool:
    """A resource topic the shop knows, or any ``action.<hook>``."""
    return topic in TOPIC_HOOKS or (topic.startswith("action.") and len(topic) > len("action."))


def hooks_for(topic: str) -> list[str]:
    """The WordPress hooks a topic listens to, as ``GET /webhooks`` shows them."""
    if topic.startswith("action."):
        return [topic.removeprefix("action.")]
    return list(TOPIC_HOOKS.get(topic, []))


@dataclass(frozen=True)
class Action:
    """One queued delivery: a webhook, its topic and the object's id."""

    webhook_id: int
    topic: str
    resource_id: int
    body: bytes | None = None
    """A companion plugin message's body, fixed when queued; None: built at send time."""


class PendingQueue:
    """Queued actions in order; one per (webhook, object), so repeated changes merge."""

    def __init__(self) -> None:
        self._actions: OrderedDict[tuple[int, int], Action] = OrderedDict()
        self._messages = 0

    def add(self, webhook_id: int, topic: str, resource_id: int) -> None:
        key = (webhook_id, resource_id)
        if key not in self._actions:
            self._actions[key] = Action(webhook_id, topic, resource_id)

    def add_message(self, topic: str, body: bytes) -> None:
        """A companion plugin message: sent as it is, never merged with another."""
        self._messages += 1
        key = (PLUGIN_WEBHOOK_ID, self._messages)
        self._actions[key] = Action(PLUGIN_WEBHOOK_ID, topic, self._messages, body)

    def take_all(self) -> list[Action]:
        actions = list(self._actions.values())
        self._actions.clear()
        return actions

    def drop_webhook(self, webhook_id: int) -> None:
        for key in [k for k in self._actions if k[0] == webhook_id]:
            del self._actions[key]

    def clear(self) -> None:
        self._actions.clear()

    def __len__(self) -> int:
        return len(self._actions)


def record_result(webhook: Json, success: bool, now: datetime) -> None:
    """Count a delivery's outcome on the stored webhook (see the module docstring)."""
    if success:
        webhook["failure_count"] = 0
    elif webhook["failure_count"] > DISABLE_AFTER:
        webhook["status"] = "disabled"
        webhook["date_modified"] = now
    else:
        webhook["failure_count"] += 1


def encode(data: Any) -> bytes:
    """JSON as PHP's ``wp_json_encode`` writes it: compact, ``\\/`` and ``\\uXXXX`` escapes."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


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
        self.state.log_ping(entry)
        return entry

    async def run_queue(self) -> list[Json]:
        """Send every queued action now, one after the other; returns their log entries."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            actions = self.state.take_pending()
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
            if len(self.state.pending):
                await self.run_queue()

    async def _deliver(self, action: Action) -> Json | None:
        if action.body is not None:
            return await self._deliver_message(action, action.body)
        record = self.state.webhook_record(action.webhook_id)
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
        entry = await self._post(
            record, action.topic, action.resource_id, body, headers, "delivery"
        )
        self.state.delivery_done(record["id"], entry, success=entry["success"])
        return entry

    async def _deliver_message(self, action: Action, body: bytes) -> Json | None:
        """Send a companion plugin message to the paired hub; dropped while unpaired."""
        pairing = self.state.companion_pairing()
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
        self.state.log_ping(entry)
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
            "duration": round(time.monotonic() - started, 4),
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
