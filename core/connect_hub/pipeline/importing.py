"""Import: parse an Event through its connector, apply import rules, merge into the store.

Each object of an event goes the same way, and what differs per data type is its policy's
(:mod:`connect_hub.datatypes`): the policy prepares it, the import rules run, the policy may
refuse it, then it is merged into its record and routed. A record version and the Deliveries it
causes are written in one transaction (transactional outbox); the ids returned are what the
caller wakes export actors for.

**Identity.** An object is found by its Link in the source (the source's own id for it), else by
its match key; an alias (``email:x``, ``Incoming.alias``) by its match key only. When the source's
id now carries another match key (a customer's new e-mail, a product's new SKU), the record takes
the new key, or the Link moves to the record that already has it. Several Links of one source
may lead to one record (a customer by id and, on guest orders, by e-mail).

**Echo.** A write of the hub's own coming back (its content hashes to the Link's ``echo_hash``,
recorded at export from what the target keeps) changes nothing and goes nowhere, whatever the
target's clock says.

**Drift.** Content that arrives unchanged may still show that another integration's copy
drifted (a shop that put stock back by itself): the data type's policy names it, and it gets
the current content again as a new version (``DataTypePolicy.drifted``).

**No going back.** A version older than the record's (by the source's modified time, compared
in whole seconds because many systems keep no more) is ignored. Two versions from one source in
the same second are ordered by arrival: the one whose event came in first never overwrites the
other, whichever import runs first.

**A write in flight.** While the hub is writing a record into an integration, what that
integration sends about the record may be the write itself coming back before its echo hash is
kept: such an import waits (:class:`ImportDeferred`) until the write has settled.

**Failures.** What cannot be mapped, kept or merged fails the event at once, with a sentence
naming the object and the cause (a value the canonical model refuses, from any connector, is
named with its field, as a mapping failure and not as a defect); a store hiccup leaves it
pending for the sweeper, and only a worker that died during the import counts toward
``MAX_IMPORT_ATTEMPTS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from connect_hub import logs
from connect_hub.account import Account
from connect_hub.canonical import Canonical, load
from connect_hub.contracts import Incoming, Integration, RawEvent, RuleContext
from connect_hub.datatypes import policy_for
from connect_hub.errors import HubError
from connect_hub.manifest import DataType, Direction
from connect_hub.pipeline import ledger
from connect_hub.pipeline.decisions import Pending, record_decision, run_effects
from connect_hub.pipeline.failures import cause, invalid, store_may_recover
from connect_hub.pipeline.routing import plan_deliveries
from connect_hub.rules import Decision
from connect_hub.secrets import redact
from connect_hub.store import batch_reads, rows
from connect_hub.store.models import (
    Delivery,
    DeliveryState,
    Event,
    EventState,
    LedgerEntry,
    Link,
    Record,
)

log = logging.getLogger(__name__)
MAX_IMPORT_ATTEMPTS = 5
IN_FLIGHT_WAIT = 1.0
"""Seconds an import waits for a write of the same record to the same integration to settle."""


class ImportDeferred(Exception):
    """The event waits (still pending, no try counted): import it again in ``seconds``."""

    def __init__(self, event_id: int, seconds: float):
        super().__init__(f"event {event_id} waits {seconds}s for a write in flight")
        self.event_id, self.seconds = event_id, seconds


class _WriteInFlight(Exception):
    """Raised inside a merge: the hub is writing this record into the source right now."""


IMPORT_BATCH = 20
"""At most this many events in one import transaction. SQLite's write lock (and, in embedded
mode, the event loop) is held for a whole batch, so a batch stays a few milliseconds long."""


@dataclass
class Imported:
    """What importing some events came to."""

    deliveries: list[int] = field(default_factory=list)
    """The pending Deliveries the new versions caused: the export actors to wake."""
    deferred: list[ImportDeferred] = field(default_factory=list)
    """Events that wait for a write in flight (still pending, no try counted)."""
    crashes: list[tuple[int, BaseException]] = field(default_factory=list)
    """Events whose import raised what the hub cannot word (a defect): each try is counted and
    its lease freed, so the sweeper sends it again until ``MAX_IMPORT_ATTEMPTS``."""


async def import_event(account: Account, event_id: int) -> list[int]:
    """Process one Event; return the ids of the pending Deliveries it created.

    Safe to run any number of times: a done event is left alone, and merging the same content
    again changes nothing. Raises :class:`ImportDeferred` when it waits for a write in flight,
    and what a crashed import raised.
    """
    imported = await import_events(account, [event_id])
    if imported.deferred:
        raise imported.deferred[0]
    if imported.crashes:
        raise imported.crashes[0][1]
    return imported.deliveries


async def import_events(account: Account, event_ids: list[int]) -> Imported:
    """Process Events, :data:`IMPORT_BATCH` at a time, in the order they came in.

    Each batch is claimed in one statement, committed before the work (so an event that kills
    its worker is still counted), then imported in one transaction: each event's objects as
    :func:`import_event` does, its end state written in the same commit (one statement for
    the events that end with the same note), the batch's ledger entries in one insert at its
    end (:func:`connect_hub.pipeline.ledger.together`). Should anything in the batch raise (a
    write in flight, the store, a defect), the transaction is undone and the events are
    imported one at a time, each in a transaction of its own, so one event's trouble is its own.
    """
    imported = Imported()
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), IMPORT_BATCH):
        await _import_batch(account, ids[start:start + IMPORT_BATCH], imported)
    return imported


@dataclass
class _Parsed:
    """A claimed event and the objects its connector read from it."""

    event: Event
    integration: Integration
    incoming: list[Incoming]


async def _import_batch(account: Account, event_ids: list[int], imported: Imported) -> None:
    events = await rows.claim_events(account.name, event_ids, account.config.delivery.lease)
    parsed = [p for event in events if (p := await _parse(account, event)) is not None]
    if len(parsed) > 1:
        try:
            progress = await _import_together(account, parsed)
        except Exception as exc:  # noqa: BLE001 - each event gets its own transaction instead
            log.info("%d events imported one by one: their batch stopped at %s", len(parsed), cause(exc))
        else:
            await run_effects(account, progress.pending)
            imported.deliveries += progress.deliveries
            return
    for one in parsed:
        await _import_alone(account, one, imported)


async def _parse(account: Account, event: Event) -> _Parsed | None:
    """The event's objects through its connector; None when the event ends here (failed, or
    left pending because the store is unavailable)."""
    logs.bind(integration=event.integration, event_id=event.id)
    if event.attempts > MAX_IMPORT_ATTEMPTS:
        await _finish(event, EventState.FAILED, (
            f"event {event.id} ({event.topic}) from {event.integration}: its import stopped its worker "
            f"{event.attempts - 1} times; replay it once the cause is fixed"
        ))
        return None
    integration = account.integration(event.integration)
    if integration is None:
        await _finish(event, EventState.FAILED, f"event {event.id}: integration {event.integration!r} is not configured")
        return None
    raw = RawEvent(
        id=event.id, integration=event.integration, topic=event.topic,
        headers=event.headers, body=bytes(event.body), received_at=event.received_at,
    )
    try:
        incoming = await account.plugins.parse_event(integration, raw)
    except ValidationError as exc:  # what the connector read does not fit the canonical model
        await _fail(account, event, f"event {event.id} ({event.topic}) from {integration.name}: {invalid(exc)}")
        return None
    except Exception as exc:  # noqa: BLE001 - a parse failure fails the event, a hiccup leaves it pending
        if store_may_recover(exc):
            log.warning("event %s from %s waits: the store is unavailable (%s)", event.id, integration.name, exc)
            await _release(event.id)
            return None
        _log_defect(exc, f"connector {integration.connector} failed to parse event {event.id}")
        await _fail(account, event, f"event {event.id} ({event.topic}) from {integration.name}: {cause(exc)}")
        return None
    return _Parsed(event, integration, list(incoming))


async def _import_together(account: Account, batch: list[_Parsed]) -> _Progress:
    """Import the events of ``batch`` in one transaction; what they came to, together."""
    together = _Progress()
    done: dict[str | None, list[int]] = {}
    """The events done, by what they say (most say nothing, or the same note: contacts not imported)."""
    async with in_transaction() as conn, ledger.together():
        with batch_reads.together():
            await _read_together(account, batch, conn)
            for parsed in batch:
                logs.bind(integration=parsed.event.integration, event_id=parsed.event.id)
                progress = await _import_parsed(account, parsed)
                together.deliveries += progress.deliveries
                together.pending += progress.pending
                if not progress.finished:
                    done.setdefault("; ".join(progress.notes) or None, []).append(parsed.event.id)
        for notes, event_ids in done.items():
            await rows.finish_events(event_ids, EventState.DONE, notes)
    return together


async def _read_together(account: Account, batch: list[_Parsed], connection: object) -> None:
    """The Links and records of the batch's objects, as their sources name them, in a statement
    per data type (:mod:`connect_hub.store.batch_reads`); what the objects become on the way
    (a rule that changes a match key, an order's products) is read as it is asked for."""
    links: list[batch_reads.LinkKey] = []
    records: list[batch_reads.RecordKey] = []
    for parsed in batch:
        for item in parsed.incoming:
            if not parsed.integration.imports(item.data_type):
                continue
            links.append((account.name, parsed.integration.name, str(item.data_type), item.external_id))
            records.append((account.name, str(item.data_type), item.obj.match_key()))
    await batch_reads.prefetch(links, records, connection)


async def _import_alone(account: Account, parsed: _Parsed, imported: Imported) -> None:
    """Import one claimed event in a transaction of its own (see the module's "Failures")."""
    event = parsed.event
    logs.bind(integration=event.integration, event_id=event.id)
    for attempt in (1, 2):
        try:
            async with in_transaction(), ledger.together():
                progress = await _import_parsed(account, parsed)
                if not progress.finished:
                    await _finish(event, EventState.DONE, "; ".join(progress.notes) or None)
            break
        except _MergeFailed as failed:
            if isinstance(failed.error, IntegrityError) and attempt == 1:
                continue  # a concurrent import created the record first: now the merge finds it
            _log_defect(failed.error, f"importing {failed.what} from event {event.id}")
            await _fail(account, event, f"{failed.what} from {event.integration}: {cause(failed.error)}")
            return
        except _WriteInFlight:
            await _release(event.id)
            imported.deferred.append(ImportDeferred(event.id, IN_FLIGHT_WAIT))
            return
        except Exception as exc:  # noqa: BLE001 - a crash is counted and handed to the caller
            if not store_may_recover(exc):
                await Event.filter(id=event.id).update(lease_until=None)  # a crash counts, but frees it
                imported.crashes.append((event.id, exc))
                return
            log.warning("event %s from %s waits: the store is unavailable (%s)", event.id, event.integration, exc)
            await _release(event.id)  # a hiccup is no crash
            return
    await run_effects(account, progress.pending)
    imported.deliveries += progress.deliveries


class _MergeFailed(Exception):
    """A merge raised inside the event's transaction, which may hold part of its writes: the
    transaction is undone, and the event fails (or, after a unique-key clash with a concurrent
    import, is tried once more)."""

    def __init__(self, what: str, error: BaseException):
        super().__init__(f"{what}: {error}")
        self.what, self.error = what, error


async def _claim(account: Account, event_id: int) -> Event | None:
    """Take the import lease on a pending Event and count the try; None if it is not ours.

    One conditional UPDATE, so two workers given the same event (a sweeper's re-send while the
    first is still at it) never both import it; a worker that dies leaves the lease to run out
    (``delivery.lease`` seconds), and the sweeper then sends the event again. The try is counted
    before the work, so an event that kills its worker every time ends failed. The update
    returns the event it took (:func:`connect_hub.store.rows.claim_events`, which claims a batch).
    """
    claimed = await rows.claim_events(account.name, [event_id], account.config.delivery.lease)
    return claimed[0] if claimed else None


async def _release(event_id: int) -> None:
    """Give the lease back without counting the try (the event waits, nothing crashed)."""
    await Event.filter(id=event_id).update(attempts=F("attempts") - 1, lease_until=None)


@dataclass
class _Progress:
    """What the objects of one event (or of a batch) have come to so far."""

    deliveries: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked: list[tuple[Incoming, Decision]] = field(default_factory=list)
    pending: Pending = field(default_factory=list)
    """Rule effects to run once the transaction has committed."""
    finished: bool = False
    """The event already has its end state (one of its objects failed it)."""


async def _import_parsed(account: Account, parsed: _Parsed) -> _Progress:
    """Import an event's objects in the caller's transaction; the caller gives the event its
    end state unless an object failed it (``finished``)."""
    event, integration = parsed.event, parsed.integration
    progress = _Progress()
    for item in parsed.incoming:
        policy = policy_for(item.data_type)
        try:
            await _import_item(account, integration, event.id, item, progress)
        except Exception as exc:
            if isinstance(exc, _WriteInFlight | _MergeFailed) or store_may_recover(exc):
                raise
            _log_defect(exc, f"importing {policy.describe(item.obj)} from event {event.id}")
            await _fail(account, event, f"{policy.describe(item.obj)} from {integration.name}: {cause(exc)}")
            progress.finished = True
            return progress
    for item, decision in progress.blocked:
        await record_decision(
            account, decision, stage="import", integration=integration.name, data_type=str(item.data_type),
            event_id=event.id, pending=progress.pending,
        )
    return progress


class Refused(HubError):
    """An object the data type's policy will not keep (the sentence says why and what to do)."""


async def _import_item(account: Account, integration: Integration, event_id: int, item: Incoming, progress: _Progress) -> None:
    """Prepare, rule, check and merge one object of an event (and what it implies)."""
    policy = policy_for(item.data_type)
    if not integration.imports(item.data_type):
        progress.notes.append(f"{item.data_type} from {integration.name} is not imported (manifest/preset)")
        return
    received_hash = item.obj.content_hash()  # as the source sent it: what an echo is compared by
    prepared = await policy.prepare(account, integration, item)
    if isinstance(prepared, str):
        progress.notes.append(prepared)
        return
    context = RuleContext(account=account.name, stage="import", integration=integration.name, data_type=item.data_type)
    decision = account.rules.apply(prepared.obj, context)
    if decision.blocked:
        progress.notes.append(f"{item.data_type} {item.external_id}: {decision.summary()}")
        progress.blocked.append((prepared, decision))
        return
    prepared.obj = decision.obj
    if refusal := policy.refusal(prepared.obj, integration.name):
        raise Refused(refusal)
    await _merge_here(account, integration, prepared, event_id, progress, decision, received_hash)
    for follow_up in await policy.follow_ups(account, integration, prepared.obj):
        await _merge_here(account, integration, follow_up, event_id, progress)


async def _merge_here(
    account: Account, integration: Integration, item: Incoming, event_id: int, progress: _Progress,
    decision: Decision | None = None, received_hash: str | None = None,
) -> None:
    """:func:`merge` in the event's transaction; what it raises (but a write in flight or a store
    hiccup) as :class:`_MergeFailed`, since part of its writes may be in the transaction."""
    try:
        progress.deliveries += await merge(
            account, integration.name, item, event_id, decision, received_hash=received_hash, effects=progress.pending,
        )
    except Exception as exc:
        if isinstance(exc, _WriteInFlight) or store_may_recover(exc):
            raise
        raise _MergeFailed(policy_for(item.data_type).describe(item.obj), exc) from exc


async def merge(
    account: Account, source: str, item: Incoming, event_id: int | None, decision: Decision | None = None,
    *, received_hash: str | None = None, effects: Pending | None = None,
) -> list[int]:
    """Merge one incoming object into its record; retry once if a concurrent import created it.

    Returns the pending Delivery ids a new version caused (none when nothing changed).
    ``received_hash`` is the object's hash as the source sent it (before the import rules), for
    recognising an echo; ``decision`` (what the import rules did) is recorded with the version,
    and its effects run once the transaction has committed.

    Alone, the merge is a transaction of its own. Given ``effects``, it runs in the caller's
    transaction, adds the effects to run after the caller's commit to ``effects``, and raises
    whatever went wrong (a unique-key clash included) for the caller to undo the transaction.
    """
    pending: Pending = []
    received = received_hash or item.obj.content_hash()
    if effects is not None:  # in the caller's transaction, which undoes it all if this raises
        result = await _merge_read_first(account, source, item, event_id, decision, pending, received)
        effects += pending
        return result
    for attempt in (1, 2):
        try:
            async with in_transaction():
                result = await _merge_read_first(account, source, item, event_id, decision, pending, received)
            break
        except IntegrityError:
            if attempt == 2:
                raise
            pending.clear()
    await run_effects(account, pending)
    return result


class _LockFirst(Exception):
    """Raised by a merge that read its record unlocked and found it is to change it."""


async def _merge_read_first(
    account: Account, source: str, item: Incoming, event_id: int | None, decision: Decision | None,
    pending: Pending, received_hash: str,
) -> list[int]:
    """The merge, reading the record without a lock first where locks are row locks (PostgreSQL).

    Most imports of a known record change nothing (a returning customer, on each of her orders):
    they never wait for one another's transaction, which, with events imported in batches, may
    hold a lock for a while. A merge that finds it is to change the record has written nothing
    yet; it reads the record again, locked, and decides again. A new record needs no lock (its
    key is unique: two imports creating it clash, and the second merges into the first's).
    On SQLite the transaction holds the store's write lock anyway.
    """
    if rows.client().capabilities.dialect != "postgres":
        return await _merge_once(account, source, item, event_id, decision, pending, received_hash, locked=True)
    try:
        return await _merge_once(account, source, item, event_id, decision, pending, received_hash, locked=False)
    except _LockFirst:
        return await _merge_once(account, source, item, event_id, decision, pending, received_hash, locked=True)


async def _merge_once(
    account: Account, source: str, item: Incoming, event_id: int | None, decision: Decision | None,
    pending: Pending, received_hash: str, *, locked: bool,
) -> list[int]:
    obj, policy = item.obj, policy_for(item.data_type)
    data_type, key = str(item.data_type), obj.match_key()
    conn = rows.client()  # the transaction the caller runs this in
    link = await rows.link_of(account.name, source, data_type, item.external_id, conn)
    if link is not None and link.echo_hash == received_hash:
        log.info("%s from %s is the hub's own write coming back", policy.describe(obj), source)
        await _remember_import(link, received_hash, obj, None, conn)
        echoed = await rows.record_by_id(link.record_id, conn)
        assert echoed is not None
        await ledger.note(
            account.name, echoed, ledger.ECHO, integration=source, content_hash=received_hash, written=False,
            event_id=event_id, external_id=item.external_id, connection=conn,
        )
        return []
    record = await _find_record(account, data_type, key, link, item.alias, conn, lock=locked)
    if record is not None and record.source != source and await _writing(account, source, item.data_type, record.id, conn):
        raise _WriteInFlight()
    written = created = older = False
    if record is None:
        await policy.before_write(account, obj, conn)
        data, content = obj.stored()
        record = await rows.create(
            Record, conn, account=account.name, data_type=data_type, key=key, version=1, hash=content,
            data=data, source=source, source_modified_at=obj.modified_at, status=status_of(obj),
        )
        written = created = True
    elif is_older(obj, record):
        older = True
        log.info("ignored an older %s from %s (no going back)", policy.describe(obj), source)
    resend: list[str] | None = None  # integrations whose copy drifted from unchanged content
    if not written and not older:
        stored = load(data_type, record.data)
        obj = policy.merge(with_uncarried(account, source, obj, stored), stored)
        same = obj.content_hash() == record.hash and record.key == key
        if same:
            resend = await policy.drifted(account, source, record, obj, conn) or None
        elif await _overtaken(record, source, item.obj, event_id, conn):
            older = True
            log.info("ignored an earlier %s from %s of the same second (no going back)", policy.describe(obj), source)
        if (not same and not older) or resend:
            if not locked:
                raise _LockFirst()
            await policy.before_write(account, obj, conn)
            record.version += 1
            record.key = key
            data, content = obj.stored()  # as before_write left it (an order's lines point at their products)
            record.hash = content
            record.data = data
            record.source = source
            record.source_modified_at = obj.modified_at or record.source_modified_at
            record.status = status_of(obj)
            await record.save(using_db=conn)
            written = True
    await ledger.note(
        account.name, record, ledger.outcome(changed=written, created=created, older=older, echo=False),
        integration=source, content_hash=received_hash, written=written, event_id=event_id,
        external_id=item.external_id, connection=conn,
    )
    if link is None:
        await rows.insert(
            Link, conn, account=account.name, integration=source, data_type=data_type, external_id=item.external_id,
            record_id=record.id, alias=item.alias, last_import_hash=received_hash, last_import_modified_at=obj.modified_at,
        )
    else:
        await _remember_import(link, received_hash, obj, record.id, conn)
    if decision is not None:
        await record_decision(
            account, decision, stage="import", integration=source, data_type=data_type, event_id=event_id,
            record_id=record.id, connection=conn, pending=pending if written else None,
        )
    if not written:
        return []
    if resend:
        log.info("%s sent again to %s, whose copy differs", policy.describe(obj), ", ".join(resend))
    return await plan_deliveries(account, record, obj, source, event_id, conn, pending, only=resend)


async def _writing(account: Account, integration: str, data_type: DataType, record_id: int, conn: object) -> bool:
    """True while a worker holds a live lease on a delivery of the record to ``integration``.

    Asked only of a record whose latest version came from elsewhere (a version from the
    integration itself is never written back to it) and of a data type it exports.
    """
    target = account.integration(integration)
    if target is None or not target.exports(data_type):
        return False
    return await Delivery.filter(
        account=account.name, integration=integration, record_id=record_id,
        state=DeliveryState.RUNNING, lease_until__gt=datetime.now(UTC),
    ).using_db(conn).exists()


async def _find_record(
    account: Account, data_type: str, key: str, link: Link | None, alias: bool, conn: object, *, lock: bool,
) -> Record | None:
    """The record an incoming object belongs to, locked for the merge if ``lock`` (see "Identity" above).

    By the source's own id (a non-alias Link) first: when that record has another key, it takes
    ``key`` unless another record has it, in which case that one is the object's record now.
    """
    by_link = None
    if link is not None and not alias and not link.alias:
        by_link = await rows.record_by_id(link.record_id, conn, for_update=lock)
        if by_link is not None and by_link.key == key:
            return by_link
    by_key = await rows.record_by_key(account.name, data_type, key, conn, for_update=lock)
    return by_key or by_link


async def _remember_import(link: Link, received_hash: str, obj: Canonical, record_id: int | None, conn: object) -> None:
    """The Link keeps what was imported last (nothing is written when it already holds it)."""
    values: dict[str, object] = {}
    if link.last_import_hash != received_hash:
        values["last_import_hash"] = link.last_import_hash = received_hash
    if link.last_import_modified_at != obj.modified_at:
        values["last_import_modified_at"] = link.last_import_modified_at = obj.modified_at
    if record_id is not None and link.record_id != record_id:
        values["record_id"] = link.record_id = record_id
    if values:
        await rows.change(Link, link.id, values, conn)


def with_uncarried(account: Account, source: str, obj: Canonical, stored: Canonical) -> Canonical:
    """``obj`` with the stored values of the fields ``source`` does not carry (``Flow.carries``):
    a source that cannot hold a field never blanks it in the record."""
    integration = account.integration(source)
    flow = integration.flow(obj.data_type, Direction.IMPORT) if integration is not None else None
    if flow is None or not flow.carries:
        return obj
    keep = set(flow.carries) | {"modified_at"}
    return obj.model_copy(update={name: getattr(stored, name) for name in type(obj).model_fields if name not in keep})


def status_of(obj: Canonical) -> str | None:
    """The object's status as the record keeps it (for finding, e.g., pending checkouts)."""
    status = getattr(obj, "status", None)
    return str(status) if status else None


def is_older(obj: Canonical, record: Record) -> bool:
    """True when ``obj`` is an older version than the record's, compared in whole seconds.

    Many systems keep modified times in whole seconds: a change made in the same second as the
    hub's last version is not older, so it is never dropped because one clock is coarser.
    """
    if obj.modified_at is None or record.source_modified_at is None:
        return False
    return int(obj.modified_at.timestamp()) < int(record.source_modified_at.timestamp())


async def _overtaken(record: Record, source: str, obj: Canonical, event_id: int | None, conn: object) -> bool:
    """True when the record's version came from a later event of ``source`` in the same second.

    Imports run concurrently, so two webhooks of one second can be merged in either order; the
    event ids tell which came in last. Asked only of different content in the same second.
    """
    if event_id is None or record.source != source or obj.modified_at is None or record.source_modified_at is None:
        return False
    if int(obj.modified_at.timestamp()) != int(record.source_modified_at.timestamp()):
        return False
    writer = await LedgerEntry.filter(
        account=record.account, record_id=record.id, version=record.version, integration=source, outcome__in=(ledger.CREATED, ledger.UPDATED),
    ).using_db(conn).order_by("-id").values_list("event_id", flat=True)
    return bool(writer) and writer[0] is not None and writer[0] > event_id


def _log_defect(exc: BaseException, what: str) -> None:
    """A failure the hub did not word itself is a defect: log it with its traceback once."""
    if isinstance(exc, HubError):
        return
    log.error("%s: %s: %s", what, type(exc).__name__, exc, exc_info=exc)


async def _fail(account: Account, event: Event, message: str) -> None:
    await _finish(event, EventState.FAILED, redact(message, *account.secrets()))


async def _finish(event: Event, state: EventState, message: str | None, connection: object = None) -> None:
    event.state = state
    event.last_error = message
    event.processed_at = datetime.now(UTC)
    event.lease_until = None
    await rows.change(Event, event.id, {
        "state": state, "last_error": message, "attempts": event.attempts, "processed_at": event.processed_at,
        "lease_until": None,
    }, connection)  # fmt: skip
