"""Export: run one Delivery through its target connector, with leases, retries and a dead state."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from connect_hub.account import Account
from connect_hub.canonical import load
from connect_hub.contracts import ExportRequest, RuleContext
from connect_hub.errors import PermanentError, TransientError
from connect_hub.manifest import DataType
from connect_hub.secrets import redact
from connect_hub.store.models import Delivery, DeliveryState, Link, Record

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Outcome:
    """What became of one try: the delivery's state, and when to try again (seconds) if at all."""

    state: str
    retry_in: float | None = None


def backoff(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Seconds to wait before try ``attempt + 1``: the peer's Retry-After (never shortened to
    ``cap``: the peer knows best), else exponential backoff with jitter, at most ``cap``."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay * random.uniform(0.8, 1.2)


async def claim(account: Account, delivery_id: int) -> Delivery | None:
    """Take the lease on a due Delivery (or one whose lease ran out); None if it is not ours to run.

    The conditional update is atomic in SQLite and PostgreSQL alike, so two workers woken for the
    same delivery never both run it, and a crashed worker's delivery is free again after the lease.
    """
    now = datetime.now(UTC)
    lease = timedelta(seconds=account.config.delivery.lease)
    due = Q(state=DeliveryState.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(state=DeliveryState.RUNNING) & Q(lease_until__lt=now)
    taken = await Delivery.filter(Q(id=delivery_id), Q(account=account.name), due | abandoned).update(
        state=DeliveryState.RUNNING, lease_until=now + lease, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return await Delivery.get(id=delivery_id)


async def export_delivery(account: Account, delivery_id: int) -> Outcome | None:
    """Run one Delivery; None when it was not due or another worker holds it."""
    delivery = await claim(account, delivery_id)
    if delivery is None:
        return None
    policy = account.config.delivery
    if delivery.attempts > policy.max_attempts:
        return await _settle(delivery, DeliveryState.DEAD, error=f"the export stopped its worker; gave up after {delivery.attempts - 1} tries")
    integration = account.integration(delivery.integration)
    if integration is None:
        return await _settle(delivery, DeliveryState.FAILED, error=f"integration {delivery.integration!r} is not configured")
    record = await Record.get(id=delivery.record_id)
    if record.version > delivery.version:
        return await _settle(delivery, DeliveryState.SKIPPED, reason=f"superseded by version {record.version}")
    link = await Link.get_or_none(account=account.name, integration=integration.name, record_id=record.id)
    if link is not None and link.last_export_hash == record.hash:
        return await _settle(delivery, DeliveryState.DONE, reason="already exported with this content", external_id=link.external_id)
    obj = load(record.data_type, record.data)
    decision = account.rules.apply(
        obj, RuleContext(account=account.name, stage="export", integration=integration.name, data_type=obj.data_type)
    )
    if decision.blocked:
        return await _settle(delivery, DeliveryState.SKIPPED, reason=decision.summary())
    request = ExportRequest(
        data_type=DataType(record.data_type), record_id=record.id, version=record.version, obj=decision.obj,
        external_id=link.external_id if link else None, last_export_hash=link.last_export_hash if link else None,
    )
    try:
        result = await account.plugins.export(integration, request)
    except TransientError as exc:
        message = redact(str(exc), *account.secrets())
        if delivery.attempts >= policy.max_attempts:
            log.warning("delivery %s to %s is dead after %s tries: %s", delivery.id, integration.name, delivery.attempts, message)
            return await _settle(delivery, DeliveryState.DEAD, error=message)
        delay = backoff(delivery.attempts, policy.backoff_base, policy.backoff_max, exc.retry_after)
        return await _settle(delivery, DeliveryState.PENDING, error=message, retry_in=delay)
    except PermanentError as exc:
        return await _settle(delivery, DeliveryState.FAILED, error=redact(str(exc), *account.secrets()))
    except Exception as exc:
        log.exception("connector %s failed on delivery %s", integration.connector, delivery.id)
        message = redact(f"{type(exc).__name__}: {exc}", *account.secrets())
        if delivery.attempts >= policy.max_attempts:
            return await _settle(delivery, DeliveryState.DEAD, error=message)
        delay = backoff(delivery.attempts, policy.backoff_base, policy.backoff_max, None)
        return await _settle(delivery, DeliveryState.PENDING, error=message, retry_in=delay)
    if result.skipped:
        return await _settle(delivery, DeliveryState.SKIPPED, reason=result.skipped)
    async with in_transaction() as conn:
        external_id = result.external_id or (link.external_id if link else None)
        if link is None and external_id:
            await Link.create(
                account=account.name, integration=integration.name, data_type=record.data_type,
                external_id=external_id, record_id=record.id, last_export_hash=record.hash,
                last_exported_at=datetime.now(UTC), using_db=conn,
            )
        elif link is not None:
            link.external_id = external_id or link.external_id
            link.last_export_hash = record.hash
            link.last_exported_at = datetime.now(UTC)
            await link.save(using_db=conn, update_fields=["external_id", "last_export_hash", "last_exported_at"])
        return await _settle(delivery, DeliveryState.DONE, external_id=external_id, connection=conn)


async def _settle(
    delivery: Delivery,
    state: DeliveryState,
    *,
    error: str | None = None,
    reason: str | None = None,
    external_id: str | None = None,
    retry_in: float | None = None,
    connection: object = None,
) -> Outcome:
    now = datetime.now(UTC)
    values: dict[str, object] = {"state": state, "lease_until": None}
    if error is not None:
        values["last_error"] = error
    if reason is not None:
        values["reason"] = reason
    if external_id is not None:
        values["external_id"] = external_id
    values["next_attempt_at"] = now + timedelta(seconds=retry_in) if retry_in is not None else None
    query = Delivery.filter(id=delivery.id, state=DeliveryState.RUNNING)
    if connection is not None:
        query = query.using_db(connection)
    await query.update(**values)
    return Outcome(state=str(state), retry_in=retry_in)
