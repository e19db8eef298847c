"""Reading request bodies before authentication: within a size limit, within a shared budget.

A webhook's signature covers its whole body, so the body is read before anyone knows who sent
it. :func:`read_limited` makes that cheap to abuse no more than the limit allows:

- a ``Content-Length`` above the limit is refused with 413 before a byte is read;
- the body is read in chunks and refused with 413 as soon as it passes the limit (a chunked
  body, or one longer than it said);
- every body being read holds its share of one :class:`BodyBudget` for the process (what it
  said it would send, or the whole limit when it said nothing, twice over for the copy made at
  the end), so many large posts at once wait for each other instead of adding up; one that waits
  too long gets 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect, Request


class BodyRefused(Exception):
    """The body is not read: ``status`` and ``message`` are the answer to give."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class BodyBudget:
    """Bytes that bodies being read may hold at once in this process.

    Used from the service's one event loop only, so it needs no lock: taking a share when there
    is room costs no await (the webhook route is the hot path); only a body that finds the
    budget full waits, for a share to be given back.
    """

    def __init__(self, total: int, *, wait: float = 30.0):
        self.total, self.wait = total, wait
        self.held = 0
        self._waiting: list[asyncio.Future[None]] = []

    @contextlib.asynccontextmanager
    async def share(self, size: int) -> AsyncIterator[None]:
        """Hold ``size`` bytes of the budget for the block; BodyRefused(503) after ``wait`` s."""
        size = min(size, self.total)
        if self.held + size > self.total:
            await self._room_for(size)
        self.held += size
        try:
            yield
        finally:
            self.held -= size
            for waiter in self._waiting:
                if not waiter.done():
                    waiter.set_result(None)

    async def _room_for(self, size: int) -> None:
        deadline = asyncio.get_running_loop().time() + self.wait
        while self.held + size > self.total:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await asyncio.wait_for(waiter, max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:
                raise BodyRefused(503, "too many large requests at once; retry in a moment", retry_after=2) from None
            finally:
                self._waiting.remove(waiter)


async def read_limited(request: Request, limit: int, budget: BodyBudget) -> bytes:
    """The request's body, at most ``limit`` bytes; raises BodyRefused (400, 413 or 503)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyRefused(400, "Content-Length must be a number of bytes")
        if int(declared) > limit:
            raise BodyRefused(413, f"the body is larger than {_size(limit)}")
    expected = int(declared) if declared is not None else limit
    async with budget.share(2 * expected):
        buffer = bytearray()
        try:
            async for chunk in request.stream():
                if len(buffer) + len(chunk) > min(limit, expected):
                    raise BodyRefused(413, f"the body is larger than {_size(limit)}" if len(buffer) + len(chunk) > limit
                                      else "the body is longer than its Content-Length")
                buffer += chunk
        except ClientDisconnect:
            raise BodyRefused(400, "the client went away before sending the whole body") from None
        return bytes(buffer)


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
