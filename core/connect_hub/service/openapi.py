"""The OpenAPI 3.1 document of the hub's HTTP API (``/openapi.json``) and its docs page (``/docs``).

The document is built from the same :class:`~connect_hub.service.api_spec.Operation`
declarations the handlers read their parameters through. The docs page is Swagger UI from the
``swagger-ui-py`` package, served by the hub itself: nothing is loaded from elsewhere.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from connect_hub import __version__
from connect_hub.service.api_spec import ERROR, Operation

UNAUTHORISED = {"description": "no valid bearer token (Authorization: Bearer <admin_token>)", "content": {"application/json": {"schema": ERROR}}}
OFF = {"description": "the admin API is off: the account file sets no admin_token", "content": {"application/json": {"schema": ERROR}}}


def openapi_document(operations: Iterable[Operation], *, account: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``operations``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": list(op.tags)}
        if op.params:
            entry["parameters"] = [
                {"name": p.name, "in": p.where, "required": p.where == "path", "description": p.description, "schema": p.schema()}
                for p in op.params
            ]
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {op.body_media: {"schema": dict(op.body)}}}
        responses: dict[str, Any] = {}
        for answer in op.answers:
            content = {answer.media: {"schema": dict(answer.schema)}} if answer.schema is not None else {answer.media: {}}
            responses[str(answer.status)] = {"description": answer.description, "content": content}
        if op.admin:
            entry["security"] = [{"bearer": []}]
            responses.setdefault("401", UNAUTHORISED)
            responses.setdefault("403", OFF)
        entry["responses"] = dict(sorted(responses.items()))
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "connect-hub",
            "version": __version__,
            "description": (
                f"The HTTP API of the hub for account {account!r}: webhooks in, health and metrics, and the admin API "
                "under /api/v1 (bearer token: the account's admin_token). Every error answers "
                '{"error": "<a sentence>"}.'
            ),
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "the account's admin_token"}},
            "schemas": {"Error": ERROR},
        },
    }


def _swagger_ui_folder() -> Path:
    spec = importlib.util.find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations, "swagger-ui-py is a dependency of connect-hub"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>connect-hub API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""
START_SCRIPT = 'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});\n'
DOCS_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
}


def openapi_routes(operations: list[Operation], *, account: str) -> list[BaseRoute]:
    """``/openapi.json``, ``/docs`` and the docs page's own files."""
    document = openapi_document(operations, account=account)

    async def spec(request: Request) -> Response:
        return JSONResponse(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(DOCS_PAGE, headers=DOCS_HEADERS)

    async def start(request: Request) -> Response:
        return Response(START_SCRIPT, media_type="text/javascript", headers=DOCS_HEADERS)

    return [
        Route("/openapi.json", spec),
        Route("/docs", docs),
        Route("/docs/start.js", start),
        Mount("/docs/static", StaticFiles(directory=_swagger_ui_folder()), name="docs-static"),
    ]
