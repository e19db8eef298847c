"""Pure functions between MiniCRM's JSON and the hub's canonical objects.

| MiniCRM contact | Contact     |
|-----------------|-------------|
| email           | email       |
| name.first      | first_name  |
| name.last       | last_name   |
| organisation    | company     |
| phone           | phone       |
| updated         | modified_at |

MiniCRM keeps no addresses: a contact from it has none and none are sent, so a contact the hub
wrote comes back with the same content hash (the hub's own write, recognised by content).
An order becomes an *activity* on its buyer's contact, keyed ``order-<reference>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connect_hub.canonical import Contact, Order
from connect_hub.errors import MappingError


def contact_from_minicrm(data: Any) -> Contact:
    """A Contact from MiniCRM's contact JSON; MappingError says what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise MappingError("a MiniCRM contact must be an object with a text id")
    email, name = data.get("email"), data.get("name") or {}
    if not isinstance(email, str) or "@" not in email:
        raise MappingError(f"MiniCRM contact {data['id']} has no e-mail address")
    if not isinstance(name, dict):
        raise MappingError(f"MiniCRM contact {data['id']}: name must be an object with first and last")
    return Contact(
        email=email,
        first_name=str(name.get("first") or ""),
        last_name=str(name.get("last") or ""),
        company=str(data.get("organisation") or ""),
        phone=str(data.get("phone") or ""),
        modified_at=_time(data.get("updated"), data["id"]),
    )


def contact_to_minicrm(contact: Contact) -> dict[str, Any]:
    return {
        "email": contact.email,
        "name": {"first": contact.first_name, "last": contact.last_name},
        "organisation": contact.company,
        "phone": contact.phone,
    }


def buyer_of(order: Order) -> Contact:
    """The contact an order's activity goes on: its e-mail, the billing name."""
    email = order.email or order.billing.email
    if not email:
        raise MappingError(f"order {order.reference} has no e-mail address: MiniCRM files activities by contact")
    return Contact(email=email, first_name=order.billing.first_name, last_name=order.billing.last_name, company=order.billing.company, phone=order.billing.phone)


def activity_key(order: Order) -> str:
    return f"order-{order.reference}"


def activity_of(order: Order, contact_id: str) -> dict[str, Any]:
    status = order.status.value if order.status else order.source_status
    return {
        "contact_id": contact_id,
        "kind": "order",
        "title": f"Order {order.number}: {order.total} {order.currency}, {status}",
        "amount": str(order.total),
        "currency": order.currency,
    }


def _time(value: Any, contact_id: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise MappingError(f"MiniCRM contact {contact_id}: updated {value!r} is no time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
