"""HTTP helpers shared by connectors' API clients."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from connect_hub.http_pool import AiohttpPool

POOL_OPTIONS = frozenset({"limits", "verify", "cert", "trust_env"})
"""The ``httpx.AsyncHTTPTransport`` options :class:`AiohttpPool` honours; any other (a proxy,
retries, a socket option) is refused rather than dropped."""


def transport(**options: object) -> httpx.AsyncHTTPTransport:
    """httpx's HTTP transport (``options`` as ``httpx.AsyncHTTPTransport`` takes them: limits,
    TLS verification) with its requests sent through aiohttp (:mod:`connect_hub.http_pool`), for
    connectors' API clients: ``httpx.AsyncClient(transport=transport(limits=...))``."""
    if unsupported := options.keys() - POOL_OPTIONS:
        raise TypeError(f"the connectors' transport does not take {', '.join(sorted(unsupported))}")
    made = httpx.AsyncHTTPTransport(**options)  # type: ignore[arg-type]
    built = made._pool  # httpx 0.28 builds httpcore's pool itself: its settings are the options'
    made._pool = AiohttpPool(built._ssl_context, built._max_connections, built._keepalive_expiry)  # type: ignore[assignment]
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
