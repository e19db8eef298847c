"""What the connector does: poll contacts page by page, export contacts and orders idempotently.

The poll's cursor is MiniCRM's page token while a poll is under way (``page:<token>``), and the
``updated`` time of the last contact once it is done (``since:<time>``). MiniCRM's clock has
whole seconds, so the next poll asks for ``updated_since`` that same second: contacts changed in
it after the last poll are not lost, and the few seen twice are imported once (same content).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from connect_hub.canonical import Contact, Order
from connect_hub.contracts import ExportAction, ExportRequest, ExportResult, PolledItem, PollPage
from connect_hub.errors import PermanentError

from connect_hub_minicrm.client import Json, MiniCrm
from connect_hub_minicrm.mapping import (
    activity_key,
    activity_of,
    buyer_of,
    contact_from_minicrm,
    contact_to_minicrm,
)
from connect_hub_minicrm.webhooks import envelope

EPOCH = "1970-01-01T00:00:00Z"


async def poll_contacts(crm: MiniCrm, cursor: str | None, page_size: int, first_import: datetime | None) -> AsyncIterator[PollPage]:
    kind, _, value = (cursor or "").partition(":")
    since = value if kind == "since" else (first_import.isoformat() if first_import else EPOCH)
    token = value if kind == "page" else None
    if kind == "page":
        since = EPOCH  # the token knows where the poll started
    last_seen = since
    async for contacts, next_token in crm.contact_pages(since, token, page_size):
        if contacts:
            last_seen = str(contacts[-1]["updated"])
        yield PollPage(
            items=[PolledItem(topic="contact.updated", body=envelope("contact.updated", c)) for c in contacts],
            cursor=f"page:{next_token}" if next_token else f"since:{last_seen}",
        )


async def write_contact(crm: MiniCrm, contact: Contact, known_id: str | None) -> tuple[Json, ExportAction]:
    """Update the contact MiniCRM has (by id, else by e-mail) or create it; write nothing when
    MiniCRM already holds this content."""
    existing = await crm.contact(known_id) if known_id else None
    if existing is None:
        existing = await crm.contact_by_email(contact.email)
    body = contact_to_minicrm(contact)
    if existing is None:
        return await crm.create_contact(body), ExportAction.CREATED
    if contact_to_minicrm(contact_from_minicrm(existing)) == body:
        return existing, ExportAction.UNCHANGED
    return await crm.update_contact(existing["id"], body), ExportAction.UPDATED


async def write_activity(crm: MiniCrm, order: Order) -> tuple[Json, ExportAction]:
    """The order's activity on its buyer's contact (found by e-mail, or created)."""
    buyer = buyer_of(order)
    contact = await crm.contact_by_email(buyer.email) or await crm.create_contact(contact_to_minicrm(buyer))
    wanted, key = activity_of(order, contact["id"]), activity_key(order)
    existing = await crm.activity(key)
    if existing is not None and {k: existing.get(k) for k in wanted} == wanted:
        return existing, ExportAction.UNCHANGED
    written = await crm.put_activity(key, wanted)
    return written, ExportAction.UPDATED if existing is not None else ExportAction.CREATED


async def export(crm: MiniCrm, request: ExportRequest) -> ExportResult:
    """A contact (``stored``: MiniCRM's answer, mapped as an import maps it, so its webhook back
    is the hub's own write) or an order as an activity (never sent back: nothing to store)."""
    if isinstance(request.obj, Contact):
        written, action = await write_contact(crm, request.obj, request.external_id)
        return ExportResult(external_id=written["id"], action=action, stored=contact_from_minicrm(written))
    if isinstance(request.obj, Order):
        activity, action = await write_activity(crm, request.obj)
        return ExportResult(external_id=activity["key"], action=action)
    raise PermanentError(f"{crm.name}: MiniCRM takes contacts and orders, not {request.data_type}")
