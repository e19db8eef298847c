"""The admin API under ``/api/v1``, behind a bearer token: read the store, replay failures.

Every route is declared as an :class:`~connect_hub.service.api_spec.Operation` (parameters,
body, answers) next to its handler; :func:`operation_routes` turns the declarations into
Starlette routes whose wrapper checks the token, reads the parameters and answers every bad
value with a 4xx and a sentence, so a handler only ever sees values that fit.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.exceptions import DBConnectionError, OperationalError

from connect_hub.broker import QUEUE
from connect_hub.errors import HubError
from connect_hub.manifest import DataType
from connect_hub.pipeline import replay
from connect_hub.pipeline.decisions import decision_json
from connect_hub.rules.dry_run import STAGES, dry_run_record, dry_run_sample
from connect_hub.runtime import Runtime
from connect_hub.service.api_spec import (
    ERROR,
    INT64_MAX,
    PAGE,
    Answer,
    Operation,
    Param,
    ParamError,
    choice,
    ident,
    nullable,
    obj,
    page_of,
    text,
)
from connect_hub.status import account_status, queue_depth
from connect_hub.store.models import (
    Delivery,
    DeliveryState,
    Event,
    EventState,
    Notice,
    Record,
    RuleDecision,
)

log = logging.getLogger(__name__)
Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]
DATA_TYPES = tuple(d.value for d in DataType)
MAX_RULES_TEST_BODY = 1024 * 1024
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
"""What an API route takes in, to answer a method its path does not have with its own 405."""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


# --- what the API answers, and the schema of each ------------------------------------------

RECORD = obj({
    "id": {"type": "integer"}, "data_type": {"type": "string"}, "key": {"type": "string"}, "version": {"type": "integer"},
    "hash": {"type": "string"}, "source": {"type": "string"}, "source_modified_at": nullable("string", format="date-time"),
    "updated_at": nullable("string", format="date-time"), "data": {"type": "object"},
})


def record_json(r: Record) -> dict[str, Any]:
    return {
        "id": r.id, "data_type": r.data_type, "key": r.key, "version": r.version, "hash": r.hash,
        "source": r.source, "source_modified_at": _iso(r.source_modified_at), "updated_at": _iso(r.updated_at), "data": r.data,
    }


EVENT = obj({
    "id": {"type": "integer"}, "integration": {"type": "string"}, "topic": {"type": "string"},
    "state": {"type": "string", "enum": [s.value for s in EventState]}, "attempts": {"type": "integer"},
    "last_error": nullable("string"), "received_at": nullable("string", format="date-time"),
    "processed_at": nullable("string", format="date-time"),
})


def event_json(e: Event) -> dict[str, Any]:
    return {
        "id": e.id, "integration": e.integration, "topic": e.topic, "state": e.state, "attempts": e.attempts,
        "last_error": e.last_error, "received_at": _iso(e.received_at), "processed_at": _iso(e.processed_at),
    }


DELIVERY = obj({
    "id": {"type": "integer"}, "integration": {"type": "string"}, "data_type": {"type": "string"},
    "record_id": {"type": "integer"}, "version": {"type": "integer"},
    "state": {"type": "string", "enum": [s.value for s in DeliveryState]}, "action": nullable("string"),
    "attempts": {"type": "integer"}, "last_error": nullable("string"), "reason": nullable("string"),
    "blocked_by": nullable("string"), "external_id": nullable("string"), "event_id": nullable("integer"),
    "next_attempt_at": nullable("string", format="date-time"), "created_at": nullable("string", format="date-time"),
    "updated_at": nullable("string", format="date-time"),
})


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id, "integration": d.integration, "data_type": d.data_type, "record_id": d.record_id,
        "version": d.version, "state": d.state, "action": d.action, "attempts": d.attempts, "last_error": d.last_error,
        "reason": d.reason, "blocked_by": d.blocked_by, "external_id": d.external_id, "event_id": d.event_id,
        "next_attempt_at": _iso(d.next_attempt_at), "created_at": _iso(d.created_at), "updated_at": _iso(d.updated_at),
    }


NOTICE = obj({
    "id": {"type": "integer"}, "integration": {"type": "string"}, "kind": {"type": "string"}, "message": {"type": "string"},
    "created_at": nullable("string", format="date-time"),
})


def notice_json(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "integration": n.integration, "kind": n.kind, "message": n.message, "created_at": _iso(n.created_at)}


DECISION = obj({
    "id": {"type": "integer"}, "stage": {"type": "string"}, "integration": {"type": "string"}, "data_type": {"type": "string"},
    "event_id": nullable("integer"), "delivery_id": nullable("integer"), "record_id": nullable("integer"),
    "matched": {"type": "array"}, "changes": {"type": "array"}, "notes": {"type": "array"}, "blocked_by": nullable("string"),
    "effects": {"type": "array"}, "created_at": nullable("string", format="date-time"),
})
INTEGRATION = obj({
    "name": {"type": "string"}, "connector": {"type": "string"}, "preset": nullable("string"),
    "flows": {"type": "array", "items": {"type": "object"}},
    "settings": {"type": "object", "description": "secret settings show as ***"},
    "manifest": obj({"title": {"type": "string"}, "presets": {"type": "array", "items": {"type": "string"}}}),
})
STATUS = obj({
    "account": {"type": "string"},
    "queue_depth": nullable("integer", description="messages waiting in the broker; null when it cannot tell"),
    "integrations": {"type": "object", "additionalProperties": {
        "type": "object", "required": ["deliveries", "events"],
        "properties": {
            "connector": {"type": "string"}, "preset": nullable("string"),
            "deliveries": {"type": "object", "additionalProperties": {"type": "integer"}},
            "events": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }},
    "store_warnings": {"type": "array", "items": {"type": "string"},
                       "description": "what the store's server leaves undone (PostgreSQL without autovacuum)"},
})
REPLAYED = obj({"replayed": {"type": "array", "items": {"type": "integer"}}})
RULES_TEST_BODY = {
    "type": "object",
    "description": 'a stored record ({"record_id": N}) or a sample ({"data_type": ..., "object": {...}})',
    "oneOf": [{"required": ["record_id"]}, {"required": ["object"]}],
    "properties": {
        "record_id": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
        "data_type": {"type": "string", "enum": list(DATA_TYPES)},
        "object": {"type": "object", "description": "a canonical object of data_type (orders when left out)"},
        "integration": {"type": "string", "description": "only this integration's rules"},
        "stage": {"type": "string", "enum": list(STAGES)},
    },
    "additionalProperties": False,
}
RULES_REPORT = {"type": "object", "description": "per stage and integration: rules matched, changes, effects, blocks"}

BAD = Answer(400, "a parameter or the body does not fit; the error says which and why", ERROR)
NOT_FOUND = Answer(404, "no such row in this account", ERROR)
UNAVAILABLE = Answer(503, "the store could not be reached; try again", ERROR)


def _listing(path: str, name: str, item: dict[str, Any], filters: tuple[Param, ...]) -> Operation:
    return Operation(
        "GET", path, f"list_{name}", f"List {name}, oldest first, a page at a time",
        (Answer(200, f"a page of {name}", page_of(item)), BAD, UNAVAILABLE), params=(*PAGE, *filters), tags=(name,),
    )


def _detail(path: str, name: str, item: dict[str, Any]) -> Operation:
    return Operation(
        "GET", path, f"get_{name}", f"One {name} by id",
        (Answer(200, f"the {name}", item), BAD, NOT_FOUND, UNAVAILABLE), params=(ident("id", f"the {name}'s id", "path"),),
        tags=(f"{name}s",),
    )


def _replay(path: str, name: str, what: str) -> Operation:
    return Operation(
        "POST", path, f"replay_{name}", f"Put one {what} back to pending with fresh tries",
        (Answer(200, "replayed", REPLAYED), BAD, Answer(404, f"no {what} with that id", ERROR), UNAVAILABLE),
        params=(ident("id", f"the {name}'s id", "path"),), tags=(f"{name}s",),
    )


INTEGRATION_FILTER = text("integration", "an integration's name", 100)
OPERATIONS = {
    "integrations": Operation(
        "GET", "/api/v1/integrations", "list_integrations", "The account's integrations, their flows and settings (secrets hidden)",
        (Answer(200, "the integrations", obj({"items": {"type": "array", "items": INTEGRATION}})),), tags=("account",),
    ),
    "status": Operation(
        "GET", "/api/v1/status", "get_status", "Per integration: events and deliveries by state, and the queue depth",
        (Answer(200, "the account's state", STATUS), UNAVAILABLE), tags=("account",),
    ),
    "rules_test": Operation(
        "POST", "/api/v1/rules/test", "test_rules", "Dry run of the rules on a stored record or a sample; writes nothing",
        (Answer(200, "what the rules would do", RULES_REPORT), BAD, Answer(413, "the body is larger than 1 MB", ERROR), UNAVAILABLE),
        body=RULES_TEST_BODY, tags=("rules",),
    ),
    "decisions": _listing("/api/v1/decisions", "decisions", DECISION, (
        choice("stage", "import or export", STAGES), INTEGRATION_FILTER, choice("data_type", "a data type", DATA_TYPES),
        text("blocked_by", "the name of the rule that blocked", 200), ident("record_id", "the record touched"),
        ident("event_id", "the event decided on"), ident("delivery_id", "the delivery decided on"),
    )),
    "decision": _detail("/api/v1/decisions/{id}", "decision", DECISION),
    "records": _listing("/api/v1/records", "records", RECORD, (
        choice("data_type", "a data type", DATA_TYPES), text("key", "the match key, e.g. sku:X or order:shop-22", 300),
    )),
    "record": _detail("/api/v1/records/{id}", "record", RECORD),
    "events": _listing("/api/v1/events", "events", EVENT, (
        choice("state", "the event's state", tuple(s.value for s in EventState)), INTEGRATION_FILTER,
        text("topic", "the webhook topic or poll it came by, e.g. order.updated", 100),
    )),
    "event": _detail("/api/v1/events/{id}", "event", EVENT),
    "replay_event": _replay("/api/v1/events/{id}/replay", "event", "failed event"),
    "notices": _listing("/api/v1/notices", "notices", NOTICE, (INTEGRATION_FILTER, text("kind", "the kind of notice", 60))),
    "deliveries": _listing("/api/v1/deliveries", "deliveries", DELIVERY, (
        choice("state", "the delivery's state", tuple(s.value for s in DeliveryState)), INTEGRATION_FILTER,
        choice("data_type", "a data type", DATA_TYPES),
    )),
    "replay_failed": Operation(
        "POST", "/api/v1/deliveries/replay-failed", "replay_failed_deliveries", "Put every failed and dead delivery back to pending",
        (Answer(200, "the deliveries replayed", REPLAYED), UNAVAILABLE), tags=("deliveries",),
    ),
    "delivery": _detail("/api/v1/deliveries/{id}", "delivery", DELIVERY),
    "replay_delivery": _replay("/api/v1/deliveries/{id}/replay", "delivery", "failed or dead delivery"),
}


# --- from declarations to routes -----------------------------------------------------------

def operation_routes(operations: Sequence[tuple[Operation, Handler]], *, token: str | None) -> list[Route]:
    """One Starlette route per path (in the order given) that dispatches on the method.

    A method the path does not have gets 405 with ``Allow`` (so ``GET .../replay-failed`` is
    405, not taken for a delivery id); the token is checked before anything is read; the
    parameters are read through the declaration; a store that cannot be reached is 503.
    """
    by_path: dict[str, dict[str, tuple[Operation, Handler]]] = {}
    for operation, handler in operations:
        by_path.setdefault(operation.path, {})[operation.method] = (operation, handler)
    return [Route(path, _dispatcher(methods, token), methods=ANY_METHOD) for path, methods in by_path.items()]


def _dispatcher(methods: dict[str, tuple[Operation, Handler]], token: str | None) -> Callable[[Request], Awaitable[Response]]:
    allowed = sorted({*methods, *(["HEAD"] if "GET" in methods else [])})

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        if method not in methods:
            return error(f"{request.method} is not allowed here; use {' or '.join(m for m in allowed if m != 'HEAD')}",
                         405, {"allow": ", ".join(allowed)})
        operation, handler = methods[method]
        if operation.admin and (refused := _denied(request, token)) is not None:
            return refused
        try:
            params = operation.read_params(request.path_params, request.query_params.multi_items())
        except ParamError as exc:
            return error(str(exc), 400)
        try:
            return await handler(request, params)
        except (DBConnectionError, OperationalError, ConnectionError, OSError):
            log.exception("the store could not answer %s %s", request.method, request.url.path)
            return error("the store could not be reached; try again", 503)

    return endpoint


def _denied(request: Request, token: str | None) -> Response | None:
    if token is None:
        return error("the admin API is off: set admin_token in the account file", 403)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return error("a valid bearer token is required", 401)
    return None


# --- the handlers -------------------------------------------------------------------------

def admin_operations(runtime: Runtime) -> list[tuple[Operation, Handler]]:
    """Each admin operation with its handler, in routing order (literal paths before ``{id}``)."""
    account = runtime.account

    def listing(model: Any, to_json: Callable[[Any], dict[str, Any]], operation: Operation) -> Handler:
        filters = [p.name for p in operation.params if p not in PAGE]

        async def handler(request: Request, params: dict[str, Any]) -> Response:
            query = model.filter(account=account.name, id__gt=params["after"])
            for name in filters:
                if name in params:
                    query = query.filter(**{name: params[name]})
            rows = await query.order_by("id").limit(params["limit"])
            return JSONResponse({"items": [to_json(r) for r in rows], "next_after": rows[-1].id if rows else None})

        return handler

    def detail(model: Any, to_json: Callable[[Any], dict[str, Any]], name: str) -> Handler:
        async def handler(request: Request, params: dict[str, Any]) -> Response:
            row = await model.get_or_none(id=params["id"], account=account.name)
            if row is None:
                return error(f"no {name} {params['id']} in account {account.name!r}", 404)
            return JSONResponse(to_json(row))

        return handler

    async def integrations(request: Request, params: dict[str, Any]) -> Response:
        items = []
        for integration in account.integrations.values():
            manifest = integration.manifest
            items.append({
                "name": integration.name, "connector": integration.connector, "preset": integration.preset,
                "flows": [f.model_dump(mode="json") for f in integration.flows],
                "settings": {
                    s.name: ("***" if s.secret else integration.settings.get(s.name)) for s in manifest.settings
                },
                "manifest": {"title": manifest.title, "presets": [p.name for p in manifest.presets]},
            })
        return JSONResponse({"items": items})

    async def status(request: Request, params: dict[str, Any]) -> Response:
        return JSONResponse(await account_status(account, queue_depth(runtime.broker, QUEUE)))

    async def replay_one(request: Request, params: dict[str, Any]) -> Response:
        if not await replay.replay_delivery(account.name, params["id"]):
            return error(f"no failed or dead delivery {params['id']} in account {account.name!r}", 404)
        runtime.actors.send_export(params["id"])
        return JSONResponse({"replayed": [params["id"]]})

    async def replay_all(request: Request, params: dict[str, Any]) -> Response:
        ids = await replay.replay_failed_deliveries(account.name)
        for delivery_id in ids:
            runtime.actors.send_export(delivery_id)
        return JSONResponse({"replayed": ids})

    async def replay_event(request: Request, params: dict[str, Any]) -> Response:
        if not await replay.replay_event(account.name, params["id"]):
            return error(f"no failed event {params['id']} in account {account.name!r}", 404)
        runtime.actors.send_import(params["id"])
        return JSONResponse({"replayed": [params["id"]]})

    async def rules_test(request: Request, params: dict[str, Any]) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_RULES_TEST_BODY:
            return error("the body is larger than 1 MB", 413)
        raw = await request.body()
        if len(raw) > MAX_RULES_TEST_BODY:
            return error("the body is larger than 1 MB", 413)
        try:
            body = _rules_test_body(raw)
        except ParamError as exc:
            return error(str(exc), 400)
        options = {"integration": body.get("integration"), "stage": body.get("stage")}
        try:
            if "record_id" in body:
                report = await dry_run_record(account, body["record_id"], **options)
            else:
                report = dry_run_sample(account, body, data_type=body.get("data_type"), **options)
        except (HubError, ValueError, TypeError) as exc:
            return error(str(exc), 400)
        return JSONResponse(report)

    o = OPERATIONS
    return [
        (o["integrations"], integrations),
        (o["rules_test"], rules_test),
        (o["decisions"], listing(RuleDecision, decision_json, o["decisions"])),
        (o["decision"], detail(RuleDecision, decision_json, "decision")),
        (o["status"], status),
        (o["records"], listing(Record, record_json, o["records"])),
        (o["record"], detail(Record, record_json, "record")),
        (o["events"], listing(Event, event_json, o["events"])),
        (o["event"], detail(Event, event_json, "event")),
        (o["replay_event"], replay_event),
        (o["notices"], listing(Notice, notice_json, o["notices"])),
        (o["deliveries"], listing(Delivery, delivery_json, o["deliveries"])),
        (o["replay_failed"], replay_all),
        (o["delivery"], detail(Delivery, delivery_json, "delivery")),
        (o["replay_delivery"], replay_one),
    ]


def _rules_test_body(raw: bytes) -> dict[str, Any]:
    """The body of ``POST /api/v1/rules/test`` checked against RULES_TEST_BODY; ParamError says why not."""
    import json

    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ParamError("the body must be JSON") from None
    if not isinstance(body, dict) or ("record_id" in body) == ("object" in body):
        raise ParamError('give {"record_id": N} or {"data_type": ..., "object": {...}}')
    unknown = sorted(set(body) - set(RULES_TEST_BODY["properties"]))
    if unknown:
        raise ParamError(f"unknown field {unknown[0]!r} (known: {', '.join(RULES_TEST_BODY['properties'])})")
    if "record_id" in body:
        value = body["record_id"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT64_MAX:
            raise ParamError(f"record_id must be a whole number from 1 to {INT64_MAX}")
    if "object" in body and not isinstance(body["object"], dict):
        raise ParamError("object must be a JSON object")
    for name, values in (("data_type", DATA_TYPES), ("stage", STAGES)):
        if name in body and body[name] not in values:
            raise ParamError(f"{name} must be one of {', '.join(values)}")
    if "integration" in body and not isinstance(body["integration"], str):
        raise ParamError("integration must be a text: an integration's name")
    return body


def admin_routes(runtime: Runtime) -> list[Route]:
    config = runtime.account.config
    token = (config.admin_token.get_secret_value() if config.admin_token else "") or None
    return operation_routes(admin_operations(runtime), token=token)
