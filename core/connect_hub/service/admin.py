"""The admin API under ``/api/v1``, behind a bearer token: read the store, replay failures."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connect_hub.broker import QUEUE
from connect_hub.errors import HubError
from connect_hub.pipeline import replay
from connect_hub.pipeline.decisions import decision_json
from connect_hub.rules.dry_run import dry_run_record, dry_run_sample
from connect_hub.runtime import Runtime
from connect_hub.status import account_status, queue_depth
from connect_hub.store.models import Delivery, Event, Notice, Record, RuleDecision

PAGE_MAX = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def record_json(r: Record) -> dict[str, Any]:
    return {
        "id": r.id, "data_type": r.data_type, "key": r.key, "version": r.version, "hash": r.hash,
        "source": r.source, "source_modified_at": _iso(r.source_modified_at), "updated_at": _iso(r.updated_at), "data": r.data,
    }


def event_json(e: Event) -> dict[str, Any]:
    return {
        "id": e.id, "integration": e.integration, "topic": e.topic, "state": e.state, "attempts": e.attempts,
        "last_error": e.last_error, "received_at": _iso(e.received_at), "processed_at": _iso(e.processed_at),
    }


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id, "integration": d.integration, "data_type": d.data_type, "record_id": d.record_id,
        "version": d.version, "state": d.state, "action": d.action, "attempts": d.attempts, "last_error": d.last_error,
        "reason": d.reason, "blocked_by": d.blocked_by, "external_id": d.external_id, "event_id": d.event_id,
        "next_attempt_at": _iso(d.next_attempt_at), "created_at": _iso(d.created_at), "updated_at": _iso(d.updated_at),
    }


def notice_json(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "integration": n.integration, "kind": n.kind, "message": n.message, "created_at": _iso(n.created_at)}


def _page(request: Request) -> tuple[int, int]:
    try:
        limit = min(int(request.query_params.get("limit", 100)), PAGE_MAX)
        after = int(request.query_params.get("after", 0))
    except ValueError:
        limit, after = -1, 0
    return limit, after


def admin_routes(runtime: Runtime) -> list[Route]:
    account = runtime.account
    token = account.config.admin_token.get_secret_value() if account.config.admin_token else None

    def denied(request: Request) -> Response | None:
        if token is None:
            return JSONResponse({"error": "the admin API is off: set admin_token in the account file"}, status_code=403)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"error": "a valid bearer token is required"}, status_code=401)
        return None

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            return denied(request) or await handler(request)

        return endpoint

    def listing(model: Any, to_json: Any, filters: tuple[str, ...]):
        async def handler(request: Request) -> Response:
            limit, after = _page(request)
            if limit < 1:
                return JSONResponse({"error": "limit and after must be positive integers"}, status_code=400)
            query = model.filter(account=account.name, id__gt=after)
            for name in filters:
                if name in request.query_params:
                    query = query.filter(**{name: request.query_params[name]})
            rows = await query.order_by("id").limit(limit)
            return JSONResponse({"items": [to_json(r) for r in rows], "next_after": rows[-1].id if rows else None})

        return handler

    def detail(model: Any, to_json: Any):
        async def handler(request: Request) -> Response:
            try:
                row_id = int(request.path_params["id"])
            except ValueError:
                return JSONResponse({"error": "id must be an integer"}, status_code=400)
            row = await model.get_or_none(id=row_id, account=account.name)
            if row is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(to_json(row))

        return handler

    async def integrations(request: Request) -> Response:
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

    async def status(request: Request) -> Response:
        return JSONResponse(await account_status(account, queue_depth(runtime.broker, QUEUE)))

    async def replay_one(request: Request) -> Response:
        try:
            delivery_id = int(request.path_params["id"])
        except ValueError:
            return JSONResponse({"error": "id must be an integer"}, status_code=400)
        if not await replay.replay_delivery(account.name, delivery_id):
            return JSONResponse({"error": "no failed or dead delivery with that id"}, status_code=404)
        runtime.actors.send_export(delivery_id)
        return JSONResponse({"replayed": [delivery_id]})

    async def replay_all(request: Request) -> Response:
        ids = await replay.replay_failed_deliveries(account.name)
        for delivery_id in ids:
            runtime.actors.send_export(delivery_id)
        return JSONResponse({"replayed": ids})

    async def replay_event(request: Request) -> Response:
        try:
            event_id = int(request.path_params["id"])
        except ValueError:
            return JSONResponse({"error": "id must be an integer"}, status_code=400)
        if not await replay.replay_event(account.name, event_id):
            return JSONResponse({"error": "no failed event with that id"}, status_code=404)
        runtime.actors.send_import(event_id)
        return JSONResponse({"replayed": [event_id]})

    async def rules_test(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or ("record_id" in body) == ("object" in body):
            return JSONResponse({"error": 'give {"record_id": N} or {"data_type": ..., "object": {...}}'}, status_code=400)
        options = {"integration": body.get("integration"), "stage": body.get("stage")}
        try:
            if "record_id" in body:
                report = await dry_run_record(account, int(body["record_id"]), **options)
            else:
                report = dry_run_sample(account, body, data_type=body.get("data_type"), **options)
        except (HubError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(report)

    return [
        Route("/api/v1/integrations", guarded(integrations)),
        Route("/api/v1/rules/test", guarded(rules_test), methods=["POST"]),
        Route("/api/v1/decisions", guarded(listing(RuleDecision, decision_json, ("stage", "integration", "data_type", "blocked_by", "record_id", "event_id", "delivery_id")))),
        Route("/api/v1/decisions/{id}", guarded(detail(RuleDecision, decision_json))),
        Route("/api/v1/status", guarded(status)),
        Route("/api/v1/records", guarded(listing(Record, record_json, ("data_type", "key")))),
        Route("/api/v1/records/{id}", guarded(detail(Record, record_json))),
        Route("/api/v1/events", guarded(listing(Event, event_json, ("state", "integration", "topic")))),
        Route("/api/v1/events/{id}", guarded(detail(Event, event_json))),
        Route("/api/v1/events/{id}/replay", guarded(replay_event), methods=["POST"]),
        Route("/api/v1/notices", guarded(listing(Notice, notice_json, ("integration", "kind")))),
        Route("/api/v1/deliveries", guarded(listing(Delivery, delivery_json, ("state", "integration", "data_type")))),
        Route("/api/v1/deliveries/replay-failed", guarded(replay_all), methods=["POST"]),
        Route("/api/v1/deliveries/{id}", guarded(detail(Delivery, delivery_json))),
        Route("/api/v1/deliveries/{id}/replay", guarded(replay_one), methods=["POST"]),
    ]
