"""A record's ledger: everything the hub did with one object, to answer "where is it, and why".

The events that touched it, each version it had with what changed, the rules' decisions, every
delivery per target (attempts, errors, timing), its links per integration, and the records it
belongs with (an order's shipments and products, a shipment's order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connect_hub.queries.diff import Change, diff
from connect_hub.queries.search import title
from connect_hub.store.models import (
    Delivery,
    DeliveryState,
    Event,
    LedgerEntry,
    Link,
    Record,
    RuleDecision,
)

MAX_ROWS = 200
"""At most this many events, entries and deliveries are shown per record (the newest)."""


@dataclass(frozen=True)
class Version:
    """One version of the record as it was written, with what changed from the one before."""

    version: int
    integration: str
    event_id: int | None
    at: datetime | None
    data: dict[str, Any]
    changes: list[Change]


@dataclass
class Target:
    """Every delivery of the record to one integration, newest first, and the latest one's say."""

    integration: str
    deliveries: list[Delivery]

    @property
    def latest(self) -> Delivery:
        return self.deliveries[0]


@dataclass
class Ledger:
    record: Record
    title: str
    entries: list[LedgerEntry]
    versions: list[Version]
    events: list[Event]
    decisions: list[RuleDecision]
    targets: list[Target]
    links: list[Link]
    related: list[tuple[Record, str]] = field(default_factory=list)
    """(record, how it is related) for the records this one belongs with."""


async def record_ledger(account: str, record_id: int) -> Ledger | None:
    """The ledger of one record of ``account``, or None when there is no such record."""
    record = await Record.get_or_none(id=record_id, account=account)
    if record is None:
        return None
    entries = list(reversed(await LedgerEntry.filter(account=account, record_id=record.id).order_by("-id").limit(MAX_ROWS)))
    deliveries = await Delivery.filter(account=account, record_id=record.id).order_by("-id").limit(MAX_ROWS)
    event_ids = {e.event_id for e in entries if e.event_id} | {d.event_id for d in deliveries if d.event_id}
    events = await Event.filter(account=account, id__in=list(event_ids)).order_by("-id") if event_ids else []
    decisions = await RuleDecision.filter(account=account, record_id=record.id).order_by("-id").limit(MAX_ROWS)
    targets: dict[str, Target] = {}
    for delivery in deliveries:
        targets.setdefault(delivery.integration, Target(delivery.integration, [])).deliveries.append(delivery)
    return Ledger(
        record=record,
        title=title(record.data_type, record.data or {}),
        entries=entries,
        versions=versions(entries),
        events=list(events),
        decisions=list(decisions),
        targets=sorted(targets.values(), key=lambda t: t.integration),
        links=list(await Link.filter(account=account, record_id=record.id).order_by("integration")),
        related=await related(account, record),
    )


def versions(entries: list[LedgerEntry]) -> list[Version]:
    """The versions the entries wrote, newest first, each with its changes from the previous."""
    written = [e for e in entries if e.data is not None]
    result: list[Version] = []
    previous: dict[str, Any] | None = None
    for entry in written:
        changes = diff(previous, entry.data) if previous is not None else []
        result.append(Version(entry.version, entry.integration, entry.event_id, entry.created_at, entry.data, changes))
        previous = entry.data
    return list(reversed(result))


async def related(account: str, record: Record) -> list[tuple[Record, str]]:
    """An order's shipments and products, a shipment's order, a product's stock figure."""
    data = record.data or {}
    found: list[tuple[Record, str]] = []
    if record.data_type == "orders":
        reference = data.get("reference")
        for shipment in await Record.filter(account=account, data_type="shipments", key__startswith=f"shipment:{reference}:").order_by("id").limit(20):
            found.append((shipment, "shipment of this order"))
        product_ids = [line.get("product_record_id") for line in data.get("lines", []) if line.get("product_record_id")]
        for product in await Record.filter(account=account, id__in=product_ids).order_by("id"):
            found.append((product, "product on a line"))
    elif record.data_type == "shipments":
        order = await Record.get_or_none(account=account, data_type="orders", key=f"order:{data.get('order_reference')}")
        if order is not None:
            found.append((order, "the order shipped"))
    elif record.data_type == "products" and data.get("sku"):
        stock = await Record.get_or_none(account=account, data_type="stocks", key=f"sku:{data['sku']}")
        if stock is not None:
            found.append((stock, "stock figure"))
    return found


def where_is_it(ledger: Ledger) -> list[str]:
    """One sentence per target on where the record stands there, and why; then its shipments."""
    sentences = [_target_sentence(ledger.record, target) for target in ledger.targets]
    if not ledger.targets:
        sentences.append(f"not sent anywhere: no integration takes {ledger.record.data_type} from {ledger.record.source}")
    for other, how in ledger.related:
        if other.data_type == "shipments":
            data = other.data or {}
            shipped = ", ".join(filter(None, (data.get("carrier"), data.get("tracking_code")))) or "no tracking code"
            sentences.append(f"shipped ({shipped}), reported by {other.source}")
    return sentences


def _target_sentence(record: Record, target: Target) -> str:
    latest = target.latest
    done = next((d for d in target.deliveries if d.state == DeliveryState.DONE), None)
    has = f"has version {done.version}" + (f" as {done.external_id}" if done.external_id else "") if done else ""
    name = target.integration
    if latest.state == DeliveryState.DONE:
        return f"{name}: done, {has}" + (f" ({latest.reason})" if latest.reason else "")
    prefix = f"{name}: {has}; version {latest.version}" if done and done is not latest else f"{name}:"
    if latest.state == DeliveryState.SKIPPED:
        why = f"blocked by rule {latest.blocked_by!r}" if latest.blocked_by else latest.reason or "skipped"
        return f"{prefix} not sent: {why}"
    if latest.state in (DeliveryState.FAILED, DeliveryState.DEAD):
        tries = f"{latest.attempts} {'try' if latest.attempts == 1 else 'tries'}"
        return f"{prefix} {latest.state} after {tries}: {latest.last_error or 'no error recorded'}. Fix the cause, then replay it."
    if latest.last_error:
        return f"{prefix} retrying (try {latest.attempts} failed: {latest.last_error})"
    return f"{prefix} {latest.state}, on its way"
