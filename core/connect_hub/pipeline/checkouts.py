"""Abandoning checkouts: a pending checkout whose source reported nothing for
``abandoned_after_minutes`` (an integration setting, 30 by default) becomes a new version with
status abandoned, routed like any change (:func:`abandon_stale`, run by the scheduler). How a
checkout's status otherwise moves is its data type's policy (:mod:`connect_hub.datatypes.checkouts`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from connect_hub.account import Account
from connect_hub.canonical import CheckoutStatus, load
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
