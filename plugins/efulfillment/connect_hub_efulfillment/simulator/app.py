"""The simulated warehouse's HTTP API (``/api/v1``, key in ``X-Api-Key``) and control routes.

The control routes under ``/_sim/`` need no key; they let tests and demos queue faults, restock,
ship orders, subscribe to webhooks, and read what the warehouse received and sent.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connect_hub_efulfillment.simulator.state import Fault, SimulatorError, WarehouseState
from connect_hub_efulfillment.simulator.webhooks import SubscriptionError

Handler = Callable[[Request], Awaitable[Response]]
MAX_PER_PAGE = 100


def create_app(api_key: str, state: WarehouseState | None = None) -> Starlette:
    """A Starlette app simulating the warehouse; ``app.state.warehouse`` is its state."""
    if not api_key:
        raise ValueError("the simulator needs an API key")
    warehouse = state if state is not None else WarehouseState()
    key = api_key.encode()

    def api(handler: Callable[[Request, WarehouseState], Awaitable[Response]]) -> Handler:
        """Wrap an API endpoint: queued faults, key check, refusals as JSON, request log."""

        async def endpoint(request: Request) -> Response:
            fault = warehouse.faults.take(request.method, request.url.path)
            response = await answer(request, fault)
            warehouse.log(request.method, request.url.path, request.url.query, response.status_code)
            return response

        async def answer(request: Request, fault: Fault | None) -> Response:
            if fault and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault and fault.answers:
                return _fault_response(fault)
            if not hmac.compare_digest(request.headers.get("x-api-key", "").encode(), key):
                return _error(401, "unauthorized", "missing or wrong X-Api-Key header")
            try:
                response = await handler(request, warehouse)
            except SimulatorError as exc:
                return _error(exc.status, exc.code, exc.message)
            if fault and fault.delay_after_create:
                await asyncio.sleep(fault.delay_after_create)
            return response

        return endpoint

    def control(handler: Callable[[Request, WarehouseState], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, warehouse)
            except SimulatorError as exc:
                return _error(exc.status, exc.code, exc.message)

        return endpoint

    app = Starlette(
        routes=[
            Route("/api/v1/ping", api(ping), methods=["GET"]),
            Route("/api/v1/orders", api(create_order), methods=["POST"]),
            Route("/api/v1/orders", api(list_orders), methods=["GET"]),
            Route("/api/v1/orders/{reference}", api(get_order), methods=["GET"]),
            Route("/api/v1/orders/{reference}", api(update_order), methods=["PUT"]),
            Route("/api/v1/orders/{reference}/cancel", api(cancel_order), methods=["POST"]),
            Route("/api/v1/stock", api(list_stock), methods=["GET"]),
            Route("/api/v1/webhooks", api(subscribe), methods=["POST"]),
            Route("/api/v1/webhooks", api(list_subscriptions), methods=["GET"]),
            Route("/_sim/faults", control(add_fault), methods=["POST"]),
            Route("/_sim/faults", control(clear_faults), methods=["DELETE"]),
            Route("/_sim/orders", control(sim_orders), methods=["GET"]),
            Route("/_sim/orders/{reference}/pick", control(pick_order), methods=["POST"]),
            Route("/_sim/orders/{reference}/ship", control(ship_order), methods=["POST"]),
            Route("/_sim/stock", control(set_stock), methods=["POST"]),
            Route("/_sim/requests", control(sim_requests), methods=["GET"]),
            Route("/_sim/webhooks", control(subscribe), methods=["POST"]),
            Route("/_sim/webhooks", control(list_subscriptions), methods=["GET"]),
            Route("/_sim/webhooks", control(forget_subscriptions), methods=["DELETE"]),
            Route("/_sim/deliveries", control(sim_deliveries), methods=["GET"]),
            Route("/_sim/config", control(get_config), methods=["GET"]),
            Route("/_sim/config", control(set_config), methods=["POST"]),
            Route("/_sim/reset", control(reset), methods=["POST"]),
        ]
    )
    app.state.warehouse = warehouse
    return app


# --- warehouse API -------------------------------------------------------------------------


async def ping(request: Request, state: WarehouseState) -> Response:
    return JSONResponse({"status": "ok", "warehouse": "connect-hub simulator"})


async def create_order(request: Request, state: WarehouseState) -> Response:
    order, created = state.create_order(await _body(request))
    return JSONResponse(order, status_code=201 if created else 200)


async def list_orders(request: Request, state: WarehouseState) -> Response:
    return _page(request, state.list_orders())


async def get_order(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.get_order(request.path_params["reference"]))


async def update_order(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.update_order(request.path_params["reference"], await _body(request)))


async def cancel_order(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.cancel_order(request.path_params["reference"]))


async def list_stock(request: Request, state: WarehouseState) -> Response:
    return _page(request, state.list_stock())


async def subscribe(request: Request, state: WarehouseState) -> Response:
    """Subscribe a URL to webhooks, or update its secret and events: idempotent by URL."""
    body = await _body(request)
    if not isinstance(body, dict) or set(body) - {"url", "secret", "events"}:
        raise SimulatorError(
            422, "invalid_subscription", 'a subscription is {"url", "secret", "events"?}'
        )
    try:
        subscription, created = state.webhooks.subscribe(
            body.get("url"), body.get("secret"), body.get("events")
        )
    except SubscriptionError as exc:
        raise SimulatorError(422, "invalid_subscription", str(exc)) from None
    return JSONResponse(subscription, status_code=201 if created else 200)


async def list_subscriptions(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.webhooks.subscriptions())


# --- control routes ------------------------------------------------------------------------


async def add_fault(request: Request, state: WarehouseState) -> Response:
    body = await _body(request)
    known = {f.name for f in fields(Fault)}
    if not isinstance(body, dict) or set(body) - known:
        raise SimulatorError(
            422, "invalid_fault", f"a fault is an object with keys {sorted(known)}"
        )
    state.faults.add(Fault(**body))
    return JSONResponse({"queued": len(state.faults)}, status_code=201)


async def clear_faults(request: Request, state: WarehouseState) -> Response:
    state.faults.clear()
    return Response(status_code=204)


async def sim_orders(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.orders_with_create_requests())


async def pick_order(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.start_picking(request.path_params["reference"]))


async def ship_order(request: Request, state: WarehouseState) -> Response:
    shipment = await _body(request) if await request.body() else None
    return JSONResponse(state.ship_order(request.path_params["reference"], shipment))


async def set_stock(request: Request, state: WarehouseState) -> Response:
    body = await _body(request)
    if not isinstance(body, dict):
        raise SimulatorError(422, "invalid_stock", 'stock is an object like {"SKU-1": 5}')
    state.set_stock(body)
    return JSONResponse(state.list_stock())


async def sim_requests(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.logged_requests())


async def forget_subscriptions(request: Request, state: WarehouseState) -> Response:
    state.webhooks.forget()
    return Response(status_code=204)


async def sim_deliveries(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.webhooks.deliveries())


async def get_config(request: Request, state: WarehouseState) -> Response:
    return JSONResponse(state.configure())


async def set_config(request: Request, state: WarehouseState) -> Response:
    body = await _body(request)
    if not isinstance(body, dict) or set(body) - {"ship_after", "pick_after", "retry_delays"}:
        raise SimulatorError(
            422, "invalid_config", 'config is {"ship_after", "pick_after", "retry_delays"}'
        )
    return JSONResponse(state.configure(**body))


async def reset(request: Request, state: WarehouseState) -> Response:
    state.reset()
    return Response(status_code=204)


# --- helpers -------------------------------------------------------------------------------


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SimulatorError(400, "invalid_json", "the request body is not valid JSON") from None


def _page(request: Request, items: list[dict[str, Any]]) -> Response:
    """One page of ``items`` by ``?page=`` (from 1) and ``?per_page=`` (1-100), with the total."""
    page = _positive_int(request, "page", 1)
    per_page = _positive_int(request, "per_page", 50)
    if per_page > MAX_PER_PAGE:
        raise SimulatorError(422, "invalid_parameter", f"per_page must be at most {MAX_PER_PAGE}")
    start = (page - 1) * per_page
    return JSONResponse(items[start : start + per_page], headers={"X-Total-Count": str(len(items))})


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SimulatorError(422, "invalid_parameter", f"{name} must be a positive integer")
    return int(raw)


def _fault_response(fault: Fault) -> Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.body is not None:
        return Response(fault.body, fault.status or 200, headers=headers, media_type="text/html")
    return _error(
        fault.status or 500, "simulated_fault", "fault injected by the simulator", headers
    )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)
