"""``POST /webhooks/{integration}``: the hot path. Verify, one insert, one wake-up, answer."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connect_hub import logs
from connect_hub.contracts import Verdict, WebhookRequest
from connect_hub.loop_worker import InProcessBroker
from connect_hub.metrics import WEBHOOKS
from connect_hub.pipeline.ingress import EventWriter
from connect_hub.runtime import Runtime
from connect_hub.service.api_spec import ERROR, Answer, Operation, Param
from connect_hub.service.bodies import BodyBudget, BodyRefused, read_limited
from connect_hub.service.pacing import Pace

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024
BODY_BUDGET = 3 * MAX_BODY
"""What the webhook bodies being read may hold at once, per service process (see bodies.py)."""

REFUSED = {413: "too_large", 503: "busy", 400: "malformed"}
"""The ``verdict`` label of the webhook counter for a body refused before it was verified."""

OPERATION = Operation(
    "POST", "/webhooks/{integration}", "receive_webhook",
    "A webhook from an integration: verified by its connector, stored as an event, then imported",
    (
        Answer(200, "a ping (such as WooCommerce's creation ping): nothing stored", {"type": "object"}),
        Answer(202, "verified and stored: the event's id", {"type": "object", "required": ["event"], "properties": {"event": {"type": "integer"}}}),
        Answer(400, "the request is malformed (a Content-Length that is no number, a body cut short)", ERROR),
        Answer(401, "the signature does not match: nothing stored", ERROR),
        Answer(404, "no such integration, or it takes no webhooks", ERROR),
        Answer(413, "the body is larger than 10 MB: refused before it is read", ERROR),
        Answer(503, "not stored (the store or the memory budget is busy): retry", ERROR),
    ),
    params=(Param("integration", "string", "the integration's name in the account file", where="path", max_length=100),),
    body={"description": "the body exactly as the integration signed it"}, body_media="application/json",
    admin=False, tags=("webhooks",),
)


def webhook_endpoint(runtime: Runtime):
    account = runtime.account
    plugins = account.plugins
    writer = EventWriter(wake=runtime.actors.send_imports)
    budget = BodyBudget(BODY_BUDGET)
    broker = runtime.broker
    pacing = runtime.config.service.pacing
    pace = Pace(broker.backlog if isinstance(broker, InProcessBroker) else None,
                limit=pacing.backlog_limit, longest=pacing.longest_hold)

    async def receive(request: Request) -> Response:
        name = request.path_params["integration"]
        integration = account.integration(name)
        logs.bind(integration=name)
        if integration is None:
            return JSONResponse({"error": f"no integration named {name!r}"}, status_code=404)
        try:
            body = await read_limited(request, MAX_BODY, budget)
        except BodyRefused as refused:
            WEBHOOKS.labels(name, REFUSED.get(refused.status, "malformed")).inc()
            headers = {"retry-after": str(refused.retry_after)} if refused.retry_after else None
            return JSONResponse({"error": refused.message}, status_code=refused.status, headers=headers)
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
        await pace.wait()  # stored: only the answer waits, while the actors catch up
        return JSONResponse({"event": event_id}, status_code=202)

    return receive
