"""HTTP helpers shared by connectors' API clients."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from connect_hub.http_backend import AsyncioBackend


def transport(**options: object) -> httpx.AsyncHTTPTransport:
    """httpx's HTTP transport (``options`` as ``httpx.AsyncHTTPTransport`` takes them: limits,
    TLS verification, retries) on asyncio's own streams (:mod:`connect_hub.http_backend`), for
    connectors' API clients: ``httpx.AsyncClient(transport=transport(limits=...))``."""
    made = httpx.AsyncHTTPTransport(**options)  # type: ignore[arg-type]
    made._pool._network_backend = AsyncioBackend()  # httpx 0.28 builds the pool without asking for one
    return made


def parse_retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay in seconds or an HTTP-date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
