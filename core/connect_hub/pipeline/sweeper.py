"""The sweeper: finds pending work nobody is doing (a lost message, a killed worker) and re-sends it.

The store is the truth and the broker only a wake-up, so after any crash or restart this is what
makes the pending work complete. It must not re-send what is merely queued: under a burst, every
pending event is older than ``stale_after`` while its message waits its turn, and re-sending
them all would only lengthen the queue they wait in. So work counts as stale only once it has
been pending for ``stale_after`` *longer than the broker's oldest waiting message has waited*:
the queue is first in, first out, so by then its own message, if it had one, has been taken by
a worker. And what the sweeper re-sent it trusts for as long again before re-sending it.

With the in-process broker, whatever was pending when the process started had its message in a
queue that is gone: that is stale at once (``forgotten_before``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState

BATCH = 500


@dataclass(frozen=True)
class Stale:
    events: list[int]
    deliveries: list[int]


async def find_stale(
    account: str, stale_after: float, *, backlog_age: float = 0.0, forgotten_before: datetime | None = None,
    limit: int = BATCH,
) -> Stale:
    """Pending Events and Deliveries untouched for ``stale_after`` seconds beyond ``backlog_age``
    (how long the broker's oldest waiting message has waited), or since before
    ``forgotten_before``, unless a worker holds its lease; and Deliveries and Events whose lease
    ran out. Oldest first."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=stale_after + backlog_age)
    if forgotten_before is not None:
        cutoff = max(cutoff, forgotten_before)
    unleased = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    events = await Event.filter(unleased, account=account, state=EventState.PENDING, received_at__lt=cutoff).order_by("id").limit(limit).values_list("id", flat=True)
    due = Q(state=DeliveryState.PENDING) & (
        (Q(next_attempt_at__isnull=True) & Q(updated_at__lt=cutoff)) | Q(next_attempt_at__lt=cutoff)
    )
    expired = Q(state=DeliveryState.RUNNING) & Q(lease_until__lt=now)
    deliveries = await Delivery.filter(Q(account=account), due | expired).order_by("id").limit(limit).values_list("id", flat=True)
    return Stale(events=list(events), deliveries=list(deliveries))


@dataclass
class Resent:
    """What the sweeper re-sent, and until when (``time.monotonic()``) it trusts that message."""

    until: dict[tuple[str, int], float] = field(default_factory=dict)

    def fresh(self, stale: Stale, trust_for: float) -> Stale:
        """The part of ``stale`` not re-sent within its trust, now marked re-sent for ``trust_for`` s."""
        now = time.monotonic()
        self.until = {key: t for key, t in self.until.items() if t > now}
        picked: dict[str, list[int]] = {"event": [], "delivery": []}
        for kind, ids in (("event", stale.events), ("delivery", stale.deliveries)):
            for item in ids:
                if (kind, item) not in self.until:
                    self.until[(kind, item)] = now + trust_for
                    picked[kind].append(item)
        return Stale(events=picked["event"], deliveries=picked["delivery"])


async def free_leases_left_by_a_dead_run(account: str) -> tuple[int, int]:
    """Free the leases an earlier run of an embedded hub left when it died: (events, deliveries).

    With the in-process broker, the hub that starts consuming is the only worker there is, so a
    lease it finds was taken by a process that is gone. Freed, that work is stale at once
    (``forgotten_before``) instead of waiting for the lease to run out.
    """
    events = await Event.filter(account=account, state=EventState.PENDING, lease_until__isnull=False).update(lease_until=None)
    deliveries = await Delivery.filter(account=account, state=DeliveryState.RUNNING).update(state=DeliveryState.PENDING, lease_until=None)
    return events, deliveries

