"""Echo by content: the hub recognises its own write coming back by what the target keeps.

Two small contact systems run over real HTTP around an embedded hub: an address book that keeps
every field, and a CRM that behaves as many do: it keeps times in whole seconds, drops the
company (it has no such field) and stores phone numbers in its own format. Each sends a signed
webhook with the contact as it keeps it after every write, the hub's writes included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub import hookimpl
from connect_hub.canonical import Contact
from connect_hub.config import parse_config
from connect_hub.contracts import (
    ExportAction,
    ExportRequest,
    ExportResult,
    Incoming,
    Integration,
    RawEvent,
    Verdict,
    WebhookRequest,
    WebhookVerdict,
)
from connect_hub.embedded import running_hub
from connect_hub.manifest import DataType, Direction, Flow, Manifest, Setting
from connect_hub.plugins import Plugins
from connect_hub.runtime import Runtime
from connect_hub.simulator.server import bind, serving
from connect_hub.store.models import Delivery, Record
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import free_port, wait_for

SECRET = "contacts-webhook-secret"


class ContactSystem:
    """A remote contact store with a REST API that announces each write by a signed webhook."""

    def __init__(self, name: str, *, whole_seconds: bool, drops: tuple[str, ...], phone_format: bool):
        self.name, self.whole_seconds, self.drops, self.phone_format = name, whole_seconds, drops, phone_format
        self.contacts: dict[int, dict[str, Any]] = {}
        self.writes: list[tuple[str, dict[str, Any]]] = []
        self.hook_url = ""
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/contacts", self._create, methods=["POST"]),
            Route("/contacts", self._find, methods=["GET"]),
            Route("/contacts/{id:int}", self._update, methods=["PUT"]),
        ])  # fmt: skip

    def keep(self, contact_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Store fields as this system does, and announce the write."""
        now = datetime.now(UTC)
        with self._lock:
            kept = {**self.contacts.get(contact_id, {"id": contact_id}), **{k: v for k, v in fields.items() if k not in self.drops}}
            if self.phone_format and kept.get("phone"):
                kept["phone"] = "".join(c for c in kept["phone"] if c.isdigit() or c == "+")
            kept["updated_at"] = (now.replace(microsecond=0) if self.whole_seconds else now).isoformat()
            self.contacts[contact_id] = kept
        body = json.dumps(kept).encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        httpx.post(self.hook_url, content=body, headers={"x-signature": signature, "content-type": "application/json"})
        return kept

    def edit(self, contact_id: int, **fields: Any) -> None:
        """A person changes the contact in this system's own screen."""
        self.keep(contact_id, fields)

    async def _create(self, request: Request) -> JSONResponse:
        fields = await request.json()
        self.writes.append(("create", fields))
        return JSONResponse(await _in_thread(self.keep, len(self.contacts) + 1, fields), status_code=201)

    async def _update(self, request: Request) -> JSONResponse:
        fields = await request.json()
        self.writes.append(("update", fields))
        return JSONResponse(await _in_thread(self.keep, request.path_params["id"], fields))

    async def _find(self, request: Request) -> JSONResponse:
        email = request.query_params["email"].lower()
        return JSONResponse([c for c in self.contacts.values() if c.get("email", "").lower() == email])


async def _in_thread(function: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(function, *args)


def contact_from(body: dict[str, Any]) -> Contact:
    return Contact(
        email=body["email"], first_name=body.get("first_name", ""), last_name=body.get("last_name", ""),
        company=body.get("company", ""), phone=body.get("phone", ""), modified_at=datetime.fromisoformat(body["updated_at"]),
    )


class ContactsConnector:
    """A connector for such a system: contacts both ways, signed webhooks, answers as ``stored``."""

    def __init__(self, name: str, carries: tuple[str, ...] = ()):
        self.manifest = Manifest(
            name=name, title=name,
            flows=(Flow(data_type=DataType.CONTACTS, direction=Direction.IMPORT, carries=carries),
                   Flow(data_type=DataType.CONTACTS, direction=Direction.EXPORT)),
            settings=(Setting(name="url", description="the system's address"),),
        )  # fmt: skip

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return self.manifest

    @hookimpl
    def hub_webhook_verify(self, request: WebhookRequest) -> WebhookVerdict:
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, request.headers.get("x-signature", "")):
            return WebhookVerdict(Verdict.ACCEPT, topic="contact.saved")
        return WebhookVerdict(Verdict.REJECT, reason="bad signature")

    @hookimpl
    def hub_webhook_parse(self, event: RawEvent) -> list[Incoming]:
        body = json.loads(event.body)
        return [Incoming(contact_from(body), str(body["id"]))]

    @hookimpl
    async def hub_export(self, integration: Integration, request: ExportRequest) -> ExportResult:
        contact = request.obj
        assert isinstance(contact, Contact)
        fields = contact.model_dump(mode="json", include={"email", "first_name", "last_name", "company", "phone"})
        async with httpx.AsyncClient(base_url=str(integration.settings["url"])) as http:
            known = request.external_id
            if known is None:
                found = (await http.get("/contacts", params={"email": contact.email})).json()
                known = str(found[0]["id"]) if found else None
            if known is None:
                answer, action = await http.post("/contacts", json=fields), ExportAction.CREATED
            else:
                answer, action = await http.put(f"/contacts/{known}", json=fields), ExportAction.UPDATED
        kept = answer.json()
        return ExportResult(str(kept["id"]), action=action, stored=contact_from(kept))


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[tuple[Any, ContactSystem, ContactSystem]]:
    book = ContactSystem("book", whole_seconds=False, drops=(), phone_format=False)
    crm = ContactSystem("crm", whole_seconds=True, drops=("company",), phone_format=True)
    book_sock, book_url = bind("127.0.0.1", 0, "address book")
    crm_sock, crm_url = bind("127.0.0.1", 0, "crm")
    port = free_port()  # after both binds, so it cannot be one of theirs
    text = f"""
account: echo
store: sqlite://{tmp_path}/hub.db
service: {{host: 127.0.0.1, port: {port}, public_url: "http://127.0.0.1:{port}"}}
delivery: {{max_attempts: 3, backoff_base: 0.2, backoff_max: 1, lease: 5}}
sweeper: {{interval: 0.5, stale_after: 2}}
maintenance: {{at_start: false}}
integrations:
  book: {{connector: book, settings: {{url: "{book_url}"}}}}
  crm: {{connector: crm, settings: {{url: "{crm_url}"}}}}
"""
    plugins = Plugins.load(extra=[
        ("book", ContactsConnector("book")),
        ("crm", ContactsConnector("crm", carries=("email", "first_name", "last_name", "phone"))),
    ])  # fmt: skip
    runtime = Runtime(parse_config(text, file=str(tmp_path / "echo.yaml")), plugins, migrate=True)
    book.hook_url = f"http://127.0.0.1:{port}/webhooks/book"
    crm.hook_url = f"http://127.0.0.1:{port}/webhooks/crm"
    with serving(book.app, book_sock, name="address book"), serving(crm.app, crm_sock, name="crm"), running_hub(runtime, port=port) as hub:
        yield hub, book, crm


def state(hub: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str, str | None]]]:
    async def read() -> tuple[list[dict[str, Any]], list[tuple[str, str, str | None]]]:
        records = await Record.filter(account="echo", data_type="contacts").values("version", "data")
        deliveries = await Delivery.filter(account="echo").order_by("id").values_list("integration", "state", "action")
        return records, deliveries

    return hub.runtime.run(read())


def test_a_write_that_comes_back_reformatted_and_poorer_is_recognised_and_goes_nowhere(systems) -> None:
    hub, book, crm = systems
    book.edit(1, email="ann@example.test", first_name="Ann", company="ACME", phone="+31 20 555 0199")

    wait_for(lambda: crm.contacts, what="the contact in the CRM")
    wait_for(lambda: len(state(hub)[1]) == 1 and state(hub)[1][0][1] == "done", what="the export done")
    wait_for(lambda: len(hub.runtime.run(_events(hub))) == 2, what="the CRM's webhook stored")
    wait_for(lambda: all(e == "done" for e in hub.runtime.run(_events(hub))), what="both events imported")

    [record], deliveries = state(hub)
    assert crm.contacts[1]["phone"] == "+31205550199" and "company" not in crm.contacts[1]
    assert record["version"] == 1  # the CRM's copy was no news
    assert record["data"]["company"] == "ACME" and record["data"]["phone"] == "+31 20 555 0199"
    assert deliveries == [("crm", "done", "created")]  # nothing went back to the book
    assert book.writes == []


def test_a_change_made_in_the_crm_reaches_the_book_and_keeps_what_the_crm_cannot_hold(systems) -> None:
    hub, book, crm = systems
    book.edit(1, email="ann@example.test", first_name="Ann", company="ACME", phone="+31 20 555 0199")
    wait_for(lambda: len(hub.runtime.run(_events(hub))) == 2 and all(e == "done" for e in hub.runtime.run(_events(hub))), what="the first round trip")

    crm.edit(1, phone="+31 30 123 4567")  # in the same second, possibly: whole seconds there

    wait_for(lambda: book.writes, what="the change at the book")
    wait_for(lambda: len(hub.runtime.run(_events(hub))) == 4 and all(e == "done" for e in hub.runtime.run(_events(hub))), what="the book's echo imported")
    wait_for(lambda: all(d[1] == "done" for d in state(hub)[1]), what="the deliveries done")
    [(kind, fields)] = book.writes
    assert kind == "update" and fields["phone"] == "+31301234567" and fields["company"] == "ACME"
    [record], deliveries = state(hub)
    assert record["version"] == 2  # and the book's own echo of it was no news either
    assert deliveries == [("crm", "done", "created"), ("book", "done", "updated")]


async def _events(hub: Any) -> list[str]:
    from connect_hub.store.models import Event

    return list(await Event.filter(account="echo").order_by("id").values_list("state", flat=True))
