"""What the contract suite runs a connector with: the author's description of it, and the harness
that drives its hooks the way the hub does.

The author gives a :class:`ConnectorUnderTest`: the plugin, an integration's settings, and a
:class:`Remote` (the other side: a fake built on :mod:`connect_hub.simulator`, or a real
sandbox). The :class:`Harness` builds the integration exactly as the hub builds one from an
account file (typed settings included), starts it on an event loop of its own, runs a webhook
receiver at the integration's ``public_url`` so the remote's webhooks can be caught, and calls the
hooks through the same facade the hub uses.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connect_hub.canonical import Canonical
from connect_hub.contracts import (
    ExportRequest,
    ExportResult,
    Incoming,
    Integration,
    PollPage,
    RawEvent,
    Verdict,
    WebhookRequest,
)
from connect_hub.errors import PluginError
from connect_hub.manifest import DataType, Direction, Manifest
from connect_hub.simulator.faults import Fault
from connect_hub.simulator.server import bind, serving
from connect_hub.testing.integration import build_integration, connector_plugins
from connect_hub.testing.samples import Sample, default_sample

T = TypeVar("T")
INTEGRATION = "contract"
"""The name of the integration the suite builds."""
POLL_HEADERS = {"x-hub-source": "poll"}
"""The headers the hub stores a polled item with (so parse sees what it sees in the hub)."""


class Remote(Protocol):
    """The other side of the connector, as the contract suite needs to drive it."""

    def create(self, data_type: DataType, count: int) -> list[str]:
        """Make ``count`` new objects of ``data_type`` appear, as the system's own users would
        (so its webhooks fire), and return their ids in the system. Raise NotImplementedError
        for a data type the remote cannot make."""
        ...

    def count(self, data_type: DataType) -> int:
        """How many objects of ``data_type`` the system holds."""
        ...

    def add_fault(self, fault: Fault) -> None:
        """Misbehave as ``fault`` says on the next API requests (see :class:`Fault`)."""
        ...

    def clear_faults(self) -> None:
        """Behave again."""
        ...


@dataclass
class ConnectorUnderTest:
    """What a connector's ``connector_under_test`` fixture returns."""

    plugin: object
    """The module (or object) with the connector's ``@hookimpl`` functions."""
    settings: Mapping[str, Any]
    """An integration's ``settings`` as an account file gives them; secrets in clear here."""
    remote: Remote
    preset: str | None = None
    samples: Mapping[DataType, Callable[[int], Canonical | Sample]] = field(default_factory=dict)
    """Objects to export, per data type, by a sequence number (each call a new object); the
    defaults of :mod:`connect_hub.testing.samples` otherwise."""
    signature_header: str | None = None
    """The header that carries the webhook signature; found by its name (``signature``,
    ``hmac``) when left out."""
    timeout_after: float = 5.0
    """Seconds after which the connector gives up waiting for an answer, with these settings
    (the timeout check makes the remote slower than that)."""
    poll_items: int = 30
    """How many objects the poll checks create (the memory check creates four times as many
    more); make it more than one page."""
    webhook_wait: float = 10.0
    """Seconds the remote may take to send a webhook after a change."""


class Harness:
    """The integration built from a :class:`ConnectorUnderTest`, and its hooks."""

    def __init__(self, subject: ConnectorUnderTest):
        self.subject = subject
        self.remote = subject.remote
        try:
            self.plugins = connector_plugins(subject.plugin)
        except PluginError as exc:
            raise AssertionError(str(exc)) from None
        self.manifest: Manifest = next(iter(self.plugins.manifests.values()))
        self.received: list[WebhookRequest] = []
        self._lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self._stack: list[Any] = []
        self.url = ""
        self.integration: Integration | None = None

    # --- set-up --------------------------------------------------------------------------

    def start(self) -> None:
        receiving = self._receiver()
        self.url = receiving.__enter__()
        self._stack.append(receiving)
        self.integration = self.build(secret_key="contract-suite-secret-key")
        self.run(self.plugins.start(self.integration))

    def stop(self) -> None:
        try:
            if self.integration is not None:
                self.run(self.plugins.stop(self.integration))
        finally:
            for context in reversed(self._stack):
                context.__exit__(None, None, None)
            self.loop.close()

    def build(self, *, secret_key: str, settings: Mapping[str, Any] | None = None) -> Integration:
        """The integration as the hub builds it from an account file (settings read by type)."""
        given = self.subject.settings if settings is None else settings
        return build_integration(
            self.subject.plugin, given, name=INTEGRATION, account="contract-suite", preset=self.subject.preset,
            public_url=self.url, secret_key=secret_key, plugins=self.plugins,
        )

    def impostor(self) -> Integration:
        """The same integration with another hub secret and every secret setting changed."""
        settings = {
            name: (f"wrong-{value}" if self.manifest.setting(name) and self.manifest.setting(name).secret and isinstance(value, str) else value)  # type: ignore[union-attr]
            for name, value in self.subject.settings.items()
        }
        return self.build(secret_key="another-hub-entirely", settings=settings)

    @contextmanager
    def _receiver(self) -> Iterator[str]:
        async def receive(request: Request) -> Response:
            caught = WebhookRequest(headers={k.lower(): v for k, v in request.headers.items()}, body=await request.body(), query=dict(request.query_params))
            with self._lock:
                self.received.append(caught)
            return Response(status_code=202)

        app = Starlette(routes=[Route("/webhooks/{name}", receive, methods=["POST"])])
        sock, url = bind("127.0.0.1", 0, "contract suite's webhook receiver")
        with serving(app, sock, name="contract suite's webhook receiver"):
            yield url

    # --- what the manifest says -----------------------------------------------------------

    @property
    def flows(self) -> tuple[Any, ...]:
        assert self.integration is not None
        return self.integration.flows

    def data_types(self, direction: Direction) -> list[DataType]:
        return list(dict.fromkeys(f.data_type for f in self.flows if f.direction == direction))

    def polled(self) -> list[DataType]:
        return list(dict.fromkeys(f.data_type for f in self.flows if f.poll_every() is not None))

    def polled_and_created(self, count: int) -> Iterator[tuple[DataType, list[str]]]:
        """Each polled data type with ``count`` new objects the remote made of it; a test that
        could check none (the remote creates no polled type) is skipped saying so, never passed."""
        checked = []
        for data_type in self.polled():
            try:
                created = self.remote.create(data_type, count)
            except NotImplementedError:
                continue
            checked.append(data_type)
            yield data_type, created
        if not checked:
            pytest.skip(f"the remote creates none of the polled data types ({', '.join(self.polled()) or 'none'}): nothing to poll")

    def implements(self, hook: str) -> bool:
        return self.plugins.implements(self.manifest.name, hook)

    def secrets(self) -> list[str]:
        assert self.integration is not None
        values = [str(v) for s in self.manifest.settings if s.secret and (v := self.integration.settings.get(s.name))]
        return values + [self.integration.secret_key]

    # --- calling the hooks ----------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def sample(self, data_type: DataType, number: int) -> Sample:
        factory = self.subject.samples.get(data_type)
        made = factory(number) if factory is not None else default_sample(data_type, number)
        return made if isinstance(made, Sample) else Sample(made)

    def export(self, sample: Sample, *, external_id: str | None = None, version: int = 1) -> ExportResult:
        assert self.integration is not None
        request = ExportRequest(
            data_type=sample.obj.data_type, record_id=sample.record_id, version=version, obj=sample.obj,
            external_id=external_id, last_export_hash=None, related=sample.related,
        )
        return self.run(self.plugins.export(self.integration, request))

    def verify(self, request: WebhookRequest, integration: Integration | None = None) -> Any:
        target = integration or self.integration
        assert target is not None
        return self.plugins.verify_webhook(target, request)

    def parse(self, request: WebhookRequest, topic: str) -> list[Incoming]:
        return self.parse_event(self.event(request.headers, request.body, topic))

    def parse_event(self, event: RawEvent) -> list[Incoming]:
        assert self.integration is not None
        return self.run(self.plugins.parse_event(self.integration, event))

    def event(self, headers: Mapping[str, str], body: bytes, topic: str) -> RawEvent:
        return RawEvent(id=1, integration=INTEGRATION, topic=topic, headers=dict(headers), body=body, received_at=datetime.now(UTC))

    def poll_pages(self, data_type: DataType, cursor: str | None) -> Any:
        assert self.integration is not None
        pages = self.plugins.poll(self.integration, data_type, cursor)
        if pages is None:
            raise AssertionError(f"hub_poll returned nothing for {data_type}, which the manifest polls")
        return pages

    def poll_all(self, data_type: DataType, cursor: str | None = None, *, keep: bool = True) -> tuple[list[PollPage], str | None]:
        """Every page of one poll (or none of them, with ``keep`` False) and the last cursor."""

        async def go() -> tuple[list[PollPage], str | None]:
            kept, position = [], cursor
            async for page in self.poll_pages(data_type, cursor):
                position = page.cursor
                if keep:
                    kept.append(page)
            return kept, position

        return self.run(go())

    def incoming_of(self, pages: list[PollPage]) -> list[Incoming]:
        return [i for page in pages for item in page.items for i in self.parse_event(self.event(POLL_HEADERS, item.body, item.topic))]

    # --- webhooks coming back -------------------------------------------------------------

    def caught_since(self, index: int) -> list[WebhookRequest]:
        with self._lock:
            return self.received[index:]

    def mark(self) -> int:
        with self._lock:
            return len(self.received)

    def genuine_webhooks(self, since: int, *, timeout: float | None = None, until: Callable[[list[tuple[WebhookRequest, str]]], bool] | None = None) -> list[tuple[WebhookRequest, str]]:
        """The webhooks caught since ``since`` that verify (with their topic), waiting up to
        ``timeout`` for at least one (or for ``until`` to hold)."""
        deadline = time.monotonic() + (self.subject.webhook_wait if timeout is None else timeout)
        while True:
            genuine = []
            for request in self.caught_since(since):
                verdict = self.verify(request)
                if verdict is not None and verdict.verdict == Verdict.ACCEPT:
                    genuine.append((request, verdict.topic))
            if (until(genuine) if until else genuine) or time.monotonic() > deadline:
                return genuine
            time.sleep(0.1)

    def a_genuine_webhook(self) -> tuple[WebhookRequest, str, DataType]:
        """A signed webhook the remote sent after a change it was asked to make."""
        tried = []
        for data_type in self.data_types(Direction.IMPORT):
            since = self.mark()
            try:
                self.remote.create(data_type, 1)
            except NotImplementedError:
                tried.append(f"{data_type} (the remote cannot create it)")
                continue
            caught = self.genuine_webhooks(since)
            if caught:
                request, topic = caught[0]
                return request, topic, data_type
            tried.append(f"{data_type} (no webhook that verifies reached {self.url}/webhooks/{INTEGRATION})")
        raise AssertionError(
            "the remote sent no genuine webhook after a change: " + "; ".join(tried)
            + ". Onboarding must register webhooks at integration.public_url + '/webhooks/' + integration.name."
        )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
