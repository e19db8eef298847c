"""The ASGI application: Starlette routes over a started :class:`~connect_hub.runtime.Runtime`.

Plain Starlette rather than FastAPI: the webhook route is the hot path, and DESIGN.md measured a
plain Starlette handler at about 1.6x a FastAPI one.
"""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from tortoise import connections

from connect_hub.broker import QUEUE, oldest_waiting
from connect_hub.metrics import REGISTRY, store_families
from connect_hub.metrics_sharing import merged, other_processes, process_name, snapshot
from connect_hub.runtime import Runtime
from connect_hub.service import webhooks
from connect_hub.service.admin import OPERATIONS, admin_routes
from connect_hub.service.api_spec import Answer, Operation
from connect_hub.service.console import console_app
from connect_hub.service.openapi import openapi_routes
from connect_hub.status import queue_depth

log = logging.getLogger(__name__)

SERVICE_OPERATIONS = (
    Operation("GET", "/healthz", "healthz", "The process is up", (Answer(200, "up", {"type": "object"}),), admin=False, tags=("service",)),
    Operation(
        "GET", "/readyz", "readyz", "The store and the broker answer",
        (Answer(200, "ready", {"type": "object"}), Answer(503, "not ready: the problems", {"type": "object"})), admin=False, tags=("service",),
    ),
    Operation(
        "GET", "/metrics", "metrics", "Prometheus metrics of the whole hub (this process, the workers, the store)",
        (Answer(200, "the metrics in Prometheus' text format", None, media="text/plain"),), admin=False, tags=("service",),
    ),
)


class _Families:
    """What ``generate_latest`` takes: something with ``collect()``."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


async def hub_metrics(runtime: Runtime) -> _Families:
    """This process's counters, plus every other process's (Redis), plus the store's gauges."""
    own = snapshot(REGISTRY)
    client = getattr(runtime.broker, "client", None)
    others: list = []
    if client is not None:
        try:
            others = await asyncio.to_thread(other_processes, client, runtime.broker.namespace, besides=f"{runtime.broker.namespace}:metrics:{process_name()}")
        except Exception as exc:  # noqa: BLE001 - the rest of the metrics still answer
            log.warning("could not read the other processes' metrics from Redis: %s", exc)
    families = merged([own, *others])
    families += await store_families(runtime.account.name, queue_depth(runtime.broker, QUEUE))
    since = oldest_waiting(runtime.broker)
    waiting = GaugeMetricFamily("connect_hub_queue_oldest_seconds", "How long the message waiting longest in the broker has waited (0 when none)")
    waiting.add_metric([], max(0.0, time.time() - since) if since is not None else 0.0)
    return _Families([*families, waiting])


async def _http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 outside the console answer like the API: ``{"error": "<sentence>"}``."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"there is nothing at {request.url.path} (the API is described at /openapi.json)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def create_app(runtime: Runtime) -> Starlette:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        problems = []
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"store: {type(exc).__name__}")
        client = getattr(runtime.broker, "client", None)
        if client is not None:
            try:
                client.ping()
            except Exception as exc:  # noqa: BLE001
                problems.append(f"broker: {type(exc).__name__}")
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(await hub_metrics(runtime)), media_type=CONTENT_TYPE_LATEST)

    documented = [webhooks.OPERATION, *SERVICE_OPERATIONS, *OPERATIONS.values()]
    routes = [
        Route("/webhooks/{integration}", webhooks.webhook_endpoint(runtime), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *admin_routes(runtime),
        *openapi_routes(documented, account=runtime.account.name),
        Mount("/console", console_app(runtime)),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
