"""Replay: put failed or dead work back to pending so it runs again, full tries included."""

from __future__ import annotations

from datetime import UTC, datetime

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState

REPLAYABLE = (DeliveryState.FAILED, DeliveryState.DEAD)


async def replay_delivery(account: str, delivery_id: int) -> bool:
    """Make one failed or dead Delivery pending again; False if there is no such delivery."""
    count = await Delivery.filter(id=delivery_id, account=account, state__in=REPLAYABLE).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=None, lease_until=None, updated_at=datetime.now(UTC)
    )
    return bool(count)


async def replay_failed_deliveries(account: str) -> list[int]:
    """Every failed or dead Delivery of the account back to pending; returns their ids."""
    ids = list(await Delivery.filter(account=account, state__in=REPLAYABLE).values_list("id", flat=True))
    if ids:
        await Delivery.filter(id__in=ids, state__in=REPLAYABLE).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=None, lease_until=None, updated_at=datetime.now(UTC)
        )
    return ids


async def replay_event(account: str, event_id: int) -> bool:
    """Make one failed Event pending again, to be parsed and merged anew."""
    count = await Event.filter(id=event_id, account=account, state=EventState.FAILED).update(state=EventState.PENDING, attempts=0)
    return bool(count)


async def replay_failed_events(account: str) -> list[int]:
    ids = list(await Event.filter(account=account, state=EventState.FAILED).values_list("id", flat=True))
    if ids:
        await Event.filter(id__in=ids, state=EventState.FAILED).update(state=EventState.PENDING, attempts=0)
    return ids
