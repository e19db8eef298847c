"""Checkouts over time: abandoned when no order follows in time, completed when one does.

A checkout's status only moves forward: pending, then abandoned or completed; abandoned, then
completed (``CHECKOUT_STATUS_RANK``). Its content follows the source's newest version ("no going
back" by modified time), but a version that is late or behind never lowers the status: a late
``pending`` update does not re-open a completed checkout.

- **Abandoned**: a pending checkout whose source reported nothing for ``abandoned_after_minutes``
  (an integration setting, 30 by default) becomes a new version with status abandoned, routed
  like any change (:func:`abandon_stale`, run by the scheduler).
- **Completed**: by the source (``checkout.completed``), or when an order placed from it arrives
  (``Order.checkout_reference``, :func:`completed_by`), even after it was abandoned.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from connect_hub.account import Account
from connect_hub.canonical import CHECKOUT_STATUS_RANK, Checkout, CheckoutStatus, Order, load
from connect_hub.contracts import Integration
from connect_hub.manifest import DataType
from connect_hub.pipeline import ledger
from connect_hub.pipeline.decisions import Pending, run_effects
from connect_hub.pipeline.routing import plan_deliveries
from connect_hub.store.models import Record

log = logging.getLogger(__name__)

ABANDONED_AFTER_SETTING = "abandoned_after_minutes"
DEFAULT_ABANDONED_AFTER_MINUTES = 30
BATCH = 200
"""Most checkouts abandoned per integration in one pass (the next pass takes the rest)."""


def abandoned_after(integration: Integration) -> timedelta:
    """How long a checkout of this integration stays pending without news before it is abandoned."""
    minutes = integration.settings.get(ABANDONED_AFTER_SETTING)
    if minutes is None:
        minutes = DEFAULT_ABANDONED_AFTER_MINUTES
    return timedelta(minutes=float(minutes))


def merge_forward(incoming: Checkout, stored: Checkout) -> Checkout:
    """What a checkout becomes when ``incoming`` meets the ``stored`` version.

    The content is the newer version's (by modified time; ``incoming`` on a tie or without
    times), the status the furthest along of both, the order reference whichever is known, and
    the modified time the latest of both.
    """
    older = bool(incoming.modified_at and stored.modified_at and incoming.modified_at < stored.modified_at)
    base, other = (stored, incoming) if older else (incoming, stored)
    status = max(incoming.status, stored.status, key=CHECKOUT_STATUS_RANK.__getitem__)
    times = [t for t in (incoming.modified_at, stored.modified_at) if t is not None]
    return base.model_copy(update={
        "status": status,
        "order_reference": base.order_reference or other.order_reference,
        "modified_at": max(times) if times else None,
    })  # fmt: skip


async def completed_by(account: Account, order: Order) -> Checkout | None:
    """The completed checkout an order placed from one makes; None if it names none.

    Built on the stored checkout when there is one; else from the order itself (its checkout
    updates were lost or are still on their way, and will not re-open it).
    """
    if not order.checkout_reference:
        return None
    record = await Record.get_or_none(
        account=account.name, data_type=str(DataType.CHECKOUTS), key=f"checkout:{order.checkout_reference}"
    )
    update = {"status": CheckoutStatus.COMPLETED, "order_reference": order.reference, "modified_at": order.modified_at}
    if record is not None:
        stored = load(DataType.CHECKOUTS, record.data)
        assert isinstance(stored, Checkout)
        if stored.status == CheckoutStatus.COMPLETED and stored.order_reference == order.reference:
            return None
        return stored.model_copy(update=update)
    lines = [line.model_copy(update={"product_record_id": None}) for line in order.lines]
    return Checkout(
        reference=order.checkout_reference, email=order.email, first_name=order.billing.first_name,
        last_name=order.billing.last_name, currency=order.currency, total=order.total, lines=lines, **update,
    )


async def abandon_stale(account: Account, now: datetime | None = None) -> list[int]:
    """Abandon every pending checkout older than its integration's limit; return the new
    pending Delivery ids (the caller wakes the exports)."""
    now = now or datetime.now(UTC)
    deliveries: list[int] = []
    for name, integration in account.integrations.items():
        if not integration.imports(DataType.CHECKOUTS):
            continue
        cutoff = now - abandoned_after(integration)
        stale = await Record.filter(
            Q(source_modified_at__lt=cutoff) | Q(source_modified_at__isnull=True, updated_at__lt=cutoff),
            account=account.name, data_type=str(DataType.CHECKOUTS), source=name, status=str(CheckoutStatus.PENDING),
        ).order_by("id").limit(BATCH).values_list("id", flat=True)
        for record_id in stale:
            deliveries += await _abandon(account, record_id, cutoff)
    return deliveries


async def _abandon(account: Account, record_id: int, cutoff: datetime) -> list[int]:
    """A new version of one checkout with status abandoned, if it is still pending and stale."""
    pending: Pending = []
    async with in_transaction() as conn:
        record = await Record.filter(id=record_id).select_for_update().using_db(conn).first()
        if record is None or record.status != CheckoutStatus.PENDING:
            return []
        last_news = record.source_modified_at or record.updated_at
        if last_news is not None and last_news >= cutoff:
            return []
        checkout = load(DataType.CHECKOUTS, record.data).model_copy(update={"status": CheckoutStatus.ABANDONED})
        record.version += 1
        record.hash = checkout.content_hash()
        record.data = checkout.model_dump(mode="json")
        record.status = str(CheckoutStatus.ABANDONED)
        await record.save(using_db=conn, update_fields=["version", "hash", "data", "status", "updated_at"])
        await ledger.note(account.name, record, ledger.UPDATED, integration=ledger.HUB, content_hash=record.hash, written=True, connection=conn)
        log.info("checkout %s of %s abandoned", record.key, record.source)
        ids = await plan_deliveries(account, record, checkout, record.source, None, conn, pending)
    await run_effects(account, pending)
    return ids
