"""Ingress: an accepted webhook body or polled item becomes a committed Event."""

from __future__ import annotations

from collections.abc import Mapping

from connect_hub.store.models import Event

KEPT_HEADER_PREFIXES = ("x-wc-", "x-hub-", "x-warehouse-", "content-type", "user-agent")
"""Only these headers are kept with an Event: never Authorization, cookies or API keys."""


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith(KEPT_HEADER_PREFIXES)}


async def store_event(account: str, integration: str, topic: str, headers: Mapping[str, str], body: bytes) -> int:
    """Commit one raw Event (a single insert) and return its id; the caller then wakes an actor."""
    event = await Event.create(
        account=account, integration=integration, topic=topic[:100], headers=kept_headers(headers), body=body
    )
    return event.id
