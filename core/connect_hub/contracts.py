"""The plain data passed between the core and connectors through the hooks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from connect_hub.canonical import Canonical
from connect_hub.manifest import DataType, Direction, Flow, Manifest


@dataclass
class Integration:
    """One configured instance of a connector, as a connector sees it.

    ``settings`` hold resolved values, secrets included: a connector may use them but must never
    log them or put them in an error message. ``resources`` is the connector's own per-integration
    space (an HTTP client, say), filled in ``hub_integration_start``.
    """

    account: str
    name: str
    connector: str
    preset: str | None
    settings: Mapping[str, Any]
    manifest: Manifest
    flows: tuple[Flow, ...]
    public_url: str = ""
    """The hub's address as the outside world reaches it (for webhook registration)."""
    secret_key: str = field(default="", repr=False)
    """The hub's own secret, from which this integration derives the secrets it makes."""
    resources: dict[str, Any] = field(default_factory=dict, repr=False)
    first_import: Mapping[DataType, float | None] = field(default_factory=dict)
    """Seconds a first import looks back, per data type; None (or absent) = the whole history."""
    stock_source: bool = False
    subtract_unsent_orders: bool = False

    def first_import_since(self, data_type: DataType) -> datetime | None:
        """Where a first import of ``data_type`` starts, or None to take the whole history."""
        seconds = self.first_import.get(data_type)
        return None if seconds is None else datetime.now(UTC) - timedelta(seconds=seconds)

    def __repr__(self) -> str:  # settings may hold secrets: never print them
        return f"Integration({self.account}/{self.name}, connector={self.connector})"

    def flow(self, data_type: DataType, direction: Direction) -> Flow | None:
        return next(
            (f for f in self.flows if f.data_type == data_type and f.direction == direction), None
        )

    def imports(self, data_type: DataType) -> bool:
        return self.flow(data_type, Direction.IMPORT) is not None

    def exports(self, data_type: DataType) -> bool:
        return self.flow(data_type, Direction.EXPORT) is not None


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request to ``/webhooks/{integration}``: header names are lower case."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


class Verdict(StrEnum):
    ACCEPT = "accept"
    """Genuine: store it as an Event and answer 2xx."""
    PING = "ping"
    """A handshake (e.g. WooCommerce's creation ping): answer 200, store nothing."""
    REJECT = "reject"
    """Not genuine (bad or missing signature): answer 401, store nothing."""


@dataclass(frozen=True)
class WebhookVerdict:
    verdict: Verdict
    topic: str = ""
    reason: str = ""
    """For REJECT: why, in words safe to show to the caller (no secrets)."""


@dataclass(frozen=True)
class RawEvent:
    """A stored Event as the connector parses it: exactly what arrived."""

    id: int
    integration: str
    topic: str
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


@dataclass
class Incoming:
    """One canonical object parsed from an Event, with where it came from."""

    obj: Canonical
    external_id: str
    """The object's id in the source system."""
    related: Mapping[str, str] = field(default_factory=dict)
    """Ids in the source system of objects this one refers to, e.g. ``{"order": "123"}`` for a
    shipment: when the hub linked that order to a record of another origin (an order it placed
    in the source), the shipment is for that record's order."""
    alias: bool = False
    """True when ``external_id`` is a stand-in rather than the source's own id for the object
    (a guest's contact on an order is ``email:<address>``: a guest has no customer id). An alias
    is matched by the object's match key, never steers which record it is, and is never the id
    the hub exports to (see docs/identity.md)."""

    @property
    def data_type(self) -> DataType:
        return self.obj.data_type


@dataclass(frozen=True)
class ExportRequest:
    """One record to write into the target integration."""

    data_type: DataType
    record_id: int
    version: int
    obj: Canonical
    external_id: str | None
    """The id this record already has in the target (from the Link), or None the first time."""
    last_export_hash: str | None
    related: Mapping[str, str] = field(default_factory=dict)
    """External ids in the target of records this one refers to, e.g. ``{"order": "1042"}`` for
    a shipment whose order came from (or went to) the target."""
    attempt: int | None = None
    """Which try of its Delivery this is (1 the first), or None when not known. A first try of a
    record the target has no id for may write without reading first (the target has never been
    sent it, unless another version's try timed out: a target that creates by a key of its own
    answers with what it has); a later try reads first, as a try after a timeout must."""


class ExportAction(StrEnum):
    """What an export did in the target system."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    """The target already held this content: nothing written, and the delivery is done."""
    SKIPPED = "skipped"
    """Nothing written on purpose (``ExportResult.skipped`` says why): the target does not take it."""


@dataclass(frozen=True)
class ExportResult:
    """What an export did, and what the target now holds.

    A Delivery is ``done`` only when the target holds the version it was planned for: return
    ``created``, ``updated`` or ``unchanged`` only then. When the target refuses a change (an
    order the warehouse is already picking), raise :class:`~connect_hub.errors.PermanentError`
    with a sentence the merchant can act on instead.
    """

    external_id: str | None = None
    """The object's id in the target (needed after a create; the Link keeps it)."""
    skipped: str | None = None
    """Why nothing was written (kept on the Delivery); implies ``action`` SKIPPED."""
    action: ExportAction | None = None
    """What was done; None means ``created`` when the hub knew no id in the target, else
    ``updated`` (or ``skipped`` when ``skipped`` is set)."""
    stored: Canonical | None = None
    """The object as the target keeps it after the write, mapped the way an import from the
    target maps it (e.g. the API's answer to the write). The hub hashes it: when the target
    later sends this content back (a webhook, a poll), it is the hub's own write and goes
    nowhere. None for a target that never sends this data type back, or whose answer maps to
    exactly the object sent (then the hub hashes that)."""

    def resolved_action(self, known_id: str | None) -> ExportAction:
        """``action``, or what it means when the connector left it out."""
        if self.skipped:
            return ExportAction.SKIPPED
        if self.action is not None:
            return self.action
        return ExportAction.UPDATED if known_id else ExportAction.CREATED


@dataclass(frozen=True)
class PolledItem:
    """One item found by a poll; it becomes an Event like a webhook body would."""

    topic: str
    body: bytes


@dataclass(frozen=True)
class PollPage:
    """A page of polled items and the cursor to resume from after it is stored."""

    items: list[PolledItem]
    cursor: str | None
    total: int | None = None
    """How many items the whole poll is expected to bring, when the remote side says (for
    progress bars); an estimate, never relied on."""


@dataclass(frozen=True)
class WebhookStatus:
    """One webhook the hub needs from a remote system, as that system has it now."""

    topic: str
    """What it sends (``order.created``, ``stock.changed``)."""
    active: bool
    """It exists, is enabled, and delivers to the hub's current address."""
    url: str = ""
    """Where it delivers (empty when it is missing)."""
    detail: str = ""
    """Its id there when active; else why not (``missing``, ``was disabled``)."""


@dataclass(frozen=True)
class Notice:
    """Something a connector found during maintenance that a person should know (e.g. a webhook
    it had to re-create). Logged, counted in the metrics and shown by ``status``."""

    kind: str
    message: str
    key: str | None = None
    """Reported once: a notice whose (integration, kind, key) was already reported is dropped
    (for a standing condition that maintenance finds on every pass). None: always reported."""


@dataclass(frozen=True)
class Check:
    """One onboarding check: what was checked, whether it passed, and a sentence for the user."""

    name: str
    ok: bool
    message: str


@dataclass
class RuleContext:
    """What a rule condition or action sees besides the object."""

    account: str
    stage: str
    """``import`` or ``export``."""
    integration: str
    """The source integration (import) or the target integration (export)."""
    data_type: DataType
    extra: dict[str, Any] = field(default_factory=dict)
