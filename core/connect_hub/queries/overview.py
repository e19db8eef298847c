"""The account at a glance: integrations' health, the sync matrix, counts, backlog, throughput."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.functions import Count

from connect_hub.account import Account
from connect_hub.contracts import Integration
from connect_hub.manifest import DataType, Direction
from connect_hub.store.models import (
    Cursor,
    Delivery,
    DeliveryState,
    Event,
    EventState,
    LedgerEntry,
    Notice,
)

BUCKETS = 12
BUCKET = timedelta(minutes=5)
RECENT_EVENTS = 15
RECENT_SCANNED = 500
"""Webhook activity is read from this many of an integration's newest events."""


@dataclass
class Health:
    """One integration: its polls (cursor per data type), its webhooks seen, its notices."""

    integration: Integration
    cursors: list[Cursor]
    notices: list[Notice]
    last_webhook_at: datetime | None
    webhooks_last_hour: int
    polled_last_hour: int
    webhook_topics: list[str]
    """The topics the connector's webhooks arrive under, as seen in the newest events."""
    webhooks: Any = None
    """What the remote system says of its webhooks to the hub: a list of
    :class:`~connect_hub.contracts.WebhookStatus`, a sentence when it could not be asked, or None."""

    @property
    def takes_webhooks(self) -> bool:
        return any(f.direction == Direction.IMPORT and f.timeframe == "realtime" for f in self.integration.flows)


@dataclass(frozen=True)
class Bucket:
    start: datetime
    received: int
    exported: int
    failed: int


@dataclass(frozen=True)
class RecentEvent:
    event: Event
    record_id: int | None
    record_key: str | None


@dataclass
class Overview:
    health: list[Health]
    matrix: list[tuple[str, list[list[str]]]]
    """(data type, one cell per integration: e.g. ["import realtime + poll 10m", "export 5m"])."""
    deliveries: dict[str, int]
    events: dict[str, int]
    queue_depth: int | None
    oldest_pending_delivery: datetime | None
    oldest_pending_event: datetime | None
    throughput: list[Bucket]
    recent: list[RecentEvent] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def flow_text(flow: Any) -> str:
    text = f"{flow.direction} {flow.timeframe}"
    if flow.reconcile:
        text += f" + poll {flow.reconcile}"
    if flow.batch_size:
        text += f" (batches of {flow.batch_size})"
    return text


def sync_matrix(account: Account) -> list[tuple[str, list[list[str]]]]:
    """Data type x integration: each integration's flows of that type, with their timeframes."""
    rows = []
    for data_type in DataType:
        cells = [[flow_text(f) for f in i.flows if f.data_type == data_type] for i in account.integrations.values()]
        if any(cells):
            rows.append((str(data_type), cells))
    return rows


async def health(account: Account, integration: Integration, since: datetime, webhooks: Any = None) -> Health:
    name = integration.name
    cursors = await Cursor.filter(account=account.name, integration=name).order_by("data_type")
    notices = await Notice.filter(account=account.name, integration=name).order_by("-id").limit(5)
    newest = await Event.filter(account=account.name, integration=name).order_by("-id").limit(RECENT_SCANNED).values("topic", "headers", "received_at")
    hooks = [e for e in newest if (e["headers"] or {}).get("x-hub-source") != "poll"]
    return Health(
        integration=integration,
        cursors=list(cursors),
        notices=list(notices),
        last_webhook_at=hooks[0]["received_at"] if hooks else None,
        webhooks_last_hour=sum(1 for e in hooks if e["received_at"] >= since),
        polled_last_hour=sum(1 for e in newest if e["received_at"] >= since and e not in hooks),
        webhook_topics=sorted({e["topic"] for e in hooks}),
        webhooks=webhooks,
    )


async def _counts(model: Any, account: str) -> dict[str, int]:
    rows = await model.filter(account=account).annotate(n=Count("id")).group_by("state").values("state", "n")
    return {r["state"]: r["n"] for r in rows}


async def throughput(account: str, now: datetime) -> list[Bucket]:
    """Per five minutes over the last hour: events received, deliveries done and failed."""
    buckets = []
    for index in range(BUCKETS, 0, -1):
        start, end = now - index * BUCKET, now - (index - 1) * BUCKET
        received = await Event.filter(account=account, received_at__gte=start, received_at__lt=end).count()
        settled = Delivery.filter(account=account, updated_at__gte=start, updated_at__lt=end)
        exported = await settled.filter(state=DeliveryState.DONE).count()
        failed = await settled.filter(state__in=[DeliveryState.FAILED, DeliveryState.DEAD]).count()
        buckets.append(Bucket(start, received, exported, failed))
    return buckets


async def recent_events(account: str, limit: int = RECENT_EVENTS) -> list[RecentEvent]:
    """The newest events, each with the record it touched (the first one, if several)."""
    events = await Event.filter(account=account).order_by("-id").limit(limit)
    ids = [e.id for e in events]
    touched = await LedgerEntry.filter(account=account, event_id__in=ids).order_by("id").values("event_id", "record_id", "record__key") if ids else []
    first: dict[int, tuple[int, str]] = {}
    for row in touched:
        first.setdefault(row["event_id"], (row["record_id"], row["record__key"]))
    return [RecentEvent(e, *first.get(e.id, (None, None))) for e in events]


async def overview(account: Account, queue_depth: int | None, webhooks: dict[str, Any] | None = None) -> Overview:
    """The account at a glance; ``webhooks``: per integration, what its remote system said of
    its webhooks (see :attr:`Health.webhooks`)."""
    now = datetime.now(UTC)
    name = account.name
    waiting = [DeliveryState.PENDING, DeliveryState.RUNNING]
    oldest_delivery = await Delivery.filter(account=name, state__in=waiting).order_by("created_at").first().values_list("created_at", flat=True)
    oldest_event = await Event.filter(account=name, state=EventState.PENDING).order_by("received_at").first().values_list("received_at", flat=True)
    return Overview(
        health=[await health(account, i, now - timedelta(hours=1), (webhooks or {}).get(i.name)) for i in account.integrations.values()],
        matrix=sync_matrix(account),
        deliveries=await _counts(Delivery, name),
        events=await _counts(Event, name),
        queue_depth=queue_depth,
        oldest_pending_delivery=oldest_delivery,
        oldest_pending_event=oldest_event,
        throughput=await throughput(name, now),
        recent=await recent_events(name),
        now=now,
    )
