"""``POST /webhooks/{integration}``: the hot path. Verify, one insert, one wake-up, answer."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connect_hub.contracts import Verdict, WebhookRequest
from connect_hub.metrics import WEBHOOKS
from connect_hub.pipeline.ingress import EventWriter
from connect_hub.runtime import Runtime

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024


def webhook_endpoint(runtime: Runtime):
    account = runtime.account
    plugins = account.plugins
    writer = EventWriter()

    async def receive(request: Request) -> Response:
        name = request.path_params["integration"]
        integration = account.integration(name)
        if integration is None:
            return JSONResponse({"error": f"no integration named {name!r}"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        headers = dict(request.headers)
        verdict = plugins.verify_webhook(integration, WebhookRequest(headers=headers, body=body))
        if verdict is None:
            return JSONResponse({"error": f"integration {name!r} takes no webhooks"}, status_code=404)
        WEBHOOKS.labels(name, verdict.verdict).inc()
        if verdict.verdict == Verdict.PING:
            return JSONResponse({"ok": True})
        if verdict.verdict == Verdict.REJECT:
            log.warning("rejected a webhook for %s: %s", name, verdict.reason)
            return JSONResponse({"error": verdict.reason or "signature does not match"}, status_code=401)
        try:
            event_id = await writer.store(account.name, name, verdict.topic, headers, body)
        except Exception:
            log.exception("could not store a webhook for %s", name)
            return JSONResponse({"error": "not stored, please retry"}, status_code=503)
        try:
            runtime.actors.send_import(event_id)
        except Exception:  # noqa: BLE001 - stored is accepted: the sweeper wakes it later
            log.warning("broker unavailable; event %s waits for the sweeper", event_id)
        return JSONResponse({"event": event_id}, status_code=202)

    return receive
