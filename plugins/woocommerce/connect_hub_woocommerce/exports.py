"""Writes into the shop: shipments, contacts, and stock figures in batches.

Each write is idempotent, so a retried or replayed delivery changes nothing more:

- **Shipment**: through the companion plugin where the shop has it (idempotent by the hub's
  ``external_id`` for the shipment); else a customer-visible order note with carrier, tracking
  code and link, or a Shipment Tracking item where the shop has that extension, skipped when one
  with the tracking code exists. Then the order is set to completed (the completion mail then
  shows the tracking).
- **Contact**: the customer the hub knows by id, else the one with the same e-mail, is updated
  (or left alone when it already holds the contact), or one is created. Phone and company travel
  in the billing address, both ways.
- **Stock**: an absolute ``stock_quantity`` per SKU; simple products through
  ``/products/batch``, variations through their parent's ``/variations/batch``, 100 at most per
  request. A non-numeric quantity in a batch silently becomes 0 in WooCommerce, so every
  quantity is checked before anything is sent.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from connect_hub.canonical import Contact, Shipment, Stock
from connect_hub.contracts import ExportAction, ExportRequest, ExportResult
from connect_hub.errors import HubError, PermanentError, TransientError

from connect_hub_woocommerce.client import BATCH_LIMIT, Json, WooClient
from connect_hub_woocommerce.mapping import contact_from_wc_customer, customer_to_wc

Result = ExportResult | Exception

INVALID_ID_CODES = (
    "woocommerce_rest_product_invalid_id",
    "woocommerce_rest_product_variation_invalid_id",
    "woocommerce_rest_invalid_product_id",
)
"""Batch item errors meaning the cached id no longer names the product."""


# --- Shipments ------------------------------------------------------------------------------


def shipment_note(shipment: Shipment) -> str:
    """The customer note that announces a shipment."""
    parts = [f"Your order has been shipped with {shipment.carrier or 'our carrier'}."]
    if shipment.tracking_code:
        parts.append(f"Tracking code: {shipment.tracking_code}.")
    if shipment.tracking_url:
        parts.append(f"Track your parcel: {shipment.tracking_url}")
    return " ".join(parts)


def hub_shipment_id(request: ExportRequest) -> str:
    """The companion plugin's ``external_id`` for the hub's shipment: its record, stable across
    retries and replays."""
    return f"connect-hub-{request.record_id}"


async def export_shipment(
    client: WooClient,
    request: ExportRequest,
    who: str,
    *,
    has_companion: Callable[[], Awaitable[bool]] | None = None,
) -> ExportResult:
    """Add the shipment to its order (once), then complete the order; through the companion
    plugin when ``has_companion()`` says the shop has it."""
    shipment = request.obj
    if not isinstance(shipment, Shipment):
        raise PermanentError(f"{who}: a shipments export needs a Shipment")
    order_id = request.related.get("order")
    if not order_id:
        raise PermanentError(
            f"{who}: order {shipment.order_reference} is unknown in this shop (no link to a "
            "WooCommerce order), so its shipment cannot be added"
        )
    if has_companion is not None and await has_companion():
        external_id = await _companion_once(client, order_id, shipment, hub_shipment_id(request))
        await client.update_order(order_id, {"status": "completed"})
        return ExportResult(external_id=external_id)
    trackings = await client.shipment_trackings(order_id)
    if trackings is None:
        external_id, action = await _note_once(client, order_id, shipment)
    else:
        external_id, action = await _tracking_once(client, order_id, shipment, trackings)
    await client.update_order(order_id, {"status": "completed"})
    return ExportResult(external_id=external_id, action=action)


async def _companion_once(
    client: WooClient, order_id: str, shipment: Shipment, external_id: str
) -> str:
    created = await client.add_companion_shipment(order_id, {
        "provider": shipment.carrier,
        "tracking_number": shipment.tracking_code,
        "tracking_url": shipment.tracking_url,
        "external_id": external_id,
    })  # fmt: skip
    return f"{order_id}/shipments/{created.get('id')}"


async def _note_once(client: WooClient, order_id: str, shipment: Shipment) -> tuple[str, ExportAction]:
    note = shipment_note(shipment)
    marker = shipment.tracking_code or note
    for existing in await client.order_notes(order_id):
        if existing.get("customer_note") and marker in str(existing.get("note", "")):
            return f"{order_id}/notes/{existing.get('id')}", ExportAction.UNCHANGED
    created = await client.create_order_note(order_id, note, customer=True)
    return f"{order_id}/notes/{created.get('id')}", ExportAction.CREATED


async def _tracking_once(
    client: WooClient, order_id: str, shipment: Shipment, trackings: list[Json]
) -> tuple[str, ExportAction]:
    for existing in trackings:
        if str(existing.get("tracking_number", "")) == shipment.tracking_code:
            return f"{order_id}/trackings/{existing.get('tracking_id')}", ExportAction.UNCHANGED
    data: Json = {
        "custom_tracking_provider": shipment.carrier,
        "custom_tracking_link": shipment.tracking_url,
        "tracking_number": shipment.tracking_code,
    }
    if shipment.shipped_at is not None:
        data["date_shipped"] = shipment.shipped_at.date().isoformat()
    created = await client.create_shipment_tracking(order_id, data)
    return f"{order_id}/trackings/{created.get('tracking_id')}", ExportAction.CREATED


# --- Contacts -------------------------------------------------------------------------------


async def export_contact(client: WooClient, request: ExportRequest, who: str) -> ExportResult:
    """Bring the shop's customer in line with the contact; its id is the result.

    The customer is the one the hub knows by id (an e-mail change goes to it), else the one with
    the contact's e-mail, else a new one. The answer says what the shop now keeps (``stored``),
    mapped as a customer webhook is, so the hub recognises this write when it comes back.
    """
    contact = request.obj
    if not isinstance(contact, Contact):
        raise PermanentError(f"{who}: a contacts export needs a Contact")
    customer = await client.get_customer(request.external_id) if request.external_id else None
    if customer is None:
        found = [
            c for c in await client.customers_by_email(contact.email)
            if str(c.get("email", "")).lower() == contact.email.lower()
        ]  # fmt: skip
        customer = found[0] if found else None
    body = customer_to_wc(contact)
    if customer is None:
        created = await client.create_customer(body)
        return ExportResult(str(created["id"]), action=ExportAction.CREATED, stored=_kept(created, who))
    if _kept(customer, who).content_hash() == _kept({**customer, **_merged(customer, body)}, who).content_hash():
        return ExportResult(str(customer["id"]), action=ExportAction.UNCHANGED, stored=_kept(customer, who))
    updated = await client.update_customer(customer["id"], body)
    return ExportResult(str(updated["id"]), action=ExportAction.UPDATED, stored=_kept(updated, who))


def _merged(customer: Json, body: Json) -> Json:
    """The customer as the shop keeps it after ``body`` (addresses are merged field by field)."""
    merged = dict(body)
    for part in ("billing", "shipping"):
        if part in body:
            merged[part] = {**(customer.get(part) or {}), **body[part]}
    return merged


def _kept(customer: Json, who: str) -> Contact:
    try:
        return contact_from_wc_customer(customer)
    except HubError as exc:
        raise PermanentError(f"{who}: the shop answered a customer it cannot map: {exc}") from None


# --- Stocks ---------------------------------------------------------------------------------


def checked_quantity(request: ExportRequest, who: str) -> Stock:
    """The request's Stock, refused unless its quantity is a whole number (not a bool)."""
    stock = request.obj
    if not isinstance(stock, Stock):
        raise PermanentError(f"{who}: a stocks export needs a Stock")
    quantity: Any = stock.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise PermanentError(
            f"{who}: the stock of SKU {stock.sku} is {quantity!r}, which is not a whole number; "
            "nothing was sent (WooCommerce would have set it to 0)"
        )
    return stock


async def export_stocks(client: WooClient, requests: list[ExportRequest], who: str) -> list[Result]:
    """Set the stock of each request's SKU; one result or exception per request, in order."""
    refused: dict[int, Result] = {}  # index -> why the request was not sent
    skus: list[str] = []
    latest: dict[str, tuple[int, Stock]] = {}  # sku -> (index of the newest request, stock)
    for index, request in enumerate(requests):
        try:
            stock = checked_quantity(request, who)
        except PermanentError as exc:
            refused[index] = exc
            skus.append("")
            continue
        skus.append(stock.sku)
        newest = latest.get(stock.sku)
        if newest is None or requests[newest[0]].version <= request.version:
            latest[stock.sku] = (index, stock)

    resolved = await resolve_skus(client, list(latest))
    groups: dict[int, list[tuple[str, int, int]]] = defaultdict(list)  # parent -> (sku, id, qty)
    outcome: dict[str, Result] = {}
    for sku, (_, stock) in latest.items():
        ids = resolved[sku]
        if isinstance(ids, Exception):
            outcome[sku] = ids
        elif ids is None:  # an article the shop does not sell: nothing to set
            outcome[sku] = ExportResult(
                skipped=f"no product or variation in the shop has the SKU {sku}"
            )
        else:
            groups[ids[1]].append((sku, ids[0], stock.quantity))

    for parent_id, items in groups.items():
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = items[start : start + BATCH_LIMIT]
            outcome.update(await _send_batch(client, parent_id, chunk, who))

    return [refused[i] if i in refused else outcome[sku] for i, sku in enumerate(skus)]


SKU_LOOKUP = 100
"""SKUs asked of the shop in one request (a SKU is unique, so one page of 100 holds them all)."""


async def resolve_skus(client: WooClient, skus: list[str]) -> dict[str, tuple[int, int] | Exception | None]:
    """(id, parent id) of the product or variation with each SKU; None when the shop has none.

    Asked of the shop at each export, one request per 100 SKUs, never remembered: a product
    whose SKU a shop manager changed must not get the old SKU's stock. A SKU with a comma is
    asked alone (the shop splits the list at commas).
    """
    plain = [sku for sku in skus if "," not in sku]
    groups = [plain[i : i + SKU_LOOKUP] for i in range(0, len(plain), SKU_LOOKUP)]
    groups += [[sku] for sku in skus if "," in sku]
    answers = await asyncio.gather(*(client.products_by_skus(group) for group in groups), return_exceptions=True)
    found: dict[str, tuple[int, int] | Exception | None] = {}
    for group, answer in zip(groups, answers, strict=True):
        if isinstance(answer, HubError):
            found.update(dict.fromkeys(group, answer))
            continue
        if isinstance(answer, BaseException):
            raise answer
        by_sku = {product.get("sku"): product for product in answer}
        for sku in group:
            product = by_sku.get(sku)
            found[sku] = (int(product["id"]), int(product.get("parent_id") or 0)) if product else None
    return found


async def _send_batch(
    client: WooClient, parent_id: int, chunk: list[tuple[str, int, int]], who: str
) -> dict[str, Result]:
    """One batch request; each SKU's result from its own item of the answer."""
    update = [{"id": pid, "manage_stock": True, "stock_quantity": qty} for _, pid, qty in chunk]
    try:
        if parent_id:
            answered = await client.batch_variations(parent_id, update)
        else:
            answered = await client.batch_products(update)
    except HubError as exc:
        return {sku: exc for sku, _, _ in chunk}
    results: dict[str, Result] = {}
    for position, (sku, product_id, _) in enumerate(chunk):
        item = answered[position] if position < len(answered) else None
        results[sku] = _item_result(sku, product_id, item, who)
    return results


def _item_result(sku: str, product_id: int, item: Json | None, who: str) -> Result:
    """The result of one batch item: done, or the item's own error classified."""
    if item is None:
        return TransientError(f"{who}: the shop's batch answer has no item for SKU {sku}")
    error = item.get("error")
    if not error:
        return ExportResult(external_id=str(item.get("id") or product_id), action=ExportAction.UPDATED)
    code = str(error.get("code", ""))
    status = int((error.get("data") or {}).get("status") or 400)
    message = f"{who}: setting the stock of SKU {sku} failed: {code}: {error.get('message')}"
    if code in INVALID_ID_CODES:
        return TransientError(f"{message} (product {product_id} is gone; will look it up again)")
    if status == 429 or status >= 500:
        return TransientError(message)
    return PermanentError(message)
