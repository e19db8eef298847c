"""Faults a simulator can be told to commit: error statuses, 429 with Retry-After, slow answers
(timeouts), garbage bodies, for its next requests.

A :class:`FaultQueue` holds them, safe to use from any thread (the test's and the server's);
:class:`FaultInjector` is ASGI middleware that applies them to any app::

    faults: FaultQueue[Fault] = FaultQueue()
    app = FaultInjector(create_app(state), faults, path_prefix="/api/")
    faults.add(Fault.rate_limited(retry_after=7))   # the next API request answers 429
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Protocol, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

UNTIL_CLEARED = -1


class QueuedFault(Protocol):
    count: int
    """How many more matching requests it applies to; -1 until the queue is cleared."""

    def matches(self, method: str, path: str) -> bool: ...


F = TypeVar("F", bound=QueuedFault)


class FaultQueue(list[F]):
    """Misbehaviours queued for a simulator's next requests, safe to use from any thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, fault: F) -> None:
        with self._lock:
            self.append(fault)

    def clear(self) -> None:
        with self._lock:
            super().clear()

    def take(self, method: str, path: str) -> F | None:
        """The first queued fault matching the request, counted down (dropped at zero)."""
        with self._lock:
            for fault in self:
                if fault.matches(method, path):
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self.remove(fault)
                    return fault
        return None


GARBAGE = "<html><body><h1>502 Bad Gateway</h1></body></html"
"""What a misconfigured proxy answers instead of JSON (truncated on purpose)."""


@dataclass
class Fault:
    """A misbehaviour for the next ``count`` requests whose path starts with ``path_prefix``
    (and whose method is ``method``, when given).

    ``delay`` waits before answering (a client with a shorter timeout gives up). Then ``status``
    answers that status with a small JSON error (and ``Retry-After`` when ``retry_after`` is
    set), or ``body`` answers that raw text (with ``status``, else 200) instead of handling the
    request; with neither, the request is handled normally after the delay. ``count`` -1 repeats
    until the queue is cleared.
    """

    status: int | None = None
    retry_after: float | str | None = None
    delay: float = 0.0
    body: str | None = None
    count: int = 1
    path_prefix: str = "/"
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (self.method is None or self.method.upper() == method.upper())

    @property
    def answers(self) -> bool:
        """Whether it answers in place of the app (rather than only delaying the request)."""
        return self.status is not None or self.body is not None

    # the usual misbehaviours of a remote API, by name

    @classmethod
    def server_error(cls, status: int = 500, *, count: int = UNTIL_CLEARED, path_prefix: str = "/") -> Fault:
        """5xx: the remote side broke; a connector retries."""
        return cls(status=status, count=count, path_prefix=path_prefix)

    @classmethod
    def rate_limited(cls, retry_after: float = 7, *, count: int = UNTIL_CLEARED, path_prefix: str = "/") -> Fault:
        """429 with ``Retry-After``; a connector waits that long before trying again."""
        return cls(status=429, retry_after=retry_after, count=count, path_prefix=path_prefix)

    @classmethod
    def timeout(cls, seconds: float, *, count: int = UNTIL_CLEARED, path_prefix: str = "/") -> Fault:
        """An answer that takes ``seconds`` (make it longer than the connector's timeout); the
        request is then handled as usual, as a slow server would."""
        return cls(delay=seconds, count=count, path_prefix=path_prefix)

    @classmethod
    def garbage(cls, *, count: int = UNTIL_CLEARED, path_prefix: str = "/") -> Fault:
        """A 200 whose body is no JSON at all."""
        return cls(body=GARBAGE, count=count, path_prefix=path_prefix)

    @classmethod
    def rejected(cls, status: int = 422, *, count: int = UNTIL_CLEARED, path_prefix: str = "/") -> Fault:
        """A 4xx refusal: retrying the same request will not help."""
        return cls(status=status, count=count, path_prefix=path_prefix)


class FaultInjector:
    """ASGI middleware: requests under ``path_prefix`` first meet the queued faults."""

    def __init__(self, app: ASGIApp, faults: FaultQueue[Fault], *, path_prefix: str = "/"):
        self.app = app
        self.faults = faults
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"])
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is None or not fault.answers:
            await self.app(scope, receive, send)
            return
        await _answer(fault, send)


async def _answer(fault: Fault, send: Send) -> None:
    if fault.body is not None:
        body, content_type = fault.body.encode(), b"text/html"
    else:
        body = json.dumps({"error": {"code": "simulated_fault", "message": f"fault injected by the simulator ({fault.status})"}}).encode()
        content_type = b"application/json"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if fault.retry_after is not None:
        headers.append((b"retry-after", str(fault.retry_after).encode()))
    await send({"type": "http.response.start", "status": fault.status or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
