"""A fake MiniCRM: its ``/v1`` API on a local server, with faults and signed webhooks.

Built on :mod:`connect_hub.simulator`: ``running_app`` serves it, a ``FaultInjector`` in front
of ``/v1/`` misbehaves on request, a ``WebhookSender`` signs and delivers contact changes. It is
the tests' remote side (the contract suite's ``Remote``) and the simulator ``connect-hub serve
--simulators`` starts. Like MiniCRM, its clock has whole seconds.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from connect_hub.contracts import Integration
from connect_hub.manifest import DataType
from connect_hub.simulator import (
    Fault,
    FaultInjector,
    FaultQueue,
    WebhookSender,
    local_port,
    running_app,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connect_hub_minicrm.webhooks import envelope, signature

Json = dict[str, Any]


class FakeMiniCrm:
    """What the fake holds, how its users change it, and its API."""

    title = "MiniCRM simulator"

    def __init__(self, api_key: str):
        self.api_key = api_key
        self.url = ""
        self.contacts: dict[str, Json] = {}
        self.activities: dict[str, Json] = {}
        self.faults: FaultQueue[Fault] = FaultQueue()
        self.hooks = WebhookSender(sign=lambda secret, body: {"X-MiniCRM-Signature": signature(secret, body)}, event_header="X-MiniCRM-Event", retry_delays=(0.2, 1.0))
        self._lock = threading.Lock()

    # --- as MiniCRM's users change it --------------------------------------------------------

    def save_contact(self, fields: Json, contact_id: str | None = None) -> Json:
        with self._lock:
            before = self.contacts.get(contact_id or "", {})
            record = {**before, **fields, "id": contact_id or f"c_{uuid.uuid4().hex[:10]}"}
            if {k: v for k, v in record.items() if k != "updated"} == {k: v for k, v in before.items() if k != "updated"}:
                return dict(before)
            record["updated"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.contacts[record["id"]] = record
        self.hooks.emit("contact.updated" if before else "contact.created", envelope("contact.updated" if before else "contact.created", record))
        return dict(record)

    def create(self, data_type: DataType, count: int) -> list[str]:
        if data_type != DataType.CONTACTS:
            raise NotImplementedError(data_type)
        tag = uuid.uuid4().hex[:6]
        made = [self.save_contact({"email": f"lead-{tag}-{n}@example.test", "name": {"first": "Lin", "last": f"Lead{n}"}, "organisation": "", "phone": ""}) for n in range(count)]
        return [c["id"] for c in made]

    def count(self, data_type: DataType) -> int:
        return len(self.contacts) if data_type == DataType.CONTACTS else len(self.activities)

    def add_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """As new, between two tests that share this fake: no contacts or activities, no faults,
        no webhook subscriptions (the last test's receiver is gone) and nothing left to send."""
        self.faults.clear()
        self.hooks.reset()
        with self._lock:
            self.contacts.clear()
            self.activities.clear()

    def onboarded(self) -> bool:
        return bool(self.hooks.subscriptions())

    # --- the API ------------------------------------------------------------------------------

    def app(self) -> Any:
        def keyed(handler: Any) -> Any:
            async def endpoint(request: Request) -> Response:
                if request.headers.get("x-api-key") != self.api_key:
                    return _error(401, "unknown api key")
                return await handler(request)

            return endpoint

        routes = [
            Route("/v1/contacts", keyed(self._page), methods=["GET"]),
            Route("/v1/contacts", keyed(self._create), methods=["POST"]),
            Route("/v1/contacts/lookup", keyed(self._lookup), methods=["GET"]),
            Route("/v1/contacts/{id}", keyed(self._get), methods=["GET"]),
            Route("/v1/contacts/{id}", keyed(self._patch), methods=["PATCH"]),
            Route("/v1/activities/{key}", keyed(self._get_activity), methods=["GET"]),
            Route("/v1/activities/{key}", keyed(self._put_activity), methods=["PUT"]),
            Route("/v1/hooks", keyed(self._hooks), methods=["GET"]),
            Route("/v1/hooks", keyed(self._add_hook), methods=["POST"]),
        ]
        return FaultInjector(Starlette(routes=routes), self.faults, path_prefix="/v1/")

    async def _page(self, request: Request) -> Response:
        """Contacts updated at or after ``updated_since``, oldest first, ``limit`` a page; the
        page token carries where the page before ended."""
        query = request.query_params
        try:
            limit = min(int(query.get("limit", 50)), 200)
            since, after = json.loads(base64.urlsafe_b64decode(query["page_token"])) if "page_token" in query else (query.get("updated_since", ""), "")
        except (ValueError, KeyError):
            return _error(400, "bad page_token or limit")
        since = since.replace("+00:00", "Z")
        with self._lock:
            ordered = sorted(self.contacts.values(), key=lambda c: (c["updated"], c["id"]))
        rest = [c for c in ordered if (c["updated"], c["id"]) > (since, after)] if after else [c for c in ordered if c["updated"] >= since]
        page = rest[:limit]
        token = base64.urlsafe_b64encode(json.dumps([page[-1]["updated"], page[-1]["id"]]).encode()).decode() if len(rest) > limit else None
        return JSONResponse({"data": page, "next_page_token": token})

    async def _lookup(self, request: Request) -> Response:
        email = request.query_params.get("email", "").lower()
        found = next((c for c in self.contacts.values() if c["email"].lower() == email), None)
        return JSONResponse(found) if found else _error(404, "no contact with this e-mail")

    async def _get(self, request: Request) -> Response:
        found = self.contacts.get(request.path_params["id"])
        return JSONResponse(found) if found else _error(404, "no such contact")

    async def _create(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or "@" not in str(body.get("email", "")):
            return _error(422, "a contact needs an e-mail address")
        if any(c["email"].lower() == body["email"].lower() for c in self.contacts.values()):
            return _error(409, "a contact with this e-mail address exists")
        return JSONResponse(self.save_contact(_contact_fields(body)), status_code=201)

    async def _patch(self, request: Request) -> Response:
        if request.path_params["id"] not in self.contacts:
            return _error(404, "no such contact")
        body = await _json(request)
        if not isinstance(body, dict):
            return _error(422, "a contact is a JSON object")
        return JSONResponse(self.save_contact(_contact_fields(body), request.path_params["id"]))

    async def _get_activity(self, request: Request) -> Response:
        found = self.activities.get(request.path_params["key"])
        return JSONResponse(found) if found else _error(404, "no such activity")

    async def _put_activity(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or body.get("contact_id") not in self.contacts:
            return _error(422, "an activity needs the id of an existing contact")
        key = request.path_params["key"]
        with self._lock:
            self.activities[key] = {**body, "key": key}
        return JSONResponse(self.activities[key])

    async def _hooks(self, request: Request) -> Response:
        return JSONResponse([{"target": target} for target in self.hooks.subscriptions()])

    async def _add_hook(self, request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict) or not body.get("target") or not body.get("secret"):
            return _error(422, "a hook is {target, secret}")
        self.hooks.subscribe(str(body["target"]), str(body["secret"]))
        return JSONResponse({"target": body["target"]}, status_code=201)


def _contact_fields(body: Json) -> Json:
    name = body.get("name") if isinstance(body.get("name"), dict) else {}
    return {
        "email": str(body.get("email") or ""),
        "name": {"first": str(name.get("first") or ""), "last": str(name.get("last") or "")},
        "organisation": str(body.get("organisation") or ""),
        "phone": str(body.get("phone") or ""),
    }


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


@contextmanager
def running(*, port: int = 0, api_key: str = "fake-key") -> Iterator[FakeMiniCrm]:
    fake = FakeMiniCrm(api_key)
    try:
        with running_app(fake.app(), port=port, name="MiniCRM simulator") as url:
            fake.url = url
            yield fake
    finally:
        fake.hooks.close()


def simulate(integration: Integration) -> Any:
    """The fake for an integration: on its ``url``, taking its ``api_key``."""
    return running(port=local_port(integration, "url"), api_key=str(integration.settings["api_key"]))
