"""What one import batch has read of Links and records, so that it reads each row once.

An import batch (:func:`connect_hub.pipeline.importing.import_events`) looks up, for every
object, its Link in the source and its record by match key, and an order's lines look up their
master products: three statements an order, most of them for rows the batch could have asked
for together. Inside :func:`together`, :func:`prefetch` reads the Links and records of the
batch's own objects in one statement per data type, and :mod:`connect_hub.store.rows` answers
``link_of``, ``record_by_key`` and ``record_by_id`` from what the batch has read (a row, or
that there is none), reading and keeping what it has not.

What the batch writes through :mod:`connect_hub.store.rows` is forgotten (a Link or record it
creates, a row it changes by id), so the next lookup reads the row as it now is; a record it
saves keeps its object, which is the one kept here, and a key lookup takes a kept record only
while it still has that key. A lookup that locks its row (``for_update``) always reads it.
What another worker commits meanwhile is what the batch's transaction could have missed
anyway: a record it creates too clashes on its unique key, which undoes the batch, and its
events are imported one by one, each reading afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connect_hub.store.models import Link, Record

LinkKey = tuple[str, str, str, str]
"""(account, integration, data type, external id): a Link's unique key."""
RecordKey = tuple[str, str, str]
"""(account, data type, match key): a record's unique key."""


class Unknown:
    """Not read yet (as opposed to None: read, and there is no such row)."""


UNKNOWN = Unknown()


@dataclass
class BatchReads:
    links: dict[LinkKey, Link | None] = field(default_factory=dict)
    records: dict[int, Record] = field(default_factory=dict)
    """By id: one object per row, whichever lookup found it."""
    keys: dict[RecordKey, int | None] = field(default_factory=dict)

    def link(self, key: LinkKey) -> Link | None | Unknown:
        return self.links.get(key, UNKNOWN)

    def record_by_key(self, key: RecordKey) -> Record | None | Unknown:
        record_id = self.keys.get(key, UNKNOWN)
        if record_id is None or isinstance(record_id, Unknown):
            return record_id
        record = self.records.get(record_id)
        if record is None or (record.account, record.data_type, record.key) != key:
            return UNKNOWN  # saved under another key since, or forgotten
        return record

    def record_by_id(self, record_id: int) -> Record | Unknown:
        return self.records.get(record_id, UNKNOWN)

    def keep_link(self, key: LinkKey, link: Link | None) -> None:
        self.links[key] = link

    def keep_record(self, record: Record) -> None:
        self.records[record.id] = record
        self.keys[(record.account, record.data_type, record.key)] = record.id

    def keep_no_record(self, key: RecordKey) -> None:
        self.keys[key] = None

    def forget_link(self, key: LinkKey) -> None:
        self.links.pop(key, None)

    def forget_record_key(self, key: RecordKey) -> None:
        self.keys.pop(key, None)

    def forget_row(self, table: str, row_id: int) -> None:
        """A row changed by id: the next lookup of it reads it."""
        if table == "hub_record":
            self.records.pop(row_id, None)
        elif table == "hub_link":
            for key in [k for k, link in self.links.items() if link is not None and link.id == row_id]:
                del self.links[key]

    def forget_all(self) -> None:
        self.links.clear()
        self.records.clear()
        self.keys.clear()


_current: ContextVar[BatchReads | None] = ContextVar("connect_hub_batch_reads", default=None)


def current() -> BatchReads | None:
    """The reads of the batch this task imports, or None outside one."""
    return _current.get()


@contextmanager
def together() -> Iterator[BatchReads]:
    """Lookups inside the block answer from what the block has read (see the module's docstring)."""
    token = _current.set(BatchReads())
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


async def prefetch(links: Iterable[LinkKey], records: Iterable[RecordKey], connection: Any = None) -> None:
    """Read these Links and records (and the records the Links lead to) in one statement per
    integration and data type, and keep them, or that there is none, for the batch."""
    from connect_hub.store import rows

    reads = current()
    if reads is None:
        return
    by_group: dict[tuple[str, str, str], set[str]] = {}
    for account, integration, data_type, external_id in links:
        by_group.setdefault((account, integration, data_type), set()).add(external_id)
    for (account, integration, data_type), external_ids in sorted(by_group.items()):
        wanted = sorted(external_ids)
        found = {link.external_id: link for link in await rows.links_by_external_ids(account, integration, data_type, wanted, connection)}
        for external_id in wanted:
            reads.keep_link((account, integration, data_type, external_id), found.get(external_id))
    by_type: dict[tuple[str, str], set[str]] = {}
    for account, data_type, key in records:
        by_type.setdefault((account, data_type), set()).add(key)
    for (account, data_type), keys in sorted(by_type.items()):
        wanted = sorted(keys)
        for record in await rows.records_by_keys(account, data_type, wanted, connection):
            reads.keep_record(record)
        for key in wanted:
            if (account, data_type, key) not in reads.keys:
                reads.keep_no_record((account, data_type, key))
    linked = sorted({link.record_id for link in reads.links.values() if link is not None} - reads.records.keys())
    for record in await rows.records_by_ids(linked, connection):
        reads.keep_record(record)
