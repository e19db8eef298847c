"""Prometheus metrics of the hub, served at ``/metrics`` by the service for the whole hub.

Three kinds:

- **counters and histograms of this process** (:data:`REGISTRY`): webhooks by verdict in the
  service; import runs, export tries and export latency in whichever process runs the actors;
  notices in maintenance;
- **the same from every other process** of the hub: with a Redis broker each process publishes
  a snapshot of its registry to Redis (:mod:`connect_hub.metrics_sharing`), and the service
  adds them up, so the workers' counters show wherever the service runs;
- **gauges read from the store at each scrape** (:func:`store_families`): events and
  deliveries by state, the age of the oldest pending one, notices, and the broker's queue depth.
  The store is the truth, so these survive any process's restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from tortoise.functions import Count

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState, Notice

try:  # the *_created series are timestamps: they cannot be added up across processes
    from prometheus_client import disable_created_metrics

    disable_created_metrics()
except ImportError:  # pragma: no cover - older prometheus-client
    pass

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's counters and histograms (what it publishes to the others)."""

WEBHOOKS = Counter(
    "connect_hub_webhooks_total", "Webhook requests by integration and verdict (accept, reject, ping, too_large, busy, malformed)",
    ["integration", "verdict"], registry=REGISTRY,
)
EVENTS = Counter(
    "connect_hub_events_total", "Import runs of an event by outcome (imported, deferred, crashed)",
    ["outcome"], registry=REGISTRY,
)
DELIVERIES = Counter(
    "connect_hub_delivery_tries_total", "Export tries by target integration and resulting state",
    ["integration", "state"], registry=REGISTRY,
)
EXPORT_LATENCY = Histogram(
    "connect_hub_export_latency_seconds", "From a delivery's planning to the target holding it (done), by target integration",
    ["integration"], registry=REGISTRY,
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, float("inf")),
)
NOTICES = Counter(
    "connect_hub_notices_total", "Notices from connector maintenance (e.g. a webhook re-created)",
    ["integration", "kind"], registry=REGISTRY,
)


def observe_settled(integration: str, state: str, created_at: datetime | None) -> None:
    """Count one export try, and its latency when the target now holds the version."""
    DELIVERIES.labels(integration, state).inc()
    if state == DeliveryState.DONE and created_at is not None:
        EXPORT_LATENCY.labels(integration).observe(max(0.0, (datetime.now(UTC) - created_at).total_seconds()))


async def store_families(account: str, queue_depth: int | None) -> list[Metric]:
    """The gauges read from the store now, for one account."""
    events = GaugeMetricFamily("connect_hub_events", "Events in the store by integration and state", labels=["integration", "state"])
    for row in await _counts(Event, account):
        events.add_metric([row["integration"], row["state"]], row["n"])
    deliveries = GaugeMetricFamily("connect_hub_deliveries", "Deliveries in the store by target integration and state", labels=["integration", "state"])
    for row in await _counts(Delivery, account):
        deliveries.add_metric([row["integration"], row["state"]], row["n"])
    notices = GaugeMetricFamily("connect_hub_notices", "Notices in the store by integration and kind", labels=["integration", "kind"])
    rows = await Notice.filter(account=account).annotate(n=Count("id")).group_by("integration", "kind").values("integration", "kind", "n")
    for row in rows:
        notices.add_metric([row["integration"], row["kind"]], row["n"])
    oldest = GaugeMetricFamily(
        "connect_hub_oldest_pending_seconds", "Age of the oldest pending event or delivery (0 when none)", labels=["kind"],
    )
    now = datetime.now(UTC)
    event = await Event.filter(account=account, state=EventState.PENDING).order_by("id").first().values("received_at")
    delivery = await Delivery.filter(account=account, state__in=[DeliveryState.PENDING, DeliveryState.RUNNING]).order_by("id").first().values("created_at")
    oldest.add_metric(["event"], _age(now, event["received_at"] if event else None))
    oldest.add_metric(["delivery"], _age(now, delivery["created_at"] if delivery else None))
    families: list[Metric] = [events, deliveries, notices, oldest]
    if queue_depth is not None:
        depth = GaugeMetricFamily("connect_hub_queue_depth", "Messages waiting in the broker")
        depth.add_metric([], queue_depth)
        families.append(depth)
    return families


async def _counts(model: Any, account: str) -> list[dict[str, Any]]:
    return await model.filter(account=account).annotate(n=Count("id")).group_by("integration", "state").values("integration", "state", "n")


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0
