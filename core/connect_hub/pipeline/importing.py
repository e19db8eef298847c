"""Import: parse an Event through its connector, apply import rules, merge into the store.

A record version and the Deliveries it causes are written in one transaction (transactional
outbox); the ids returned are what the caller wakes export actors for.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from connect_hub.account import Account
from connect_hub.canonical import Canonical, Checkout, Order, Product, Shipment, Stock, load
from connect_hub.contracts import Incoming, RawEvent, RuleContext
from connect_hub.errors import MappingError
from connect_hub.manifest import DataType
from connect_hub.pipeline import ledger
from connect_hub.pipeline.checkouts import completed_by, merge_forward
from connect_hub.pipeline.decisions import Pending, record_decision, run_effects
from connect_hub.pipeline.routing import plan_deliveries
from connect_hub.pipeline.stock import available_stock, ignored_stock_reason
from connect_hub.rules import Decision
from connect_hub.secrets import redact
from connect_hub.store.models import Event, EventState, Link, Record

log = logging.getLogger(__name__)
MAX_IMPORT_ATTEMPTS = 5


async def import_event(account: Account, event_id: int) -> list[int]:
    """Process one Event; return the ids of the pending Deliveries it created.

    Safe to run any number of times: a done event is left alone, and merging the same content
    again changes nothing.
    """
    event = await Event.get_or_none(id=event_id, account=account.name)
    if event is None or event.state != EventState.PENDING:
        return []
    if event.attempts >= MAX_IMPORT_ATTEMPTS:
        await _finish(event, EventState.FAILED, f"the import stopped its worker {event.attempts} times; replay it once fixed")
        return []
    event.attempts += 1  # counted before the work, so an event that kills its worker ends failed
    await event.save(update_fields=["attempts"])
    integration = account.integration(event.integration)
    if integration is None:
        await _finish(event, EventState.FAILED, f"integration {event.integration!r} is not configured")
        return []
    raw = RawEvent(
        id=event.id, integration=event.integration, topic=event.topic,
        headers=event.headers, body=bytes(event.body), received_at=event.received_at,
    )
    try:
        incoming = await account.plugins.parse_event(integration, raw)
    except MappingError as exc:
        await _finish(event, EventState.FAILED, redact(str(exc), *account.secrets()))
        return []
    except Exception as exc:
        log.exception("connector %s failed to parse event %s", integration.connector, event.id)
        await _finish(event, EventState.FAILED, redact(f"{type(exc).__name__}: {exc}", *account.secrets()))
        return []
    deliveries: list[int] = []
    notes: list[str] = []
    accepted: list[tuple[Incoming, Decision]] = []
    blocked: list[tuple[Incoming, Decision]] = []
    for item in incoming:
        if not integration.imports(item.data_type):
            notes.append(f"{item.data_type} from {integration.name} is not imported (manifest/preset)")
            continue
        if isinstance(item.obj, Stock):
            if reason := ignored_stock_reason(account, integration):
                notes.append(reason)
                continue
            item.obj = await available_stock(account, integration, item.obj)
        if isinstance(item.obj, Shipment) and item.related.get("order"):
            item.obj = await for_linked_order(account, integration.name, item.obj, item.related["order"])
        context = RuleContext(account=account.name, stage="import", integration=integration.name, data_type=item.data_type)
        try:
            decision = account.rules.apply(item.obj, context)
        except MappingError as exc:
            await _finish(event, EventState.FAILED, redact(str(exc), *account.secrets()))
            return []
        if decision.blocked:
            notes.append(f"{item.data_type} {item.external_id}: {decision.summary()}")
            blocked.append((item, decision))
            continue
        item.obj = decision.obj
        if isinstance(item.obj, Order) and item.obj.status is None:
            await _finish(event, EventState.FAILED, unplaced_status(item.obj, integration.name))
            return []
        accepted.append((item, decision))
    for item, decision in accepted:
        try:
            deliveries += await merge(account, integration.name, item, event.id, decision)
            if isinstance(item.obj, Order) and integration.imports(DataType.CHECKOUTS):
                checkout = await completed_by(account, item.obj)
                if checkout is not None:
                    deliveries += await merge(account, integration.name, Incoming(checkout, checkout.reference), event.id)
        except MappingError as exc:
            await _finish(event, EventState.FAILED, redact(str(exc), *account.secrets()))
            return deliveries
    pending: Pending = []
    async with in_transaction() as conn:
        for item, decision in blocked:
            await record_decision(
                account, decision, stage="import", integration=integration.name, data_type=str(item.data_type),
                event_id=event.id, connection=conn, pending=pending,
            )
        await _finish(event, EventState.DONE, "; ".join(notes) or None, conn)
    await run_effects(account, pending)
    return deliveries


async def for_linked_order(account: Account, source: str, shipment: Shipment, order_id: str) -> Shipment:
    """The shipment pointed at the order the source's order ``order_id`` is linked to, when the
    hub knows that order under another reference (one it placed in the source, say)."""
    link = await Link.filter(
        account=account.name, integration=source, data_type=str(DataType.ORDERS), external_id=order_id
    ).first()
    if link is None:
        return shipment
    order = await Record.get_or_none(id=link.record_id)
    reference = (order.data or {}).get("reference") if order is not None else None
    if not reference or reference == shipment.order_reference:
        return shipment
    return shipment.model_copy(update={"order_reference": reference})


def unplaced_status(order: Order, integration: str) -> str:
    """Why an order without a hub status is kept as failed, and the two ways to fix it."""
    status = order.source_status
    return (
        f"order {order.number} of integration {integration!r} has the status {status!r}, which has no "
        f"hub status: map it in the integration's status_map setting (status_map: {{{status!r}: processing}}) "
        f"or with an import rule (e.g. map: {{field: status, from: source_status, table: {{{status!r}: processing}}}}), "
        "then replay the event"
    )


async def _finish(event: Event, state: EventState, message: str | None, connection: object = None) -> None:
    event.state = state
    event.last_error = message
    event.processed_at = datetime.now(UTC)
    await event.save(update_fields=["state", "last_error", "attempts", "processed_at"], using_db=connection)


async def merge(
    account: Account, source: str, item: Incoming, event_id: int | None, decision: Decision | None = None
) -> list[int]:
    """Merge one incoming object into its record; retry once if a concurrent import created it.

    ``decision`` (what the import rules did to it) is recorded with the record version; the
    effects of the decisions made here run once the transaction has committed.
    """
    pending: Pending = []
    try:
        ids = await _merge_once(account, source, item, event_id, decision, pending)
    except IntegrityError:
        pending.clear()
        ids = await _merge_once(account, source, item, event_id, decision, pending)
    await run_effects(account, pending)
    return ids


async def _merge_once(
    account: Account, source: str, item: Incoming, event_id: int | None, decision: Decision | None, pending: Pending
) -> list[int]:
    obj = item.obj
    data_type = str(obj.data_type)
    key = obj.match_key()
    async with in_transaction() as conn:
        record = (
            await Record.filter(account=account.name, data_type=data_type, key=key)
            .select_for_update()
            .using_db(conn)
            .first()
        )
        if isinstance(obj, Checkout) and record is not None:  # its status never goes back
            obj = merge_forward(obj, load(DataType.CHECKOUTS, record.data))  # type: ignore[arg-type]
        new_hash = obj.content_hash()
        link = await Link.filter(
            account=account.name, integration=source, data_type=data_type, external_id=item.external_id
        ).using_db(conn).first()
        changed = older = False
        created = record is None
        if record is None:
            if isinstance(obj, Order):
                await _link_order_lines(account, obj, conn)
            record = await Record.create(
                account=account.name, data_type=data_type, key=key, version=1, hash=new_hash,
                data=obj.model_dump(mode="json"), source=source, source_modified_at=obj.modified_at,
                status=status_of(obj), using_db=conn,
            )
            changed = True
        elif _is_older(obj, record):
            older = True
            log.info("ignored an older %s %s from %s (no going back)", data_type, key, source)
        elif new_hash != record.hash:
            if isinstance(obj, Order):  # only a version that is written needs its lines linked
                await _link_order_lines(account, obj, conn)
            record.version += 1
            record.hash = new_hash
            record.data = obj.model_dump(mode="json")
            record.source = source
            record.source_modified_at = obj.modified_at or record.source_modified_at
            record.status = status_of(obj)
            await record.save(using_db=conn)
            changed = True
        echo = link is not None and link.last_export_hash == new_hash
        outcome = ledger.outcome(changed=changed, created=created, older=older, echo=echo)
        await ledger.note(
            account.name, record, outcome, integration=source, content_hash=new_hash, written=changed,
            event_id=event_id, external_id=item.external_id, connection=conn,
        )
        if link is None:
            link = await Link.create(
                account=account.name, integration=source, data_type=data_type, external_id=item.external_id,
                record_id=record.id, last_import_hash=new_hash, last_import_modified_at=obj.modified_at,
                using_db=conn,
            )
        else:
            link.last_import_hash = new_hash
            link.last_import_modified_at = obj.modified_at
            await link.save(using_db=conn, update_fields=["last_import_hash", "last_import_modified_at"])
        if decision is not None:
            await record_decision(
                account, decision, stage="import", integration=source, data_type=data_type, event_id=event_id,
                record_id=record.id, connection=conn, pending=pending if changed and not echo else None,
            )
        if not changed or echo:
            return []
        return await plan_deliveries(account, record, obj, source, event_id, conn, pending)


def status_of(obj: Canonical) -> str | None:
    """The object's status as the record keeps it (for finding, e.g., pending checkouts)."""
    status = getattr(obj, "status", None)
    return str(status) if status else None


def _is_older(obj: Canonical, record: Record) -> bool:
    return bool(obj.modified_at and record.source_modified_at and obj.modified_at < record.source_modified_at)


async def _link_order_lines(account: Account, order: Order, conn: object) -> None:
    """Point each order line at its master product by SKU, creating a bare one if none exists.

    A bare master product (SKU and name from the line) is not routed anywhere: it waits for a
    product import to fill it in.
    """
    for line in order.lines:
        if not line.sku:
            continue
        product = Product(sku=line.sku, name=line.name)
        record = await Record.filter(
            account=account.name, data_type="products", key=product.match_key()
        ).using_db(conn).first()
        if record is None:
            record = await Record.create(
                account=account.name, data_type="products", key=product.match_key(), version=1,
                hash=product.content_hash(), data=product.model_dump(mode="json"), source=order.source,
                using_db=conn,
            )
            await ledger.note(
                account.name, record, ledger.CREATED, integration=order.source, content_hash=record.hash,
                written=True, connection=conn,
            )
        line.product_record_id = record.id
