"""The ASGI application: Starlette routes over a started :class:`~connect_hub.runtime.Runtime`.

Plain Starlette rather than FastAPI: the webhook route is the hot path, and DESIGN.md measured a
plain Starlette handler at about 1.6x a FastAPI one.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from tortoise import connections

from connect_hub.runtime import Runtime
from connect_hub.service.admin import admin_routes
from connect_hub.service.console import console_app
from connect_hub.service.webhooks import webhook_endpoint


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
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/webhooks/{integration}", webhook_endpoint(runtime), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *admin_routes(runtime),
        Mount("/console", console_app(runtime)),
    ]
    return Starlette(routes=routes)
