"""httpx's connection pool, made of aiohttp's: the connectors' HTTP requests on aiohttp's C parser.

Connectors talk HTTP through httpx (its client, its errors, pytest-httpx in their unit tests). Under
the client, httpx's transport hands each request to a pool (httpcore's): on the hub's hot path,
one request to the warehouse per order, httpcore's pool cost more than the rest of the order
(its locks, its bookkeeping of connections, h11's pure-Python parsing). :class:`AiohttpPool`
takes httpcore's place in httpx's own transport (:func:`connect_hub.http.transport`) and sends
the requests through an ``aiohttp`` connector instead: connections kept alive and limited as
``httpx.Limits`` says, TLS verified with the transport's SSL context, the response's body left
as the server sent it for httpx to decode.

Everything above the pool is httpx's: the transport turns the errors raised here (httpcore's,
as httpcore raises them) into ``httpx.ConnectError``, ``httpx.ReadTimeout`` and the like, and
pytest-httpx, which replaces the transport's request handling, still intercepts every request.
aiohttp adds nothing of its own: no headers (httpx sends exactly the ones it built), no
cookies (httpx keeps them), no redirects and no decompression.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, Self

import aiohttp
import httpcore
from yarl import URL

MAX_HEADER_BYTES = 16 * 1024
"""The longest status line and header field taken (h11's own limit, which httpcore used)."""


class AiohttpPool:
    """What httpx's transport asks of its pool (``handle_async_request``, ``aclose``), on aiohttp.

    The aiohttp session belongs to the event loop of the first request; a request on another
    loop (a new ``asyncio.run``) gets a session of its own.
    """

    def __init__(self, ssl_context: ssl.SSLContext, max_connections: int | None, keepalive_expiry: float | None):
        self._ssl_context = ssl_context
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_here(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections or 0, limit_per_host=0, ssl=self._ssl_context,
                keepalive_timeout=self._keepalive_expiry if self._keepalive_expiry is not None else 15.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trust_env=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES, timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
        return self._session

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        session = self._session_here()
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers
                   if name.lower() != b"transfer-encoding"]  # the whole body goes, with its length
        url = request.url
        origin = f"{url.scheme.decode()}://{url.host.decode()}" + (f":{url.port}" if url.port is not None else "")
        timeout = request.extensions.get("timeout", {})
        with _as_httpcore_errors():
            response = await session.request(
                request.method.decode(), URL(origin + url.target.decode("latin-1"), encoded=True),
                headers=headers, data=body or None, allow_redirects=False, compress=None,
                server_hostname=request.extensions.get("sni_hostname"),
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=_sum(timeout.get("pool"), timeout.get("connect")),
                    sock_connect=timeout.get("connect"), sock_read=timeout.get("read"),
                ),
            )
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")}
        return httpcore.Response(
            response.status, headers=list(response.raw_headers), content=_Body(response), extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Body:
    """A response's body as httpcore hands it to httpx: its parts as they come, then released
    (the connection goes back to the pool once the body was read to its end)."""

    def __init__(self, response: aiohttp.ClientResponse):
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpcore_errors():
            while part := await self._response.content.readany():
                yield part

    async def aclose(self) -> None:
        self._response.release()


def _sum(*seconds: float | None) -> float | None:
    """The time for waiting for a pooled connection, then making one: both, or None (no limit)."""
    given = [s for s in seconds if s is not None]
    return sum(given) if len(given) == len(seconds) else None


@contextmanager
def _as_httpcore_errors() -> Iterator[None]:
    """aiohttp's errors as the httpcore ones httpx turns into its own (the message kept)."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpcore.ConnectTimeout(str(exc) or "timed out connecting") from exc
    except aiohttp.SocketTimeoutError as exc:
        raise httpcore.ReadTimeout(str(exc) or "timed out reading the response") from exc
    except aiohttp.ServerTimeoutError as exc:
        raise httpcore.ReadTimeout(str(exc) or "timed out") from exc
    except aiohttp.ClientConnectorError as exc:  # refused, unknown host, TLS handshake or certificate
        raise httpcore.ConnectError(str(exc)) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpcore.RemoteProtocolError("the server closed the connection without a complete answer") from exc
    except (aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:  # a malformed or cut answer
        raise httpcore.RemoteProtocolError(str(exc)) from exc
    except aiohttp.InvalidURL as exc:
        raise httpcore.UnsupportedProtocol(str(exc)) from exc
    except (aiohttp.ClientConnectionError, aiohttp.ClientError, OSError) as exc:
        raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc


def pool_of(transport: Any) -> AiohttpPool:
    """The :class:`AiohttpPool` under one of :func:`connect_hub.http.transport`'s transports."""
    pool = transport._pool
    assert isinstance(pool, AiohttpPool)
    return pool
