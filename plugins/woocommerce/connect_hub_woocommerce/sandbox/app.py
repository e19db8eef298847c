"""The sandbox shop's HTTP API (``/wp-json/wc/v3``) and its control routes (``/_sandbox/``).

REST requests go through, in the real shop's order: a queued fault, authentication (a bad key
is a 401 even on an unknown route), the route (``rest_no_route`` 404), the route's permission
for anonymous requests (``woocommerce_rest_cannot_view``...), then the handler. Errors are
``{"code", "message", "data": {"status"}}``.

Control routes need no key:

- ``POST /_sandbox/reset``: forget everything (keys and options stay); with
  ``{"keep_webhooks": true}`` the webhooks stay and ids go on (a hub reused on an empty shop).
- ``POST /_sandbox/seed`` ``{"extra_products": 0}``: a small catalogue and one customer.
- ``POST /_sandbox/orders`` ``{"lines": [{"sku", "quantity"}], "email", "status"}``: an order
  as a shopper places it (status processing by default, stock reduced, webhooks queued).
- ``POST /_sandbox/stock`` ``{"SKU": quantity}``: a shop manager changes stock (webhooks queued).
- With the companion plugin: ``POST /_sandbox/checkouts`` ``{"email", "first_name", "last_name",
  "lines", "id"}`` (a shopper's cart: ``checkout.updated``), ``"checkout_id"`` in
  ``POST /_sandbox/orders`` (the order placed from it: ``checkout.completed``), and
  ``POST /_sandbox/orders/{id}/shipments`` ``{"provider", "tracking_number", "tracking_url"}``
  (a shop manager's shipment in the panel: ``shipment.created``).
- ``POST /_sandbox/customers`` ``{"email", "first_name", "last_name", "billing", "shipping"}``:
  a shopper registers (``customer.created`` and ``customer.updated``); ``"customer_id"`` in
  ``POST /_sandbox/orders`` places the order logged in as that customer.
- ``POST /_sandbox/run-queue``: run the webhook queue now; answers the sends.
- ``POST /_sandbox/deliveries/duplicate``, ``/hold``, ``/drop`` ``{"count", "topic",
  "resource_id"}``: the next matching deliveries are sent twice, held back, or lost;
  ``POST /_sandbox/deliveries/release`` sends the held ones now (answers the sends);
  ``DELETE /_sandbox/deliveries/mishaps`` forgets those that have not befallen a delivery yet.
- ``GET /_sandbox/deliveries``: every ping and delivery with the status it was answered.
- ``GET /_sandbox/state``: products with stock, orders with status and notes, customers,
  webhooks with status and failure count.
- ``GET /_sandbox/stock-writes``: every ``stock_quantity`` a REST client wrote, in order (the
  shop's own stock moves, orders and ``/_sandbox/stock``, are not in it).
- ``POST /_sandbox/faults`` ``{"status", "count", "retry_after", "delay", "body",
  "path_prefix", "method"}`` and ``DELETE /_sandbox/faults``: misbehave on REST requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connect_hub_woocommerce.sandbox.auth import authenticate
from connect_hub_woocommerce.sandbox.delivery import Deliverer
from connect_hub_woocommerce.sandbox.errors import ShopError, invalid_param
from connect_hub_woocommerce.sandbox.faults import Fault
from connect_hub_woocommerce.sandbox.state import ShopState
from connect_hub_woocommerce.sandbox.values import encode, php_intval
from connect_hub_woocommerce.sandbox.webhooks import MISHAPS, Mishap

Json = dict[str, Any]
MAX_BATCH = 100
MAX_PER_PAGE = 100
WP_VERSION = "6.8.8"
API_HEADERS = {
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
    "Access-Control-Allow-Headers": (
        "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"
    ),
    "Expires": "Wed, 11 Jan 1984 05:00:00 GMT",
    "Cache-Control": "no-cache, must-revalidate, max-age=0, no-store, private",
}
PERMISSION_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "delete": (
        "woocommerce_rest_cannot_delete",
        "Sorry, you are not allowed to delete this resource.",
    ),
    "batch": (
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
}
EDIT = ["PUT", "PATCH", "POST"]


@dataclass
class Shop:
    """What handlers need: the state, the webhook sender and the options."""

    state: ShopState
    deliverer: Deliverer


Handler = Callable[[Request, Shop], Awaitable[Response]]


def create_app(
    state: ShopState,
    *,
    https_mode: bool = False,
    queue_interval: float | None = 1.0,
    delivery_timeout: float = 60.0,
) -> Starlette:
    """A Starlette app simulating the shop; ``app.state.shop`` is its :class:`Shop`.

    ``queue_interval`` runs the webhook queue every so many seconds (0: as soon as something is
    queued; None: only through ``POST /_sandbox/run-queue``). The queue runner starts with the
    app's lifespan. ``https_mode`` behaves as a shop served over https: Basic auth and query keys
    work, and OAuth signs the ``https://`` URL.
    """
    shop = Shop(state, Deliverer(state, timeout=delivery_timeout, wp_version=WP_VERSION))

    def rest(handler: Handler, permission: str | None) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a REST endpoint: faults, authentication, anonymous permission, errors as JSON."""

        async def endpoint(request: Request) -> Response:
            fault = state.faults.take(request.method, request.url.path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None or fault.body is not None:
                    return _fault_response(state, fault)
            try:
                key = authenticate(
                    state.keys,
                    method=request.method,
                    url=str(request.url.replace(query="", fragment="")),
                    query=request.query_params.multi_items(),
                    headers=request.headers,
                    https_mode=https_mode,
                    now=datetime.now(UTC),
                )
                if key is None and permission is not None:
                    raise ShopError(401, *PERMISSION_ERRORS[permission])
                return await handler(request, shop)
            except ShopError as exc:
                return wc_json(state, exc.body(), exc.status)

        return endpoint

    def control(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, shop)
            except ShopError as exc:
                return wc_json(state, exc.body(), exc.status)

        return endpoint

    async def site_index(request: Request, shop: Shop) -> Response:
        namespaces = ["wc/v3"] + (["wc-shipment-tracking/v3"] if state.shipment_tracking else [])
        namespaces += ["connect-hub/v1"] if state.companion.installed else []
        return wc_json(state, {
            "name": "connect-hub sandbox shop", "description": "", "url": state.url,
            "home": state.url, "gmt_offset": "0", "timezone_string": "UTC",
            "namespaces": namespaces, "authentication": [], "routes": _routes(state, shop_routes),
        })  # fmt: skip

    async def namespace_index(request: Request, shop: Shop) -> Response:
        routes = {k: v for k, v in _routes(state, shop_routes).items() if k.startswith("/wc/v3")}
        return wc_json(state, {"namespace": "wc/v3", "routes": routes}, headers={"Allow": "GET"})

    v3 = "/wp-json/wc/v3"
    api_routes: list[tuple[str, Handler, list[str], str | None]] = [
        (v3, namespace_index, ["GET"], None),
        (f"{v3}/system_status", system_status, ["GET"], "list"),
        (f"{v3}/products", list_products, ["GET"], "list"),
        (f"{v3}/products", create_product, ["POST"], "create"),
        (f"{v3}/products/batch", batch_products, EDIT, "batch"),
        (f"{v3}/products/{{id:int}}", get_product, ["GET"], "view"),
        (f"{v3}/products/{{id:int}}", update_product, EDIT, "edit"),
        (f"{v3}/products/{{id:int}}", delete_product, ["DELETE"], "delete"),
        (f"{v3}/products/{{id:int}}/variations", list_variations, ["GET"], "list"),
        (f"{v3}/products/{{id:int}}/variations", create_variation, ["POST"], "create"),
        (f"{v3}/products/{{id:int}}/variations/batch", batch_variations, EDIT, "batch"),
        (f"{v3}/products/{{id:int}}/variations/{{vid:int}}", get_variation, ["GET"], "view"),
        (f"{v3}/products/{{id:int}}/variations/{{vid:int}}", update_variation, EDIT, "edit"),
        (f"{v3}/orders", list_orders, ["GET"], "list"),
        (f"{v3}/orders", create_order, ["POST"], "create"),
        (f"{v3}/orders/{{id:int}}", get_order, ["GET"], "view"),
        (f"{v3}/orders/{{id:int}}", update_order, EDIT, "edit"),
        (f"{v3}/orders/{{id:int}}/notes", list_notes, ["GET"], "list"),
        (f"{v3}/orders/{{id:int}}/notes", add_note, ["POST"], "create"),
        (f"{v3}/orders/{{id:int}}/refunds", list_refunds, ["GET"], "list"),
        (f"{v3}/orders/{{id:int}}/refunds", create_refund, ["POST"], "create"),
        (f"{v3}/orders/{{id:int}}/refunds/{{rid:int}}", get_refund, ["GET"], "view"),
        (f"{v3}/customers", list_customers, ["GET"], "list"),
        (f"{v3}/customers", create_customer, ["POST"], "create"),
        (f"{v3}/customers/{{id:int}}", get_customer, ["GET"], "view"),
        (f"{v3}/customers/{{id:int}}", update_customer, EDIT, "edit"),
        (f"{v3}/webhooks", list_webhooks, ["GET"], "list"),
        (f"{v3}/webhooks", create_webhook, ["POST"], "create"),
        (f"{v3}/webhooks/{{id:int}}", get_webhook, ["GET"], "view"),
        (f"{v3}/webhooks/{{id:int}}", update_webhook, EDIT, "edit"),
        (f"{v3}/webhooks/{{id:int}}", delete_webhook, ["DELETE"], "delete"),
    ]
    if state.shipment_tracking:
        tracking = "/wp-json/wc-shipment-tracking/v3/orders/{id:int}/shipment-trackings"
        api_routes += [
            (tracking, list_trackings, ["GET"], "list"),
            (tracking, add_tracking, ["POST"], "create"),
        ]
    if state.companion.installed:
        companion = "/wp-json/connect-hub/v1"
        api_routes += [
            (f"{companion}/status", plugin_status, ["GET"], "view"),
            (f"{companion}/pair", plugin_pair, ["POST"], "create"),
            (f"{companion}/orders/{{id:int}}/shipments", list_plugin_shipments, ["GET"], "list"),
            (f"{companion}/orders/{{id:int}}/shipments", add_plugin_shipment, ["POST"], "create"),
        ]
    shop_routes = {path for path, *_ in api_routes}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runner = (
            asyncio.create_task(shop.deliverer.run_forever(queue_interval))
            if queue_interval is not None
            else None
        )
        try:
            yield
        finally:
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            await shop.deliverer.aclose()

    routes = [Route(path, rest(h, p), methods=m) for path, h, m, p in api_routes]
    routes += [
        Route("/wp-json", rest(site_index, None), methods=["GET"]),
        Route("/wp-json/", rest(site_index, None), methods=["GET"]),
        Route("/wp-json/{rest:path}", rest(no_route, None), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/_sandbox/reset", control(sandbox_reset), methods=["POST"]),
        Route("/_sandbox/seed", control(sandbox_seed), methods=["POST"]),
        Route("/_sandbox/orders", control(sandbox_order), methods=["POST"]),
        Route("/_sandbox/stock", control(sandbox_stock), methods=["POST"]),
        Route("/_sandbox/customers", control(sandbox_customer), methods=["POST"]),
        Route("/_sandbox/checkouts", control(sandbox_checkout), methods=["POST"]),
        Route("/_sandbox/orders/{id:int}/shipments", control(sandbox_shipment), methods=["POST"]),
        Route("/_sandbox/run-queue", control(sandbox_run_queue), methods=["POST"]),
        Route("/_sandbox/deliveries", control(sandbox_deliveries), methods=["GET"]),
        Route("/_sandbox/deliveries/release", control(sandbox_release), methods=["POST"]),
        Route("/_sandbox/deliveries/mishaps", control(sandbox_forget_mishaps), methods=["DELETE"]),
        Route("/_sandbox/deliveries/{kind}", control(sandbox_mishap), methods=["POST"]),
        Route("/_sandbox/state", control(sandbox_state), methods=["GET"]),
        Route("/_sandbox/stock-writes", control(sandbox_stock_writes), methods=["GET"]),
        Route("/_sandbox/faults", control(sandbox_add_fault), methods=["POST"]),
        Route("/_sandbox/faults", control(sandbox_clear_faults), methods=["DELETE"]),
    ]  # fmt: skip
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.shop = shop
    return app


# --- responses and parameters --------------------------------------------------------------


def wc_json(
    state: ShopState, data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer encoded and headed as WordPress sends it."""
    all_headers = {"Link": f'<{state.url}/wp-json/>; rel="https://api.w.org/"', **API_HEADERS}
    all_headers.update(headers or {})
    return Response(
        encode(data), status, headers=all_headers, media_type="application/json; charset=UTF-8"
    )


def _fault_response(state: ShopState, fault: Fault) -> Response:
    status = fault.status or 200
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.body is not None:
        return Response(fault.body, status, headers=headers, media_type="text/html; charset=UTF-8")
    body = {
        "code": "sandbox_fault",
        "message": "Fault injected by the sandbox.",
        "data": {"status": status},
    }
    return wc_json(state, body, status, headers)


def _routes(state: ShopState, paths: set[str]) -> Json:
    """The REST index's ``routes``: WordPress regex paths, each with its methods."""
    shown: Json = {}
    for path in sorted(paths):
        route = re.sub(r"\{(\w+):int\}", r"(?P<\1>[\\d]+)", path.removeprefix("/wp-json"))
        entry: Json = {
            "namespace": route.split("/")[1] + "/" + route.split("/")[2],
            "methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
            "endpoints": [{"methods": ["GET", "POST", "PUT", "PATCH", "DELETE"], "args": {}}],
        }
        if "(?P" not in route:
            entry["_links"] = {"self": [{"href": f"{state.url}/wp-json{route}"}]}
        shown[route] = entry
    return shown


async def _body(request: Request) -> Json:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ShopError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
    if not isinstance(data, dict):
        raise ShopError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return data


def _int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        raise invalid_param(name, f"{name} is not of type integer.")
    value = int(raw)
    if value < low or (high is not None and value > high):
        message = (
            f"{name} must be between {low} (inclusive) and {high} (inclusive)"
            if high is not None
            else f"{name} must be greater than or equal to {low}"
        )
        raise invalid_param(name, message, "rest_out_of_bounds")
    return value


def _date_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise invalid_param(name, "Invalid date.", "rest_invalid_date") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _ids_param(request: Request, name: str) -> list[int] | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return [int(part) for part in re.split(r"[,\s]+", raw) if part.isdigit()]


def _page(request: Request, shop: Shop, items: list[Json]) -> Response:
    """One page of ``items`` with ``X-WP-Total``, ``X-WP-TotalPages`` and the ``Link`` header.

    The links repeat the request's query string as it came (OAuth parameters included), with
    only ``page`` changed, as the real shop does.
    """
    page = _int_param(request, "page", 1, 1, None)
    per_page = _int_param(request, "per_page", 10, 1, MAX_PER_PAGE)
    total = len(items)
    pages = math.ceil(total / per_page)
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    links = []
    if page > 1 and pages > 0:
        links.append(f'<{_page_url(request, shop.state, min(page - 1, pages))}>; rel="prev"')
    if page < pages:
        links.append(f'<{_page_url(request, shop.state, page + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    start = (page - 1) * per_page
    return wc_json(shop.state, items[start : start + per_page], headers=headers)


def _page_url(request: Request, state: ShopState, page: int) -> str:
    parts = [part for part in request.url.query.split("&") if part]
    replaced = [f"page={page}" if part.split("=", 1)[0] == "page" else part for part in parts]
    if replaced == parts:
        replaced.append(f"page={page}")
    return f"{state.url}{request.url.path}?{'&'.join(replaced)}"


def _created(shop: Shop, data: Json, path: str) -> Response:
    location = f"{shop.state.url}/wp-json/wc/v3/{path}/{data['id']}"
    return wc_json(shop.state, data, 201, headers={"Location": location})


# --- REST endpoints ----------------------------------------------------------------------------


async def no_route(request: Request, shop: Shop) -> Response:
    raise ShopError(404, "rest_no_route", "No route was found matching the URL and request method.")


async def system_status(request: Request, shop: Shop) -> Response:
    state = shop.state
    plugins = [{
        "plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": state.version,
        "version_latest": state.version, "url": "https://woocommerce.com/",
        "author_name": "Automattic", "author_url": "https://woocommerce.com",
        "network_activated": False,
    }]  # fmt: skip
    if state.shipment_tracking:
        plugins.append({
            "plugin": "woocommerce-shipment-tracking/woocommerce-shipment-tracking.php",
            "name": "WooCommerce Shipment Tracking", "version": "2.6.0",
            "version_latest": "2.6.0", "url": "https://woocommerce.com/products/shipment-tracking/",
            "author_name": "WooCommerce", "author_url": "https://woocommerce.com",
            "network_activated": False,
        })  # fmt: skip
    return wc_json(state, {
        "environment": {
            "home_url": state.url, "site_url": state.url, "version": state.version,
            "wp_version": WP_VERSION, "wp_multisite": False, "wp_cron": True,
            "language": "en_US", "php_version": "8.2.36", "default_timezone": "UTC",
            "server_info": "connect-hub sandbox",
        },
        "database": {"wc_database_version": state.version, "database_prefix": "wp_"},
        "active_plugins": plugins, "inactive_plugins": [], "dropins_mu_plugins": [],
        "theme": {"name": "Storefront", "version": "4.6.1"},
        "settings": {
            "api_enabled": False, "force_ssl": False, "currency": "USD",
            "currency_symbol": "&#36;", "currency_position": "left",
            "thousand_separator": ",", "decimal_separator": ".", "number_of_decimals": 2,
            "HPOS_enabled": True,
        },
        "security": {"secure_connection": False, "hide_errors": True},
        "pages": [], "post_type_counts": [], "logging": {"enabled": True},
    })  # fmt: skip


async def list_products(request: Request, shop: Shop) -> Response:
    params = request.query_params
    items = shop.state.products.list(
        sku=params.get("sku"),
        type_=params.get("type"),
        status=params.get("status"),
        modified_after=_date_param(request, "modified_after"),
        include=_ids_param(request, "include"),
    )
    return _page(request, shop, items)


async def create_product(request: Request, shop: Shop) -> Response:
    return _created(shop, shop.state.products.create(await _body(request)), "products")


async def get_product(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.products.get(request.path_params["id"]))


async def update_product(request: Request, shop: Shop) -> Response:
    product = shop.state.products.update(request.path_params["id"], await _body(request))
    return wc_json(shop.state, product)


async def delete_product(request: Request, shop: Shop) -> Response:
    force = request.query_params.get("force", "").lower() in ("1", "true")
    return wc_json(shop.state, shop.state.products.delete(request.path_params["id"], force=force))


async def list_variations(request: Request, shop: Shop) -> Response:
    return _page(request, shop, shop.state.products.list_variations(request.path_params["id"]))


async def create_variation(request: Request, shop: Shop) -> Response:
    parent_id = request.path_params["id"]
    variation = shop.state.products.create_variation(parent_id, await _body(request))
    return _created(shop, variation, f"products/{parent_id}/variations")


async def get_variation(request: Request, shop: Shop) -> Response:
    params = request.path_params
    return wc_json(shop.state, shop.state.products.get_variation(params["id"], params["vid"]))


async def update_variation(request: Request, shop: Shop) -> Response:
    params = request.path_params
    variation = shop.state.products.update_variation(
        params["id"], params["vid"], await _body(request)
    )
    return wc_json(shop.state, variation)


async def batch_products(request: Request, shop: Shop) -> Response:
    products = shop.state.products
    return await _batch(
        request,
        shop,
        create=lambda item: products.create(item, strict=False),
        update=lambda id_, item: products.update(id_, item, strict=False),
        delete=lambda id_: products.delete(id_, force=True),
        invalid_id=ShopError(400, "woocommerce_rest_product_invalid_id", "Invalid ID."),
    )


async def batch_variations(request: Request, shop: Shop) -> Response:
    products = shop.state.products
    parent_id = request.path_params["id"]
    products.get(parent_id)
    return await _batch(
        request,
        shop,
        create=lambda item: products.create_variation(parent_id, item, strict=False),
        update=lambda id_, item: products.update_variation(parent_id, id_, item, strict=False),
        delete=None,
        invalid_id=ShopError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID."),
    )


async def _batch(
    request: Request,
    shop: Shop,
    *,
    create: Callable[[Json], Json],
    update: Callable[[int, Json], Json],
    delete: Callable[[int], Json] | None,
    invalid_id: ShopError,
) -> Response:
    """``{"create", "update", "delete"}``: at most 100 items, each failing on its own.

    Items skip the schema checks a single request gets (so a non-numeric ``stock_quantity``
    becomes 0, as PHP's ``intval`` makes it) and are addressed by id only.
    """
    body = await _body(request)
    groups = {name: body.get(name) or [] for name in ("create", "update", "delete") if name in body}
    if sum(len(items) if isinstance(items, list) else 1 for items in groups.values()) > MAX_BATCH:
        raise ShopError(
            413, "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {MAX_BATCH} items for this request.",
        )  # fmt: skip
    result: Json = {}
    for name, items in groups.items():
        done = []
        for item in items if isinstance(items, list) else ():
            raw_id = (
                item if name == "delete" else (item.get("id") if isinstance(item, dict) else None)
            )
            try:
                if name == "create":
                    done.append(create(item if isinstance(item, dict) else {}))
                    continue
                item_id = php_intval(raw_id) if raw_id is not None else 0
                if item_id <= 0:
                    raise invalid_id
                if name == "update":
                    fields_ = {k: v for k, v in item.items() if k != "id"}
                    done.append(update(item_id, fields_))
                elif delete is not None:
                    done.append(delete(item_id))
                else:
                    raise invalid_id
            except ShopError as exc:
                shown_id = 0 if name == "create" else raw_id
                done.append({"id": shown_id, "error": exc.body()})
        result[name] = done
    return wc_json(shop.state, result)


async def list_orders(request: Request, shop: Shop) -> Response:
    customer = request.query_params.get("customer")
    items = shop.state.orders.list(
        status=request.query_params.get("status"),
        modified_after=_date_param(request, "modified_after"),
        customer=int(customer) if customer and customer.isdigit() else None,
        include=_ids_param(request, "include"),
    )
    return _page(request, shop, items)


async def create_order(request: Request, shop: Shop) -> Response:
    return _created(shop, shop.state.orders.create(await _body(request)), "orders")


async def get_order(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.orders.get(request.path_params["id"]))


async def update_order(request: Request, shop: Shop) -> Response:
    order = shop.state.orders.update(request.path_params["id"], await _body(request))
    return wc_json(shop.state, order)


async def list_notes(request: Request, shop: Shop) -> Response:
    notes = shop.state.notes.list(request.path_params["id"])
    kind = request.query_params.get("type", "any")
    if kind in ("customer", "internal"):
        notes = [n for n in notes if n["customer_note"] == (kind == "customer")]
    return wc_json(shop.state, notes)


async def add_note(request: Request, shop: Shop) -> Response:
    order_id = request.path_params["id"]
    note = shop.state.notes.add(order_id, await _body(request))
    return _created(shop, note, f"orders/{order_id}/notes")


async def list_refunds(request: Request, shop: Shop) -> Response:
    return _page(request, shop, shop.state.refunds.list(request.path_params["id"]))


async def create_refund(request: Request, shop: Shop) -> Response:
    order_id = request.path_params["id"]
    refund = shop.state.refunds.create(order_id, await _body(request))
    return _created(shop, refund, f"orders/{order_id}/refunds")


async def get_refund(request: Request, shop: Shop) -> Response:
    params = request.path_params
    return wc_json(shop.state, shop.state.refunds.get(params["id"], params["rid"]))


async def list_trackings(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.notes.list_trackings(request.path_params["id"]))


async def add_tracking(request: Request, shop: Shop) -> Response:
    tracking = shop.state.notes.add_tracking(request.path_params["id"], await _body(request))
    return wc_json(shop.state, tracking, 201)


async def list_customers(request: Request, shop: Shop) -> Response:
    items = shop.state.customers.list(
        email=request.query_params.get("email"), role=request.query_params.get("role", "customer")
    )
    return _page(request, shop, items)


async def create_customer(request: Request, shop: Shop) -> Response:
    return _created(shop, shop.state.customers.create(await _body(request)), "customers")


async def get_customer(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.customers.get(request.path_params["id"]))


async def update_customer(request: Request, shop: Shop) -> Response:
    customer = shop.state.customers.update(request.path_params["id"], await _body(request))
    return wc_json(shop.state, customer)


async def list_webhooks(request: Request, shop: Shop) -> Response:
    return _page(request, shop, shop.state.webhooks.list(request.query_params.get("status", "all")))


async def create_webhook(request: Request, shop: Shop) -> Response:
    """Store the webhook, then ping its URL before answering (as the real shop does)."""
    webhook = shop.state.webhooks.create(await _body(request))
    if webhook["status"] == "active":
        await shop.deliverer.ping(webhook)
    return _created(shop, webhook, "webhooks")


async def get_webhook(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.webhooks.get(request.path_params["id"]))


async def update_webhook(request: Request, shop: Shop) -> Response:
    webhook = shop.state.webhooks.update(request.path_params["id"], await _body(request))
    return wc_json(shop.state, webhook)


async def delete_webhook(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.webhooks.delete(request.path_params["id"]))


async def plugin_status(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.companion.status())


async def plugin_pair(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.companion.pair(await _body(request)))


async def list_plugin_shipments(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.companion.list_shipments(request.path_params["id"]))


async def add_plugin_shipment(request: Request, shop: Shop) -> Response:
    """The hub's shipment: 201 when created, 200 with the existing one for a known external_id."""
    shipment, created = shop.state.companion.add_shipment(
        request.path_params["id"], await _body(request), source="hub"
    )
    return wc_json(shop.state, shipment, 201 if created else 200)


# --- control routes ----------------------------------------------------------------------------


def _needs_plugin(shop: Shop) -> None:
    if not shop.state.companion.installed:
        raise ShopError(
            404, "sandbox_no_companion_plugin", "the sandbox runs without the companion plugin"
        )


async def sandbox_checkout(request: Request, shop: Shop) -> Response:
    _needs_plugin(shop)
    return wc_json(shop.state, shop.state.companion.start_checkout(await _body(request)), 201)


async def sandbox_shipment(request: Request, shop: Shop) -> Response:
    _needs_plugin(shop)
    shipment, _ = shop.state.companion.add_shipment(
        request.path_params["id"], await _body(request), source="shop"
    )
    return wc_json(shop.state, shipment, 201)


async def sandbox_reset(request: Request, shop: Shop) -> Response:
    body = await _body(request)
    keep = body.get("keep_webhooks", False) if isinstance(body, dict) else None
    if not isinstance(keep, bool):
        raise ShopError(422, "sandbox_invalid_reset", "keep_webhooks must be true or false")
    shop.state.reset(keep_webhooks=keep)
    return Response(status_code=204)


async def sandbox_seed(request: Request, shop: Shop) -> Response:
    extra = (await _body(request)).get("extra_products", 0)
    if not isinstance(extra, int) or isinstance(extra, bool) or extra < 0:
        raise ShopError(422, "sandbox_invalid_seed", "extra_products must be an integer >= 0")
    return wc_json(shop.state, shop.state.seed(extra))


async def sandbox_order(request: Request, shop: Shop) -> Response:
    body = await _body(request)
    if body.get("checkout_id"):
        _needs_plugin(shop)
        return wc_json(shop.state, shop.state.companion.place_order(body), 201)
    return wc_json(shop.state, shop.state.orders.place(body), 201)


async def sandbox_customer(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.customers.create(await _body(request)), 201)


async def sandbox_stock(request: Request, shop: Shop) -> Response:
    shop.state.products.set_stock_by_sku(await _body(request))
    return wc_json(shop.state, shop.state.products.summary())


async def sandbox_run_queue(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, {"sent": await shop.deliverer.run_queue()})


async def sandbox_mishap(request: Request, shop: Shop) -> Response:
    kind = request.path_params["kind"]
    if kind not in MISHAPS:
        raise ShopError(404, "sandbox_unknown_mishap", f"a mishap is one of {', '.join(MISHAPS)}")
    body = await _body(request)
    known = {"count", "topic", "resource_id"}
    if set(body) - known:
        raise ShopError(422, "invalid_mishap", f"a mishap is an object with keys {sorted(known)}")
    shop.state.webhooks.add_mishap(Mishap(kind, **body))
    return wc_json(shop.state, {"queued": len(shop.state.webhooks.mishaps)}, 201)


async def sandbox_forget_mishaps(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, {"forgotten": shop.state.webhooks.forget_mishaps()})


async def sandbox_release(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, {"sent": await shop.deliverer.release()})


async def sandbox_deliveries(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.webhooks.delivery_log())


async def sandbox_stock_writes(request: Request, shop: Shop) -> Response:
    with shop.state.ctx.lock:
        return wc_json(shop.state, list(shop.state.products.stock_writes))


async def sandbox_state(request: Request, shop: Shop) -> Response:
    return wc_json(shop.state, shop.state.snapshot())


async def sandbox_add_fault(request: Request, shop: Shop) -> Response:
    body = await _body(request)
    known = {f.name for f in fields(Fault)}
    if set(body) - known:
        raise ShopError(422, "invalid_fault", f"a fault is an object with keys {sorted(known)}")
    shop.state.faults.add(Fault(**body))
    return wc_json(shop.state, {"queued": len(shop.state.faults)}, 201)


async def sandbox_clear_faults(request: Request, shop: Shop) -> Response:
    shop.state.faults.clear()
    return Response(status_code=204)
