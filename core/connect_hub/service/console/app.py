"""The console's routes: thin handlers that read through :mod:`connect_hub.queries` and render."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from connect_hub.broker import QUEUE
from connect_hub.errors import HubError
from connect_hub.queries.failures import failures
from connect_hub.queries.ledger import record_ledger, where_is_it
from connect_hub.queries.overview import overview
from connect_hub.queries.search import failed_events_mentioning, search
from connect_hub.rules.dry_run import dry_run_record, dry_run_sample
from connect_hub.runtime import Runtime
from connect_hub.service.console import auth, replaying
from connect_hub.service.console.format import FILTERS
from connect_hub.service.console.webhooks import WebhookStatusCache
from connect_hub.status import queue_depth
from connect_hub.store.models import Event, LedgerEntry

HERE = Path(__file__).parent
MAX_FORM = 256 * 1024
FAILED_SIGN_IN_DELAY = 1.0
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def console_app(runtime: Runtime) -> Starlette:
    """The console as an ASGI app, to be mounted at ``/console``."""
    account = runtime.account
    token = (account.config.admin_token.get_secret_value() if account.config.admin_token else "") or None  # none (or empty): no console
    webhooks = WebhookStatusCache(account)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(FILTERS)
    templates.env.globals["account"] = account.name
    config_file = account.config.source_file
    templates.env.globals["cli"] = lambda args: f"connect-hub {args}" + (f" --config {config_file}" if config_file else "")

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        context.update(csrf=auth.csrf_token(request), path=request.url.path, query=request.url.query)
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        response.headers.update(SECURITY_HEADERS)
        return response

    def page(handler):
        """A page: signed in, or sent to the sign-in page (and back here afterwards)."""

        async def endpoint(request: Request) -> Response:
            if token is None:
                return render(request, "off.html", status_code=403)
            if not auth.signed_in(request):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
            return await handler(request)

        return endpoint

    def action(handler):
        """A POST: signed in (else 401) with this session's CSRF token (else 403)."""

        async def endpoint(request: Request) -> Response:
            if token is None or not auth.signed_in(request):
                return PlainTextResponse("sign in first: /console/login", status_code=401)
            form = await read_form(request)
            if form is None:
                return PlainTextResponse("the form is too large", status_code=413)
            if not auth.csrf_ok(request, form):
                return PlainTextResponse("refused: the form's CSRF token is missing or wrong; reload the page and try again", status_code=403)
            return await handler(request, form)

        return endpoint

    async def login(request: Request) -> Response:
        if token is None:
            return render(request, "off.html", status_code=403)
        next_page = auth.safe_next(request.query_params.get("next"))
        if request.method == "GET":
            if auth.signed_in(request):
                return RedirectResponse(next_page, status_code=303)
            if not request.session.get("csrf"):
                request.session["csrf"] = auth.new_csrf()
            return render(request, "login.html", next=next_page, error=None)
        form = await read_form(request) or {}
        if not auth.csrf_ok(request, form):
            return render(request, "login.html", status_code=403, next=next_page, error="The sign-in form had expired: try again.")
        if not auth.token_matches(form.get("token", ""), token):
            await asyncio.sleep(FAILED_SIGN_IN_DELAY)
            return render(request, "login.html", status_code=401, next=auth.safe_next(form.get("next")), error="That is not the admin token.")
        auth.sign_in(request)
        return RedirectResponse(auth.safe_next(form.get("next")), status_code=303)

    async def logout(request: Request, form: dict[str, str]) -> Response:
        auth.sign_out(request)
        return RedirectResponse("/console/login", status_code=303)

    async def home(request: Request) -> Response:
        answers = {name: await webhooks.get(name) for name in account.integrations}
        data = await overview(account, queue_depth(runtime.broker, QUEUE), answers)
        return render(request, "overview.html", o=data, integrations=list(account.integrations))

    async def find(request: Request) -> Response:
        q = request.query_params.get("q", "")
        results = await search(account.name, q) if q.strip() else []
        failed = await failed_events_mentioning(account.name, q)
        if len(results) == 1 and not failed and request.query_params.get("list") != "1":
            return RedirectResponse(f"/console/records/{results[0].record_id}", status_code=303)
        return render(request, "search.html", q=q, results=results, failed=failed)

    async def record(request: Request) -> Response:
        ledger = await record_ledger(account.name, _int(request.path_params["id"]))
        if ledger is None:
            return render(request, "missing.html", status_code=404, what=f"record {request.path_params['id']}")
        return render(request, "record.html", ledger=ledger, summary=where_is_it(ledger))

    async def event(request: Request) -> Response:
        row = await Event.get_or_none(id=_int(request.path_params["id"]), account=account.name)
        if row is None:
            return render(request, "missing.html", status_code=404, what=f"event {request.path_params['id']}")
        touched = await LedgerEntry.filter(account=account.name, event_id=row.id).order_by("id").prefetch_related("record")
        return render(request, "event.html", event=row, body=_pretty(bytes(row.body)), touched=touched)

    async def failures_page(request: Request) -> Response:
        return render(request, "failures.html", f=await failures(account.name), done=request.query_params.get("replayed"))

    async def replay(request: Request, form: dict[str, str]) -> Response:
        result = await replaying.replay(runtime, form)
        back = auth.safe_next(form.get("next"), "/console/failures")
        joiner = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{joiner}replayed={quote(result)}", status_code=303)

    async def rules(request: Request, form: dict[str, str] | None = None) -> Response:
        report, error = None, None
        if form is None and request.query_params.get("record"):
            form = {"record": request.query_params["record"]}  # "dry-run this record" from a ledger
        if form is not None:
            try:
                report = await _dry_run(account, form)
            except (HubError, ValueError) as exc:
                error = str(exc)
        loaded = [r.model_dump(mode="json", exclude_defaults=True) for r in account.config.rules]
        return render(
            request, "rules.html", rules=loaded, report=report, error=error, form=form or {},
            integrations=list(account.integrations), status_code=400 if error else 200,
        )

    async def dry_run(request: Request, form: dict[str, str]) -> Response:
        return await rules(request, form)

    routes = [
        Route("/", page(home)),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", action(logout), methods=["POST"]),
        Route("/search", page(find)),
        Route("/records/{id}", page(record)),
        Route("/events/{id}", page(event)),
        Route("/failures", page(failures_page)),
        Route("/replay", action(replay), methods=["POST"]),
        Route("/rules", page(rules)),
        Route("/rules/dry-run", action(dry_run), methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(
            SessionMiddleware, secret_key=auth.session_key(token or "console off"), session_cookie=auth.COOKIE,
            max_age=auth.MAX_AGE, path="/console", same_site="strict",
            https_only=str(account.config.service.public_url or "").startswith("https://"),
        )
    ]
    return Starlette(routes=routes, middleware=middleware)


async def read_form(request: Request) -> dict[str, str] | None:
    """An url-encoded form body as a dict (the last value of a repeated field), None if too large."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return None
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


async def _dry_run(account: Any, form: dict[str, str]) -> dict[str, Any]:
    options = {"integration": form.get("integration") or None, "stage": form.get("stage") or None}
    if form.get("record", "").strip():
        return await dry_run_record(account, _int(form["record"]), **options)
    try:
        sample = json.loads(form.get("object", ""))
    except ValueError as exc:
        raise HubError(f"the object is not JSON: {exc}") from None
    return dry_run_sample(account, sample, data_type=form.get("data_type") or None, **options)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def _pretty(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")

