"""The simulated warehouse's memory and floor: orders, articles and stock, reservations, faults, a log.

It behaves as e-fulfilment APIs do: an order is received, then picked, then shipped; it can be
changed (``update_order``) only while it is received, and cancelled until it ships. Stock is
kept for the warehouse's *articles* only, the SKUs it carries (set by a restock): an order for a
SKU it does not carry is taken, but no stock is ever reported for that SKU.

The state is shared between the server thread, the background loop (picking timers, webhooks)
and the test that reads it, so every method takes the lock; what it returns are copies. Webhooks
are sent after the lock is released.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from connect_hub.simulator.faults import Fault as SimulatedFault
from connect_hub.simulator.faults import FaultQueue

from connect_hub_efulfillment.simulator.background import BackgroundLoop
from connect_hub_efulfillment.simulator.webhooks import (
    DEFAULT_RETRY_DELAYS,
    ORDER_SHIPPED,
    STOCK_CHANGED,
    WebhookSender,
)

RECEIVED = "received"
PICKING = "picking"
CANCELLED = "cancelled"
SHIPPED = "shipped"
DEFAULT_CARRIER = "PostNL"
TRACKING_URL = "https://tracking.example/"


class SimulatorError(Exception):
    """A request the warehouse refuses: becomes ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Fault(SimulatedFault):
    """A misbehaviour for the next ``count`` requests whose path starts with ``path_prefix``
    (the simulator base's :class:`~connect_hub.simulator.faults.Fault`, checked as the control
    API receives it).

    ``status`` answers that status (with ``Retry-After`` when ``retry_after`` is set) instead of
    handling the request, or ``body`` answers that raw text (garbage; with ``status``, else 200);
    ``delay`` waits before answering; ``delay_after_create`` handles the request first (an order
    is stored) and then waits, as a caller that times out mid-request would see it. ``count`` -1
    repeats until the faults are cleared.
    """

    delay_after_create: float = 0.0
    path_prefix: str = "/api/"

    def __post_init__(self) -> None:
        if self.status is not None and not (
            isinstance(self.status, int) and 400 <= self.status < 600
        ):
            raise SimulatorError(
                422, "invalid_fault", "status must be an HTTP error status (4xx, 5xx)"
            )
        if not isinstance(self.count, int) or self.count == 0 or self.count < -1:
            raise SimulatorError(422, "invalid_fault", "count must be a positive integer or -1")
        for name in ("delay", "delay_after_create"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise SimulatorError(
                    422, "invalid_fault", f"{name} must be a number of seconds >= 0"
                )
        if self.body is not None and not isinstance(self.body, str):
            raise SimulatorError(422, "invalid_fault", "body must be text")


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    at: str


class WarehouseState:
    """Everything the simulator knows, and the warehouse floor's behaviour.

    Stock is kept as *on hand* per article (a SKU the warehouse carries, made by a restock); a
    received order *reserves* its lines, and what the API and the webhooks report as
    ``quantity`` is what is available: on hand minus reserved, never below 0. Receiving,
    changing, cancelling and shipping an order and restocking send ``stock.changed`` for each
    article concerned; shipping first sends ``order.shipped``. With ``pick_after`` > 0 picking
    starts by itself that many seconds after an order is received (from then on it cannot be
    changed); with ``ship_after`` > 0 it ships by itself that many seconds after it was received
    (unless cancelled by then); with 0 each happens only when told (``start_picking``,
    ``ship_order``).

    ``webhooks`` are (url, secret) subscriptions to both events. ``reset`` empties the state
    and restores this configuration.
    """

    def __init__(
        self,
        *,
        ship_after: float = 0.0,
        webhooks: Iterable[tuple[str, str]] = (),
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ):
        self._initial = (ship_after, tuple(webhooks), tuple(retry_delays))
        self.pick_after = 0.0
        self._lock = threading.Lock()
        self.background = BackgroundLoop()
        self.webhooks = WebhookSender(self.background)
        self.orders: dict[str, dict[str, Any]] = {}
        self.stock: dict[str, int] = {}
        """On hand per article (the SKUs the warehouse carries)."""
        self.reserved: dict[str, int] = {}
        """Reserved per SKU by received orders."""
        self.stock_changed_at: dict[str, str] = {}
        self.faults: FaultQueue[Fault] = FaultQueue()
        self.requests: deque[LoggedRequest] = deque(maxlen=10_000)
        self.create_requests: dict[str, int] = {}
        self.ship_after = 0.0
        self._next_id = 1
        self._generation = 0
        self._configure_initial()

    def _configure_initial(self) -> None:
        ship_after, webhooks, retry_delays = self._initial
        self.configure(ship_after=ship_after, pick_after=0.0, retry_delays=retry_delays)
        for url, secret in webhooks:
            self.webhooks.subscribe(url, secret)

    def configure(
        self,
        *,
        ship_after: float | None = None,
        pick_after: float | None = None,
        retry_delays: Sequence[float] | None = None,
    ) -> dict[str, Any]:
        """Change the picking and shipping delays and the webhook retry delays; answers the
        configuration."""
        for name, value in (("ship_after", ship_after), ("pick_after", pick_after)):
            if value is not None:
                if not _seconds(value):
                    raise SimulatorError(422, "invalid_config", f"{name} must be seconds >= 0")
                setattr(self, name, float(value))
        if retry_delays is not None:
            if not isinstance(retry_delays, list | tuple) or not all(map(_seconds, retry_delays)):
                raise SimulatorError(
                    422, "invalid_config", "retry_delays must be a list of seconds >= 0"
                )
            self.webhooks.retry_delays = tuple(float(d) for d in retry_delays)
        return {
            "ship_after": self.ship_after,
            "pick_after": self.pick_after,
            "retry_delays": list(self.webhooks.retry_delays),
        }

    def reset(self) -> None:
        """Forget everything, cancel waiting timers and deliveries, restore the configuration."""
        self.background.cancel_all()
        with self._lock:
            self._generation += 1
            self.orders.clear()
            self.stock.clear()
            self.reserved.clear()
            self.stock_changed_at.clear()
            self.faults.clear()
            self.requests.clear()
            self.create_requests.clear()
            self._next_id = 1
        self.webhooks.reset()
        self._configure_initial()

    def close(self) -> None:
        """Stop the background timers and deliveries (they start again on next use)."""
        self.background.stop()

    # --- orders ---------------------------------------------------------------------------

    def create_order(self, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new order (True) or return the one with the same reference (False).

        A new order reserves its lines and, with ``ship_after`` > 0, ships by itself later.
        """
        reference, lines = _validate_order(payload)
        with self._lock:
            self.create_requests[reference] = self.create_requests.get(reference, 0) + 1
            existing = self.orders.get(reference)
            if existing is not None:
                return copy.deepcopy(existing), False
            now = _now()
            order = {
                "id": f"WH-{self._next_id:06d}",
                "reference": reference,
                "status": RECEIVED,
                "email": str(payload.get("email") or ""),
                "shipping_address": dict(payload.get("shipping_address") or {}),
                "lines": lines,
                "created_at": now,
                "updated_at": now,
                "picking_started_at": None,
                "shipment": None,
            }
            self._next_id += 1
            self.orders[reference] = order
            events = self._reserve(lines, 1)
            ship_after, pick_after, generation = self.ship_after, self.pick_after, self._generation
            created = copy.deepcopy(order)
        self._emit(events)
        if pick_after > 0:
            self.background.call_later(pick_after, self._pick_when_due, reference, generation)
        if ship_after > 0:
            self.background.call_later(ship_after, self._ship_when_due, reference, generation)
        return created, True

    def update_order(self, reference: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Replace a received order's e-mail, address and lines, moving its reservations.

        Refused (409 ``order_not_editable``) once picking has started, and for a shipped or
        cancelled order: the warehouse floor has it in hand.
        """
        payload_reference, lines = _validate_order(payload)
        if payload_reference != reference:
            raise SimulatorError(
                422, "reference_mismatch", f"the body is for order {payload_reference}, not {reference}"
            )
        with self._lock:
            order = self._order(reference)
            if order["status"] != RECEIVED:
                raise SimulatorError(409, "order_not_editable", _not_editable(order))
            released = self._reserve(order["lines"], -1)
            order["email"] = str(payload.get("email") or "")
            order["shipping_address"] = dict(payload.get("shipping_address") or {})
            order["lines"] = lines
            order["updated_at"] = _now()
            reserved = self._reserve(lines, 1)
            updated = copy.deepcopy(order)
        self._emit(list({body["sku"]: (event, body) for event, body in released + reserved}.values()))
        return updated

    def start_picking(self, reference: str) -> dict[str, Any]:
        """The floor starts picking a received order; from now on it cannot be changed."""
        with self._lock:
            order = self._order(reference)
            if order["status"] == CANCELLED:
                raise SimulatorError(
                    409, "order_cancelled", f"order {reference} is cancelled: it cannot be picked"
                )
            if order["status"] == RECEIVED:
                order["status"] = PICKING
                order["picking_started_at"] = _now()
            return copy.deepcopy(order)

    def _pick_when_due(self, reference: str, generation: int) -> None:
        with self._lock:
            order = self.orders.get(reference)
            if generation != self._generation or not order or order["status"] != RECEIVED:
                return
        self.start_picking(reference)

    def get_order(self, reference: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._order(reference))

    def list_orders(self) -> list[dict[str, Any]]:
        """All orders, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self.orders.values()))

    def cancel_order(self, reference: str) -> dict[str, Any]:
        """Cancel an order not shipped yet (picking stops) and release its reservation; a repeat
        changes nothing."""
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            order = self._order(reference)
            if order["status"] == SHIPPED:
                raise SimulatorError(
                    409,
                    "order_shipped",
                    f"order {reference} has been shipped: it cannot be cancelled",
                )
            if order["status"] in (RECEIVED, PICKING):
                order["status"] = CANCELLED
                events = self._reserve(order["lines"], -1)
            cancelled = copy.deepcopy(order)
        self._emit(events)
        return cancelled

    def ship_order(self, reference: str, shipment: dict[str, Any] | None = None) -> dict[str, Any]:
        """Ship an order, as the warehouse floor would; a cancelled one cannot be.

        ``shipment`` may give ``carrier``, ``tracking_code`` and ``tracking_url``; made-up ones
        are used otherwise. Shipping an order already shipped changes nothing.
        """
        details = _validate_shipment(shipment)
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            order = self._order(reference)
            if order["status"] == CANCELLED:
                raise SimulatorError(
                    409, "order_cancelled", f"order {reference} is cancelled: it cannot be shipped"
                )
            if order["status"] in (RECEIVED, PICKING):
                events = self._ship(order, details)
            shipped = copy.deepcopy(order)
        self._emit(events)
        return shipped

    def _ship_when_due(self, reference: str, generation: int) -> None:
        """The picking timer: ship the order if it is still waiting (not cancelled, not reset)."""
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            order = self.orders.get(reference)
            if generation == self._generation and order and order["status"] in (RECEIVED, PICKING):
                events = self._ship(order, {})
        self._emit(events)

    def _ship(self, order: dict[str, Any], details: dict[str, str]) -> list[tuple[str, Any]]:
        """Mark ``order`` shipped and take its lines off the shelf; the lock is held."""
        number = int(order["id"].removeprefix("WH-"))
        code = details.get("tracking_code") or f"3SSIM{number:09d}"
        order["picking_started_at"] = order["picking_started_at"] or _now()
        order["status"] = SHIPPED
        order["shipment"] = {
            "carrier": details.get("carrier") or DEFAULT_CARRIER,
            "tracking_code": code,
            "tracking_url": details.get("tracking_url") or f"{TRACKING_URL}{code}",
            "shipped_at": _now(),
        }
        for line in order["lines"]:
            sku = line["sku"]
            if sku in self.stock:
                self.stock[sku] = max(0, self.stock[sku] - line["quantity"])
        stock_events = self._reserve(order["lines"], -1)
        shipped = {
            "reference": order["reference"],
            "order_id": order["id"],
            **order["shipment"],
            "lines": [
                {"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]
            ],
        }
        return [(ORDER_SHIPPED, shipped), *stock_events]

    def _order(self, reference: str) -> dict[str, Any]:
        order = self.orders.get(reference)
        if order is None:
            raise SimulatorError(404, "order_not_found", f"no order with reference {reference}")
        return order

    # --- stock ----------------------------------------------------------------------------

    def set_stock(self, levels: dict[str, int]) -> None:
        """Set absolute on-hand levels for the given SKUs (others keep theirs), as a restock; a
        SKU not carried yet becomes an article."""
        for sku, quantity in levels.items():
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise SimulatorError(
                    422, "invalid_quantity", f"stock of {sku} must be an integer >= 0"
                )
        with self._lock:
            self.stock.update(levels)
            events = [self._stock_changed(sku) for sku in levels]
        self._emit(events)

    def list_stock(self) -> list[dict[str, Any]]:
        """Stock per article, sorted by SKU: available ``quantity``, ``on_hand``, ``reserved``."""
        with self._lock:
            return [
                self._stock_item(sku) | {"on_hand": self.stock[sku],
                                         "reserved": self.reserved.get(sku, 0)}
                for sku in sorted(self.stock)
            ]  # fmt: skip

    def _reserve(self, lines: list[dict[str, Any]], sign: int) -> list[tuple[str, Any]]:
        """Reserve (1) or release (-1) the lines' quantities; stock changes are reported for the
        articles among them only. The lock is held."""
        for line in lines:
            sku = line["sku"]
            self.reserved[sku] = max(0, self.reserved.get(sku, 0) + sign * line["quantity"])
        skus = dict.fromkeys(line["sku"] for line in lines)
        return [self._stock_changed(sku) for sku in skus if sku in self.stock]

    def _stock_changed(self, sku: str) -> tuple[str, dict[str, Any]]:
        self.stock_changed_at[sku] = _now()
        return STOCK_CHANGED, self._stock_item(sku)

    def _stock_item(self, sku: str) -> dict[str, Any]:
        available = max(0, self.stock.get(sku, 0) - self.reserved.get(sku, 0))
        return {"sku": sku, "quantity": available, "changed_at": self.stock_changed_at.get(sku)}

    def _emit(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for event, body in events:
            self.webhooks.emit(event, body)

    # --- log -------------------------------------------------------------------

    def log(self, method: str, path: str, query: str, status: int) -> None:
        entry = LoggedRequest(method, path, query, status, _now())
        with self._lock:
            self.requests.append(entry)

    def logged_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(entry) for entry in self.requests]

    def orders_with_create_requests(self) -> list[dict[str, Any]]:
        """Every order with ``create_requests``: how many creates its reference received."""
        with self._lock:
            return [
                copy.deepcopy(order) | {"create_requests": self.create_requests[reference]}
                for reference, order in self.orders.items()
            ]


def _validate_order(payload: Any) -> tuple[str, list[dict[str, Any]]]:
    """The reference and the clean lines of an order payload, or a 422 SimulatorError."""
    if not isinstance(payload, dict):
        raise SimulatorError(422, "invalid_order", "the order must be a JSON object")
    reference = payload.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise SimulatorError(422, "missing_reference", "the order needs a non-empty reference")
    lines = payload.get("lines")
    if not isinstance(lines, list) or not lines:
        raise SimulatorError(422, "no_lines", f"order {reference} has no lines")
    clean = []
    for number, line in enumerate(lines, 1):
        if not isinstance(line, dict) or not isinstance(line.get("sku"), str) or not line["sku"]:
            raise SimulatorError(422, "missing_sku", f"order {reference} line {number} has no sku")
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise SimulatorError(
                422,
                "invalid_quantity",
                f"order {reference} line {number} ({line['sku']}): quantity must be a positive "
                f"integer, got {quantity!r}",
            )
        clean.append({"sku": line["sku"], "quantity": quantity, "name": str(line.get("name", ""))})
    return reference, clean


def _not_editable(order: dict[str, Any]) -> str:
    reference, status = order["reference"], order["status"]
    if status == PICKING:
        return f"order {reference} is being picked since {order['picking_started_at']}: it can no longer be changed"
    return f"order {reference} is {status}: it can no longer be changed"


def _validate_shipment(shipment: Any) -> dict[str, str]:
    if shipment is None:
        return {}
    known = ("carrier", "tracking_code", "tracking_url")
    if (
        not isinstance(shipment, dict)
        or set(shipment) - set(known)
        or not all(isinstance(v, str) for v in shipment.values())
    ):
        raise SimulatorError(
            422, "invalid_shipment", f"a shipment is an object of strings with keys {list(known)}"
        )
    return shipment


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _now() -> str:
    return datetime.now(UTC).isoformat()
