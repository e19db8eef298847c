"""MiniCRM's webhooks: ``X-MiniCRM-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.

A webhook's body is ``{"event": "contact.updated", "contact": {...}}``; the poll stores its items
in the same envelope, so one parse serves both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from connect_hub.contracts import Incoming, RawEvent, Verdict, WebhookVerdict
from connect_hub.errors import MappingError

from connect_hub_minicrm.mapping import contact_from_minicrm

SIGNATURE = "x-minicrm-signature"
EVENTS = ("contact.created", "contact.updated")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> WebhookVerdict:
    given = headers.get(SIGNATURE, "")
    if not given:
        return WebhookVerdict(Verdict.REJECT, reason="no X-MiniCRM-Signature header")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        return WebhookVerdict(Verdict.REJECT, reason="the signature does not match")
    return WebhookVerdict(Verdict.ACCEPT, topic=headers.get("x-minicrm-event", "contact.updated"))


def envelope(event: str, contact: Mapping[str, object]) -> bytes:
    return json.dumps({"event": event, "contact": contact}, separators=(",", ":")).encode()


def parse(event: RawEvent) -> list[Incoming]:
    if event.topic not in EVENTS:
        return []
    try:
        data = json.loads(event.body)
    except ValueError:
        raise MappingError(f"MiniCRM event {event.id}: the body is no JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("contact"), dict):
        raise MappingError(f"MiniCRM event {event.id}: expected {{event, contact}}")
    contact = contact_from_minicrm(data["contact"])
    return [Incoming(obj=contact, external_id=data["contact"]["id"])]
