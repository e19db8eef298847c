"""Find anything: an order by its number, a product by SKU or barcode, a contact by e-mail, any
object by the id it has in one of the integrations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connect_hub.store.models import Delivery, Event, EventState, Link, Record

LIMIT = 50
SCANNED = 2000
"""Orders by e-mail or SKU, and failed events by their text, are looked for among this many of
the newest (the store keeps no index on what is inside an object)."""
ORDER_FIRST = {"orders": 0, "shipments": 1, "contacts": 2, "products": 3, "checkouts": 4, "stocks": 5}


@dataclass(frozen=True)
class Found:
    """One record that matches, and why it does (``order number 1042``)."""

    record_id: int
    data_type: str
    key: str
    title: str
    why: str


def title(data_type: str, data: dict[str, Any]) -> str:
    """A short line that names a record the way a merchant knows it."""
    get = data.get
    if data_type == "orders":
        return f"order {get('number')} ({get('reference')}), {get('status') or get('source_status')}, {get('total')} {get('currency')}, {get('email') or 'no e-mail'}"
    if data_type == "products":
        return f"product {get('sku') or get('barcode')}: {get('name') or 'no name yet'}"
    if data_type == "contacts":
        name = " ".join(filter(None, (get("first_name"), get("last_name"))))
        return f"contact {get('email')}" + (f" ({name})" if name else "")
    if data_type == "shipments":
        return f"shipment of order {get('order_reference')}: {get('carrier') or 'carrier?'} {get('tracking_code')}"
    if data_type == "stocks":
        return f"stock of {get('sku')}: {get('quantity')}"
    if data_type == "checkouts":
        return f"checkout {get('reference')} of {get('email')}, {get('status')}"
    return f"{data_type} record"


async def search(account: str, text: str, limit: int = LIMIT) -> list[Found]:
    """Records matching ``text``: exact keys, order numbers, and external ids in any integration."""
    q = text.strip().lstrip("#").strip()
    if not q:
        return []
    found: dict[int, Found] = {}

    def add(record: Record, why: str) -> None:
        if record.id not in found:
            found[record.id] = Found(record.id, record.data_type, record.key, title(record.data_type, record.data or {}), why)

    keys = {f"order:{q}": "order reference", f"sku:{q}": "SKU", f"barcode:{q}": "barcode", f"email:{q.lower()}": "e-mail", f"checkout:{q}": "checkout reference"}
    for record in await Record.filter(account=account, key__in=list(keys)).limit(limit):
        add(record, keys[record.key])
    for record in await Record.filter(account=account, data_type="orders", key__endswith=f"-{q}").limit(limit):
        if str((record.data or {}).get("number")) == q:
            add(record, "order number")
    for record in await Record.filter(account=account, data_type="shipments", key__startswith=f"shipment:{q}:").limit(limit):
        add(record, "shipment of that order reference")
    links = await Link.filter(account=account, external_id=q).limit(limit).values_list("record_id", "integration")
    exported = await Delivery.filter(account=account, external_id=q).limit(limit).values_list("record_id", "integration")
    where: dict[int, str] = {}
    for record_id, integration in [*links, *exported]:
        where.setdefault(record_id, f"id in {integration}")
    for record in await Record.filter(account=account, id__in=list(where)):
        add(record, where[record.id])
    for record in await Record.filter(account=account, data_type="orders").order_by("-id").limit(SCANNED):
        why = _order_mentions(record.data or {}, q)
        if why:
            add(record, why)
    return sorted(found.values(), key=lambda f: (ORDER_FIRST.get(f.data_type, 9), f.record_id))[:limit]


def _order_mentions(data: dict[str, Any], q: str) -> str | None:
    """Why an order matches ``q`` by what is inside it: its e-mail, or a line's SKU."""
    if "@" in q and str(data.get("email", "")).strip().lower() == q.lower():
        return "order of that e-mail"
    if any(line.get("sku") == q for line in data.get("lines", [])):
        return "order with a line of that SKU"
    return None


async def failed_events_mentioning(account: str, text: str, limit: int = 20) -> list[Event]:
    """Failed events whose body, as received, contains ``text``: an order whose import failed has
    no record, but its event says what it was."""
    q = text.strip().lstrip("#").strip()
    if not q:
        return []
    needle = q.encode()
    events = await Event.filter(account=account, state=EventState.FAILED).order_by("-id").limit(SCANNED)
    return [e for e in events if needle in bytes(e.body)][:limit]
