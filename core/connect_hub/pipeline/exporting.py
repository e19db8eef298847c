"""Export: run Deliveries through their target connector, with leases, retries and a dead state.

Most flows export one Delivery at a time (``hub_export``); a flow whose manifest sets
``batch_size`` exports its due Deliveries together (``hub_export_batch``), the latest version of
each record only: that is how stock figures are coalesced per SKU.

A Delivery is ``done`` only when the target holds the version it was planned for: the
connector says what it did (``created``, ``updated``, ``unchanged``) and the Delivery keeps that
``action``. On success the Link keeps the record hash exported and the *echo hash*: the hash of
what the target keeps (``ExportResult.stored``, else the object sent, less the fields the
target's import flow does not carry), by which the import recognises the write coming back.
A target that refuses (a ``PermanentError``) or a connector defect fails the Delivery at once,
with a sentence naming the object; only what may pass (``TransientError``, the network) is
retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from connect_hub import logs
from connect_hub.account import Account
from connect_hub.canonical import Canonical, load
from connect_hub.contracts import (
    ExportAction,
    ExportRequest,
    ExportResult,
    Integration,
    RuleContext,
)
from connect_hub.datatypes import policy_for
from connect_hub.errors import HubError, TransientError
from connect_hub.manifest import DataType, Direction
from connect_hub.metrics import observe_settled
from connect_hub.pipeline.decisions import record_decision
from connect_hub.pipeline.failures import cause, export_may_recover
from connect_hub.secrets import redact
from connect_hub.store import rows
from connect_hub.store.models import Delivery, DeliveryState, Link, Record

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Outcome:
    """What became of one try: the delivery's state, and when to try again (seconds) if at all."""

    state: str
    retry_in: float | None = None
    delivery_id: int | None = None


def backoff(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Seconds to wait before try ``attempt + 1``: the peer's Retry-After (never shortened to
    ``cap``: the peer knows best), else exponential backoff with jitter, at most ``cap``."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay * random.uniform(0.8, 1.2)


def _due() -> Q:
    now = datetime.now(UTC)
    pending = Q(state=DeliveryState.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(state=DeliveryState.RUNNING) & Q(lease_until__lt=now)
    return pending | abandoned


async def claim(account: Account, delivery_id: int) -> Delivery | None:
    """Take the lease on a due Delivery (or one whose lease ran out); None if it is not ours to run.

    The conditional update is atomic in SQLite and PostgreSQL alike, so two workers woken for the
    same delivery never both run it, and a crashed worker's delivery is free again after the lease.
    One statement: the update returns the delivery it took (:func:`connect_hub.store.rows.claim_delivery`).
    """
    return await rows.claim_delivery(account.name, delivery_id, account.config.delivery.lease)


def _batch_size(integration: Integration | None, data_type: str) -> int | None:
    if integration is None:
        return None
    flow = integration.flow(DataType(data_type), Direction.EXPORT)
    return flow.batch_size if flow else None


EXPORT_BATCH = 20
"""At most this many deliveries claimed in one statement by one export actor (an import batch's)."""


async def export_delivery(account: Account, delivery_id: int) -> list[Outcome]:
    """Run one Delivery (or, for a batched flow, every due one of its integration and data type).

    Returns what became of each delivery tried; empty when none was due or another worker had it.
    The delivery is claimed first (one statement that returns it); a batched flow's delivery
    then goes out with the others due, in one call.
    """
    return await export_deliveries(account, [delivery_id])


async def export_deliveries(account: Account, delivery_ids: list[int]) -> list[Outcome]:
    """Run several Deliveries (the ones an import batch planned), :data:`EXPORT_BATCH` at a time:
    claimed in one statement, each delivery's call to its connector made at once, and the ones
    the targets took kept done in one transaction. A delivery of a batched flow goes out with
    the others due of its integration and data type, as with :func:`export_delivery`."""
    outcomes: list[Outcome] = []
    ids = sorted(set(delivery_ids))
    for start in range(0, len(ids), EXPORT_BATCH):
        claimed = await rows.claim_deliveries(account.name, ids[start:start + EXPORT_BATCH], account.config.delivery.lease)
        outcomes += await _export_claimed(account, claimed)
    return outcomes


async def _export_claimed(account: Account, claimed: list[Delivery]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    batched: dict[tuple[str, str], list[Delivery]] = {}
    singles: list[Delivery] = []
    for delivery in claimed:
        if _batch_size(account.integration(delivery.integration), delivery.data_type) is not None:
            batched.setdefault((delivery.integration, delivery.data_type), []).append(delivery)
        else:
            singles.append(delivery)
    for (name, data_type), group in batched.items():
        integration = account.integration(name)
        assert integration is not None
        logs.bind(integration=name, data_type=data_type)
        outcomes += await _export_batch(account, integration, data_type, _batch_size(integration, data_type) or 1, claimed=group)
    if len(singles) == 1:
        logs.bind(integration=singles[0].integration, data_type=singles[0].data_type, delivery_id=singles[0].id)
        outcomes.append(await _export_one(account, singles[0]))
    elif singles:
        outcomes += await _export_together(account, singles)
    return outcomes


@dataclass
class _Prepared:
    delivery: Delivery
    record: Record
    link: Link | None
    request: ExportRequest


@dataclass
class _Read:
    """The rows several deliveries start from, read together: their records by id, and the
    records' Links (no aliases) by integration and record id."""

    records: dict[int, Record]
    links: dict[tuple[str, int], list[Link]]


async def _read_together(account: Account, deliveries: list[Delivery]) -> _Read:
    """The records of ``deliveries`` in one statement, their Links in one per target integration."""
    record_ids = sorted({d.record_id for d in deliveries})
    read = _Read({record.id: record for record in await rows.records_by_ids(record_ids)}, {})
    for name in sorted({d.integration for d in deliveries}):
        ids = sorted({d.record_id for d in deliveries if d.integration == name})
        for link in await rows.links_to_records(account.name, name, ids):
            read.links.setdefault((name, link.record_id), []).append(link)
    return read


async def _prepare(account: Account, integration: Integration | None, delivery: Delivery, read: _Read | None = None) -> _Prepared | Outcome:
    """Everything short of calling the connector; an Outcome when the delivery ends here.
    ``read``: its record and Links, read with other deliveries' (else read here)."""
    if delivery.attempts > account.config.delivery.max_attempts:
        return await _settle(delivery, DeliveryState.DEAD, error=f"the export stopped its worker; gave up after {delivery.attempts - 1} tries")
    if integration is None:
        return await _settle(delivery, DeliveryState.FAILED, error=f"integration {delivery.integration!r} is not configured")
    record = read.records.get(delivery.record_id) if read is not None else await rows.record_by_id(delivery.record_id)
    if record is None:  # the record was deleted with its deliveries: nothing left to run
        return Outcome(state=str(DeliveryState.SKIPPED), delivery_id=delivery.id)
    if record.version > delivery.version:
        return await _settle(delivery, DeliveryState.SKIPPED, reason=f"superseded by version {record.version}", action=ExportAction.SKIPPED)
    if read is not None:
        link = exported_to(read.links.get((integration.name, record.id), []))
    else:
        link = await target_link(account, integration.name, record.id)
    if link is not None and link.last_export_hash == record.hash and link.last_exported_at and link.last_exported_at >= record.updated_at:
        # the target was given this content after this version was written (a version sent
        # again because the target's copy drifted is newer than that, and goes out)
        return await _settle(
            delivery, DeliveryState.DONE, reason="already exported with this content", external_id=link.external_id,
            action=ExportAction.UNCHANGED,
        )
    obj = load(record.data_type, record.data)
    decision = account.rules.apply(
        obj, RuleContext(account=account.name, stage="export", integration=integration.name, data_type=obj.data_type)
    )
    if decision.blocked:  # the rules changed since routing: record the new decision
        await record_decision(
            account, decision, stage="export", integration=integration.name, data_type=record.data_type,
            delivery_id=delivery.id, record_id=record.id,
        )
        return await _settle(
            delivery, DeliveryState.SKIPPED, reason=decision.summary(), blocked_by=decision.blocked_by, action=ExportAction.SKIPPED
        )
    request = ExportRequest(
        data_type=DataType(record.data_type), record_id=record.id, version=record.version, obj=decision.obj,
        external_id=link.external_id if link else None, last_export_hash=link.last_export_hash if link else None,
        related=await related_ids(account, integration.name, decision.obj), attempt=delivery.attempts,
    )
    return _Prepared(delivery, record, link, request)


async def target_link(account: Account, integration: str, record_id: int, connection: object = None) -> Link | None:
    """The Link the hub exports a record to in ``integration``: the system's own id for it (never
    an alias), the one last exported to first. None when the target has no id for it yet."""
    return exported_to(await rows.links_to(account.name, integration, record_id, connection))


def exported_to(links: list[Link]) -> Link | None:
    """Of a record's Links in one integration, the one the hub exports to (:func:`target_link`)."""
    if not links:
        return None
    return max(links, key=lambda link: (link.last_exported_at is not None, link.last_exported_at or datetime.min.replace(tzinfo=UTC), -link.id))


async def related_ids(account: Account, integration: str, obj: Canonical) -> dict[str, str]:
    """External ids in ``integration`` of the records ``obj`` refers to (a shipment's order,
    a stock figure's product), as its data type's policy names them."""
    related: dict[str, str] = {}
    for name, (data_type, key) in policy_for(obj.data_type).related_keys(obj).items():
        link = await Link.filter(
            account=account.name, integration=integration, data_type=str(data_type), alias=False,
            record__key=key, record__data_type=str(data_type),
        ).first()
        if link is not None:
            related[name] = link.external_id
    return related


async def _export_one(account: Account, delivery: Delivery) -> Outcome:
    called = await _call(account, delivery)
    if isinstance(called, Outcome):
        return called
    return await _conclude(account, *called)


async def _call(account: Account, delivery: Delivery, read: _Read | None = None) -> Outcome | tuple[Integration, _Prepared, ExportResult | Exception]:
    """Prepare the delivery and call its connector: what the target answered (or raised), or
    an Outcome when the delivery ended before the call."""
    logs.bind(integration=delivery.integration, data_type=delivery.data_type, delivery_id=delivery.id)
    integration = account.integration(delivery.integration)
    prepared = await _prepare(account, integration, delivery, read)
    if isinstance(prepared, Outcome):
        return prepared
    assert integration is not None
    try:
        result: ExportResult | Exception = await account.plugins.export(integration, prepared.request)
    except Exception as exc:  # noqa: BLE001 - every failure ends visible on the delivery
        result = exc
    return integration, prepared, result


async def _export_together(account: Account, deliveries: list[Delivery]) -> list[Outcome]:
    """Each delivery's call at once (the connector's client bounds its connections), their rows
    read together first; what the targets took is kept in one transaction, the rest concluded
    one by one. Should a delivery's preparation raise (the store), the others are still
    concluded before it is raised."""
    read = await _read_together(account, deliveries)
    called = await asyncio.gather(*(_call(account, delivery, read) for delivery in deliveries), return_exceptions=True)
    outcomes: list[Outcome] = []
    taken: list[tuple[Integration, _Prepared, ExportResult]] = []
    raised: list[BaseException] = []
    for item in called:
        if isinstance(item, BaseException):
            raised.append(item)
        elif isinstance(item, Outcome):
            outcomes.append(item)
        elif isinstance(item[2], ExportResult) and not item[2].skipped:
            taken.append((item[0], item[1], item[2]))
        else:
            outcomes.append(await _conclude(account, *item))
    outcomes += await _succeed_together(account, taken)
    if raised:
        raise raised[0]
    return outcomes


async def _succeed_together(account: Account, taken: list[tuple[Integration, _Prepared, ExportResult]]) -> list[Outcome]:
    """:func:`_succeed` for several deliveries in one transaction; should a target's id already
    be linked elsewhere (a unique-key clash), the transaction is undone and each goes alone."""
    if len(taken) > 1:
        try:
            async with in_transaction() as conn:
                done = await _keep_all_done(account, taken, conn)
        except IntegrityError:
            pass
        else:
            for outcome, (_, item, _) in zip(done, taken, strict=True):
                observe_settled(item.delivery.integration, outcome.state, item.delivery.created_at)
            return done
    return [await _succeed(account, integration, item, result) for integration, item, result in taken]


async def _export_batch(
    account: Account, integration: Integration, data_type: str, size: int, claimed: list[Delivery]
) -> list[Outcome]:
    """Claim up to ``size`` more due deliveries besides ``claimed``, keep the latest per record,
    export them in one call."""
    candidates = await Delivery.filter(Q(account=account.name), Q(integration=integration.name), Q(data_type=data_type), _due()).order_by("id").limit(size * 4).values_list("id", flat=True)
    claimed = claimed + [d for d in [await claim(account, i) for i in candidates] if d is not None]
    outcomes: list[Outcome] = []
    latest: dict[int, Delivery] = {}
    for delivery in sorted(claimed, key=lambda d: (d.record_id, d.version)):
        older = latest.get(delivery.record_id)
        if older is not None:
            outcomes.append(await _settle(older, DeliveryState.SKIPPED, reason=f"coalesced into delivery {delivery.id}", action=ExportAction.SKIPPED))
        latest[delivery.record_id] = delivery
    prepared: list[_Prepared] = []
    for delivery in list(latest.values())[:size]:
        item = await _prepare(account, integration, delivery)
        if isinstance(item, Outcome):
            outcomes.append(item)
        else:
            prepared.append(item)
    for delivery in list(latest.values())[size:]:  # over the batch size: back to pending, now
        outcomes.append(await _settle(delivery, DeliveryState.PENDING, retry_in=0.0, refund=True))
    if not prepared:
        return outcomes
    try:
        results: list[ExportResult | Exception] = await account.plugins.export_batch(integration, [p.request for p in prepared])
    except Exception as exc:  # noqa: BLE001 - the whole call failed: each delivery says so
        results = [exc] * len(prepared)
    for item, result in zip(prepared, results, strict=True):
        outcomes.append(await _conclude(account, integration, item, result))
    return outcomes


async def _conclude(account: Account, integration: Integration, item: _Prepared, result: ExportResult | Exception) -> Outcome:
    delivery, policy = item.delivery, account.config.delivery
    if isinstance(result, ExportResult):
        if result.skipped:
            return await _settle(delivery, DeliveryState.SKIPPED, reason=result.skipped, action=ExportAction.SKIPPED)
        return await _succeed(account, integration, item, result)
    what = f"{policy_for(item.record.data_type).describe(item.request.obj)} to {integration.name}"
    message = redact(cause(result), *account.secrets())
    if not export_may_recover(result):
        if not isinstance(result, HubError):
            log.error("connector %s failed on delivery %s (%s): %r", integration.connector, delivery.id, what, result)
        return await _settle(delivery, DeliveryState.FAILED, error=f"{what}: {message}")
    retry_after = result.retry_after if isinstance(result, TransientError) else None
    if delivery.attempts >= policy.max_attempts:
        log.warning("delivery %s (%s) is dead after %s tries: %s", delivery.id, what, delivery.attempts, message)
        return await _settle(delivery, DeliveryState.DEAD, error=f"{what}: gave up after {delivery.attempts} tries: {message}")
    delay = backoff(delivery.attempts, policy.backoff_base, policy.backoff_max, retry_after)
    return await _settle(delivery, DeliveryState.PENDING, error=f"{what}: {message}", retry_in=delay)


async def _succeed(account: Account, integration: Integration, item: _Prepared, result: ExportResult) -> Outcome:
    """Keep what the target now holds on its Link (ids, hashes) and the delivery done."""
    try:
        async with in_transaction() as conn:
            return await _keep_done(account, integration, item, result, conn, lookup=False)
    except IntegrityError:  # the target's id is already linked (to an alias or another record)
        async with in_transaction() as conn:
            return await _keep_done(account, integration, item, result, conn, lookup=True)


async def _keep_done(
    account: Account, integration: Integration, item: _Prepared, result: ExportResult, conn: object, *,
    lookup: bool,
) -> Outcome:
    kept, external_id = _what_the_link_keeps(integration, item, result)
    await _keep_link(account, integration, item.record, item.link, external_id, kept, conn, lookup=lookup)
    action = result.resolved_action(item.request.external_id)
    return await _settle(item.delivery, DeliveryState.DONE, external_id=external_id, connection=conn, action=action)


def _what_the_link_keeps(integration: Integration, item: _Prepared, result: ExportResult) -> tuple[dict[str, object], str | None]:
    """What the target's Link holds after the export (ids, hashes, when), and the target's id."""
    record, request = item.record, item.request
    kept = {
        "record_id": record.id, "last_export_hash": record.hash, "echo_hash": echo_hash(integration, result.stored or request.obj),
        "last_exported_at": datetime.now(UTC), "alias": False,
    }
    return kept, result.external_id or (item.link.external_id if item.link else None)


async def _keep_all_done(account: Account, taken: list[tuple[Integration, _Prepared, ExportResult]], conn: object) -> list[Outcome]:
    """:func:`_keep_done` of several deliveries (no lookup, not observed): the Links they make
    in one insert, and the deliveries done in one update."""
    made: list[list[object]] = []
    done: list[tuple[int, str | None, str]] = []
    for integration, item, result in taken:
        kept, external_id = _what_the_link_keeps(integration, item, result)
        if item.link is not None:
            await _keep_link(account, integration, item.record, item.link, external_id, kept, conn, lookup=False)
        elif external_id:
            made.append(rows.row_of(Link, {
                "account": account.name, "integration": integration.name, "data_type": item.record.data_type,
                "external_id": external_id, **kept,
            }))  # fmt: skip
        done.append((item.delivery.id, external_id, str(result.resolved_action(item.request.external_id))))
    await rows.insert_rows(Link, made, conn)
    await rows.finish_deliveries(done, conn)
    return [Outcome(state=str(DeliveryState.DONE), delivery_id=delivery_id) for delivery_id, _, _ in done]


async def _keep_link(
    account: Account, integration: Integration, record: Record, link: Link | None, external_id: str | None,
    kept: dict[str, object], conn: object, *, lookup: bool,
) -> None:
    """The Link for ``external_id`` holds ``kept``: the export's one, else the one already made
    for that id (``lookup``), else a new one. Nothing without an id."""
    if link is None and external_id and lookup:
        link = await rows.link_of(account.name, integration.name, record.data_type, external_id, conn)
    if link is None:
        if external_id:
            await rows.insert(
                Link, conn, account=account.name, integration=integration.name, data_type=record.data_type,
                external_id=external_id, **kept,
            )
        return
    await rows.change(Link, link.id, {"external_id": external_id or link.external_id, **kept}, conn)


def echo_hash(integration: Integration, kept: Canonical) -> str:
    """The hash an import from ``integration`` gives the content it keeps after a write.

    ``kept`` is what the connector says the target now holds (or the object sent). Fields the
    target's import flow does not carry (``Flow.carries``) come back empty, so they are left
    out the same way here.
    """
    flow = integration.flow(kept.data_type, Direction.IMPORT)
    if flow is not None and flow.carries:
        kept = carried_only(kept, flow.carries)
    return kept.content_hash()


def carried_only(obj: Canonical, carried: tuple[str, ...]) -> Canonical:
    """``obj`` with every optional field outside ``carried`` at its default, as a source that does
    not carry them sends it (required fields, such as the match key's, are always carried)."""
    keep = set(carried) | {"modified_at"}
    fields = type(obj).model_fields
    return obj.model_copy(update={
        name: info.get_default(call_default_factory=True)
        for name, info in fields.items() if name not in keep and not info.is_required()
    })  # fmt: skip


async def _settle(
    delivery: Delivery,
    state: DeliveryState,
    *,
    error: str | None = None,
    reason: str | None = None,
    external_id: str | None = None,
    retry_in: float | None = None,
    refund: bool = False,
    connection: object = None,
    blocked_by: str | None = None,
    action: ExportAction | None = None,
) -> Outcome:
    now = datetime.now(UTC)
    values: dict[str, object] = {"state": state, "lease_until": None, "updated_at": now}  # update() skips auto_now
    if error is not None:
        values["last_error"] = error
    if reason is not None:
        values["reason"] = reason
    if external_id is not None:
        values["external_id"] = external_id
    if blocked_by is not None:
        values["blocked_by"] = blocked_by
    if action is not None:
        values["action"] = str(action)
    values["next_attempt_at"] = now + timedelta(seconds=retry_in) if retry_in is not None else None
    await rows.change(
        Delivery, delivery.id, values, connection, where={"state": DeliveryState.RUNNING.value},
        decrement=("attempts",) if refund else (),
    )
    observe_settled(delivery.integration, str(state), delivery.created_at)
    return Outcome(state=str(state), retry_in=retry_in, delivery_id=delivery.id)
