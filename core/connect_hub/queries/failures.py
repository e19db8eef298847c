"""Failures grouped by cause: failed and dead deliveries, failed events, and what is retrying.

A cause is the error with its numbers taken out (``order shop-N line N has no sku``), so the
same problem on many objects is one group that can be replayed at once; HTTP statuses stay.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from connect_hub.store.models import Delivery, DeliveryState, Event, EventState, Record

MAX_SCANNED = 5000
"""At most this many failures are read to group them (the newest); the rest wait for a replay."""
STATUS = re.compile(r"(?<=answered )\d{3}\b")


def cause_of(error: str | None) -> str:
    """The error without the numbers that differ from object to object."""
    text = (error or "no error recorded").strip()
    statuses = STATUS.findall(text)
    text = re.sub(r"\d+", "N", STATUS.sub("\0", text))
    for status in statuses:
        text = text.replace("\0", status, 1)
    return text


@dataclass
class Group:
    """Failures of one kind (``delivery`` or ``event``) with one cause, on one integration."""

    kind: str
    integration: str
    data_type: str
    cause: str
    ids: list[int] = field(default_factory=list)
    states: set[str] = field(default_factory=set)
    example: str = ""
    latest: datetime | None = None
    records: dict[int, str] = field(default_factory=dict)
    """Record id -> key, for the deliveries' records (the first few)."""

    @property
    def id(self) -> str:
        """A stable name for the group in URLs and forms."""
        return hashlib.sha256(f"{self.kind}\0{self.integration}\0{self.data_type}\0{self.cause}".encode()).hexdigest()[:16]


@dataclass
class Failures:
    groups: list[Group]
    retrying: list[Delivery]
    """Deliveries that failed a try and will be tried again (not replayable: they are pending)."""

    @property
    def delivery_ids(self) -> list[int]:
        return [i for g in self.groups if g.kind == "delivery" for i in g.ids]

    @property
    def event_ids(self) -> list[int]:
        return [i for g in self.groups if g.kind == "event" for i in g.ids]

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)


async def failures(account: str, retrying_limit: int = 50) -> Failures:
    """Every failed or dead delivery and failed event of the account, grouped by cause."""
    groups: dict[tuple[str, str, str, str], Group] = {}
    bad = await Delivery.filter(account=account, state__in=[DeliveryState.FAILED, DeliveryState.DEAD]).order_by("-id").limit(MAX_SCANNED)
    for d in bad:
        cause = cause_of(d.last_error)
        group = groups.setdefault(("delivery", d.integration, d.data_type, cause), Group("delivery", d.integration, d.data_type, cause, example=d.last_error or ""))
        group.ids.append(d.id)
        group.states.add(d.state)
        group.latest = max(filter(None, (group.latest, d.updated_at)), default=None)
        if len(group.records) < 10:
            group.records[d.record_id] = ""
    failed_events = await Event.filter(account=account, state=EventState.FAILED).order_by("-id").limit(MAX_SCANNED)
    for e in failed_events:
        cause = cause_of(e.last_error)
        group = groups.setdefault(("event", e.integration, e.topic, cause), Group("event", e.integration, e.topic, cause, example=e.last_error or ""))
        group.ids.append(e.id)
        group.states.add(e.state)
        group.latest = max(filter(None, (group.latest, e.processed_at or e.received_at)), default=None)
    record_ids = {i for g in groups.values() for i in g.records}
    keys = dict(await Record.filter(id__in=list(record_ids)).values_list("id", "key")) if record_ids else {}
    for group in groups.values():
        group.records = {i: keys.get(i, "") for i in group.records}
    retrying = await Delivery.filter(account=account, state__in=[DeliveryState.PENDING, DeliveryState.RUNNING], last_error__isnull=False).order_by("-id").limit(retrying_limit)
    ordered = sorted(groups.values(), key=lambda g: (-len(g.ids), g.kind, g.integration, g.cause))
    return Failures(groups=ordered, retrying=list(retrying))
