"""The account's state at a glance: used by ``connect-hub status`` and ``GET /api/v1/status``."""

from __future__ import annotations

from typing import Any

from tortoise.functions import Count

from connect_hub.account import Account
from connect_hub.store import statistics
from connect_hub.store.models import Delivery, Event


async def account_status(account: Account, queue_depth: int | None) -> dict[str, Any]:
    """Per integration: delivery counts by state; events by state; the broker's queue depth; what
    the store's server leaves undone that the engineer should know of (``store_warnings``)."""
    rows = await Delivery.filter(account=account.name).annotate(n=Count("id")).group_by("integration", "state").values("integration", "state", "n")
    events = await Event.filter(account=account.name).annotate(n=Count("id")).group_by("integration", "state").values("integration", "state", "n")
    integrations: dict[str, dict[str, Any]] = {}
    for name, integration in account.integrations.items():
        integrations[name] = {
            "connector": integration.connector,
            "preset": integration.preset,
            "deliveries": {},
            "events": {},
        }
    for row in rows:
        integrations.setdefault(row["integration"], {"deliveries": {}, "events": {}})["deliveries"][row["state"]] = row["n"]
    for row in events:
        integrations.setdefault(row["integration"], {"deliveries": {}, "events": {}})["events"][row["state"]] = row["n"]
    unvacuumed = await statistics.unvacuumed()
    warnings = [unvacuumed] if unvacuumed is not None else []
    return {"account": account.name, "queue_depth": queue_depth, "integrations": integrations, "store_warnings": warnings}


def queue_depth(broker: Any, queue: str) -> int | None:
    """Messages waiting in the broker, or None when the broker cannot tell."""
    try:
        if hasattr(broker, "client"):  # Redis
            return int(broker.client.llen(f"{broker.namespace}:{queue}"))
        if hasattr(broker, "backlog"):  # in-process: what waits for its actor
            return int(broker.backlog())
        q = broker.queues.get(queue)
        return q.qsize() if q is not None else 0
    except Exception:  # noqa: BLE001 - a status display must not fail on the broker
        return None
