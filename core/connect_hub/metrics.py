"""Prometheus metrics of the hub (served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOKS = Counter("connect_hub_webhooks_total", "Webhook requests by integration and verdict", ["integration", "verdict"])
EVENTS = Counter("connect_hub_events_total", "Events processed by the import step, by final state", ["state"])
DELIVERIES = Counter("connect_hub_delivery_tries_total", "Export tries by target integration and resulting state", ["integration", "state"])
NOTICES = Counter("connect_hub_notices_total", "Notices from connector maintenance (e.g. a webhook re-created)", ["integration", "kind"])
