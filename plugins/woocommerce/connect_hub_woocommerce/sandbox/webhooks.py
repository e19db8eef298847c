"""Webhooks as the real shop keeps them: subscriptions, the job queue of deliveries, the send log.

- A change queues one action per (webhook, object); more changes before the queue runs merge
  into that action, as Action Scheduler does. The body is built when the action runs (by
  :mod:`.delivery`), so it shows the object's latest state.
- Success is 200-302; there are no retries. A failure while the count is already above 5
  disables the webhook (the 7th in a row), and the count stays at 6, also after re-enabling; a
  success resets it.
- The companion plugin's messages (``checkout.*``, ``shipment.created``) go through the same
  queue with the body fixed when queued; never merged.
- Mishaps, on purpose: the next deliveries matching a topic (and object) can be sent twice,
  held back until released (so they arrive after later ones), or lost.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connect_hub_woocommerce.sandbox import shapes
from connect_hub_woocommerce.sandbox.context import ShopContext
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.topics import valid_topic
from connect_hub_woocommerce.sandbox.values import Json, encode

PLUGIN_WEBHOOK_ID = 0
"""The queue's webhook id for the companion plugin's messages (no WooCommerce webhook has it)."""
DISABLE_AFTER = 5
"""A failure when the count is already above this disables the webhook (7 in a row)."""
WEBHOOK_STATUSES = ("active", "paused", "disabled")
MISHAPS = ("duplicate", "hold", "drop")


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


@dataclass
class Mishap:
    """What befalls the next ``count`` deliveries of ``topic`` (any when None) for object
    ``resource_id`` (any when None): sent twice (``duplicate``), held back until released
    (``hold``), or lost on the way (``drop``)."""

    kind: str
    count: int = 1
    topic: str | None = None
    resource_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in MISHAPS:
            raise ShopError(422, "invalid_mishap", f"a mishap is one of {', '.join(MISHAPS)}")
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise ShopError(422, "invalid_mishap", "count must be a positive integer")
        if self.topic is not None and not isinstance(self.topic, str):
            raise ShopError(422, "invalid_mishap", "topic must be a webhook topic")
        if self.resource_id is not None and not isinstance(self.resource_id, int):
            raise ShopError(422, "invalid_mishap", "resource_id must be an object's id")

    def matches(self, topic: str, resource_id: int) -> bool:
        return (self.topic is None or self.topic == topic) and (
            self.resource_id is None or self.resource_id == resource_id
        )


@dataclass(frozen=True)
class HeldSend:
    """A delivery built and signed when its turn came, held back until released."""

    webhook_id: int
    topic: str
    resource_id: int
    delivery_url: str
    body: bytes
    headers: dict[str, str]


def record_result(webhook: Json, success: bool, now: datetime) -> None:
    """Count a delivery's outcome on the stored webhook (see the module docstring)."""
    if success:
        webhook["failure_count"] = 0
    elif webhook["failure_count"] > DISABLE_AFTER:
        webhook["status"] = "disabled"
        webhook["date_modified"] = now
    else:
        webhook["failure_count"] += 1


class Webhooks:
    """The shop's webhooks (``records`` by id, secret and failure count included), the queue of
    pending deliveries and the log of every send."""

    def __init__(self, ctx: ShopContext):
        self.ctx = ctx
        self.records: dict[int, Json] = {}
        self.pending = PendingQueue()
        self.deliveries: list[Json] = []
        self.mishaps: list[Mishap] = []
        self.held: list[HeldSend] = []
        self._muted = False

    def reset(self) -> None:
        with self.ctx.lock:
            self.records.clear()
            self.forget_traffic()

    def forget_traffic(self) -> None:
        """Forget the queue, the send log, the mishaps and the held deliveries; the webhooks
        stay, their failure counts back at 0."""
        with self.ctx.lock:
            self.pending.clear()
            self.deliveries.clear()
            self.mishaps.clear()
            self.held.clear()
            for webhook in self.records.values():
                webhook["failure_count"] = 0

    # --- events ---------------------------------------------------------------------------

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        """Queue ``resource.event`` for every active webhook on that topic (merged per object)."""
        topic = f"{resource}.{event}"
        with self.ctx.lock:
            if self._muted:
                return
            for webhook in self.records.values():
                if webhook["status"] == "active" and webhook["topic"] == topic:
                    self.pending.add(webhook["id"], topic, resource_id)

    def emit_message(self, topic: str, body: Json) -> None:
        """Queue a companion plugin message (sent to the paired hub when the queue runs)."""
        with self.ctx.lock:
            self.pending.add_message(topic, encode(body))

    @contextmanager
    def muted(self) -> Iterator[None]:
        """No webhook event while inside (the shop as it was before anyone subscribed)."""
        with self.ctx.lock:
            self._muted = True
            try:
                yield
            finally:
                self._muted = False

    def take_pending(self) -> list[Action]:
        """Every queued action, oldest first; the queue is empty afterwards."""
        with self.ctx.lock:
            return self.pending.take_all()

    # --- mishaps ---------------------------------------------------------------------------

    def add_mishap(self, mishap: Mishap) -> None:
        with self.ctx.lock:
            self.mishaps.append(mishap)

    def forget_mishaps(self) -> int:
        """Forget the mishaps that have not befallen a delivery yet; answers how many."""
        with self.ctx.lock:
            forgotten = len(self.mishaps)
            self.mishaps.clear()
            return forgotten

    def take_mishap(self, topic: str, resource_id: int) -> str | None:
        """The kind of the first mishap for this delivery, counted down; None: all is well."""
        with self.ctx.lock:
            for mishap in self.mishaps:
                if mishap.matches(topic, resource_id):
                    mishap.count -= 1
                    if mishap.count == 0:
                        self.mishaps.remove(mishap)
                    return mishap.kind
            return None

    def hold(self, send: HeldSend) -> None:
        with self.ctx.lock:
            self.held.append(send)

    def release_held(self) -> list[HeldSend]:
        """Every held delivery, oldest first; none is held afterwards."""
        with self.ctx.lock:
            held, self.held = self.held, []
            return held

    # --- the REST resource ----------------------------------------------------------------

    def list(self, status: str = "all") -> list[Json]:
        with self.ctx.lock:
            return [
                shapes.webhook(self.ctx.url, w)
                for w in self.records.values()
                if status == "all" or w["status"] == status
            ]

    def get(self, webhook_id: int) -> Json:
        with self.ctx.lock:
            return shapes.webhook(self.ctx.url, self._webhook(webhook_id))

    def _webhook(self, webhook_id: int) -> Json:
        webhook = self.records.get(webhook_id)
        if webhook is None:
            raise ShopError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return webhook

    def record(self, webhook_id: int) -> Json | None:
        """A copy of the stored webhook, secret and failure count included (None if gone)."""
        with self.ctx.lock:
            webhook = self.records.get(webhook_id)
            return copy.deepcopy(webhook) if webhook is not None else None

    def create(self, data: Json) -> Json:
        """Store a webhook; the caller sends the ping. The answer shows ``date_modified`` null."""
        with self.ctx.lock:
            topic = data.get("topic")
            if not isinstance(topic, str) or not valid_topic(topic):
                raise ShopError(
                    400, "woocommerce_rest_shop_webhook_invalid_topic",
                    "Webhook topic is required and must be valid.",
                )  # fmt: skip
            _check_delivery_url(data.get("delivery_url"))
            status = data.get("status", "active")
            _check_status(status)
            now = self.ctx.now()
            webhook = {
                "id": self.ctx.next_id("webhook"),
                "name": str(data.get("name") or f"Webhook created on {now:%b %d, %Y @ %I:%M %p}"),
                "status": status, "topic": topic, "delivery_url": data["delivery_url"],
                "secret": str(data.get("secret") or secrets.token_urlsafe(37)[:50]),
                "failure_count": 0, "date_created": now, "date_modified": None,
            }  # fmt: skip
            self.records[webhook["id"]] = webhook
            shown = shapes.webhook(self.ctx.url, webhook)
            webhook["date_modified"] = now
            return shown

    def update(self, webhook_id: int, data: Json) -> Json:
        """Change a webhook; re-activating keeps its failure count (no ping)."""
        with self.ctx.lock:
            webhook = self._webhook(webhook_id)
            if "topic" in data and not (
                isinstance(data["topic"], str) and valid_topic(data["topic"])
            ):
                raise ShopError(
                    400, "woocommerce_rest_shop_webhook_invalid_topic",
                    "Webhook topic is required and must be valid.",
                )  # fmt: skip
            if "delivery_url" in data:
                _check_delivery_url(data["delivery_url"])
            if "status" in data:
                _check_status(data["status"])
            for name in ("name", "status", "topic", "delivery_url", "secret"):
                if name in data:
                    webhook[name] = data[name]
            webhook["date_modified"] = self.ctx.now()
            return shapes.webhook(self.ctx.url, webhook)

    def delete(self, webhook_id: int) -> Json:
        with self.ctx.lock:
            shown = shapes.webhook(self.ctx.url, self._webhook(webhook_id))
            del self.records[webhook_id]
            self.pending.drop_webhook(webhook_id)
            return shown

    # --- the send log ---------------------------------------------------------------------

    def delivery_done(self, webhook_id: int, entry: Json, *, success: bool) -> None:
        """Log one send and count it for the webhook (7 failures in a row disable it)."""
        with self.ctx.lock:
            self.deliveries.append(entry)
            webhook = self.records.get(webhook_id)
            if webhook is not None and entry["kind"] == "delivery":
                record_result(webhook, success, self.ctx.now())

    def log_ping(self, entry: Json) -> None:
        with self.ctx.lock:
            self.deliveries.append(entry)

    def delivery_log(self) -> list[Json]:
        with self.ctx.lock:
            return copy.deepcopy(self.deliveries)

    def summary(self) -> list[Json]:
        """What ``GET /_sandbox/state`` shows of each webhook (failure count included)."""
        with self.ctx.lock:
            return [
                {"id": w["id"], "topic": w["topic"], "status": w["status"],
                 "delivery_url": w["delivery_url"], "failure_count": w["failure_count"]}
                for w in self.records.values()
            ]  # fmt: skip


def _check_delivery_url(url: Any) -> None:
    if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
        raise ShopError(
            400, "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        )  # fmt: skip


def _check_status(status: Any) -> None:
    if status not in WEBHOOK_STATUSES:
        listed = ", ".join(WEBHOOK_STATUSES[:-1]) + f", and {WEBHOOK_STATUSES[-1]}"
        raise invalid_param("status", f"status is not one of {listed}.", "rest_not_in_enum")
