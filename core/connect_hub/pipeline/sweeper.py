"""The sweeper: finds pending work nobody is doing (a lost message, a killed worker) and re-sends it.

The store is the truth and the broker only a wake-up, so after any crash or restart this is what
makes the pending work complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState

BATCH = 500


@dataclass(frozen=True)
class Stale:
    events: list[int]
    deliveries: list[int]


async def find_stale(account: str, stale_after: float, *, limit: int = BATCH) -> Stale:
    """Pending Events and Deliveries untouched for ``stale_after`` seconds, and expired leases."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=stale_after)
    events = await Event.filter(account=account, state=EventState.PENDING, received_at__lt=cutoff).limit(limit).values_list("id", flat=True)
    due = Q(state=DeliveryState.PENDING) & (
        (Q(next_attempt_at__isnull=True) & Q(updated_at__lt=cutoff)) | Q(next_attempt_at__lt=cutoff)
    )
    expired = Q(state=DeliveryState.RUNNING) & Q(lease_until__lt=now)
    deliveries = await Delivery.filter(Q(account=account), due | expired).limit(limit).values_list("id", flat=True)
    return Stale(events=list(events), deliveries=list(deliveries))
