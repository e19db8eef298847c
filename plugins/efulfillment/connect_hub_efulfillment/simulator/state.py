"""The simulated warehouse's memory: orders by reference, stock per SKU, queued faults, a log.

The state is shared between the server thread and the test that reads it, so every method takes
the lock; what it returns are copies.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

RECEIVED = "received"
CANCELLED = "cancelled"
SHIPPED = "shipped"


class SimulatorError(Exception):
    """A request the warehouse refuses: becomes ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Fault:
    """A misbehaviour for the next ``count`` requests whose path starts with ``path_prefix``.

    ``status`` answers that status (with ``Retry-After`` when ``retry_after`` is set) instead of
    handling the request; ``delay`` waits before answering; ``delay_after_create`` handles the
    request first (an order is stored) and then waits, as a caller that times out mid-request
    would see it. ``count`` -1 repeats until the faults are cleared.
    """

    status: int | None = None
    count: int = 1
    retry_after: float | str | None = None
    delay: float = 0.0
    delay_after_create: float = 0.0
    path_prefix: str = "/api/"
    method: str | None = None

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

    def matches(self, method: str, path: str) -> bool:
        wanted = self.method.upper() if self.method else method
        return path.startswith(self.path_prefix) and wanted == method


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    at: str


@dataclass
class WarehouseState:
    """Everything the simulator knows; ``reset`` empties it (stock seeding included)."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: deque[LoggedRequest] = field(default_factory=lambda: deque(maxlen=10_000))
    create_requests: dict[str, int] = field(default_factory=dict)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self._lock:
            self.orders.clear()
            self.stock.clear()
            self.faults.clear()
            self.requests.clear()
            self.create_requests.clear()
            self._next_id = 1

    # --- orders ---------------------------------------------------------------------------

    def create_order(self, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new order (True) or return the one with the same reference (False)."""
        reference, lines = _validate_order(payload)
        with self._lock:
            self.create_requests[reference] = self.create_requests.get(reference, 0) + 1
            existing = self.orders.get(reference)
            if existing is not None:
                return copy.deepcopy(existing), False
            order = {
                "id": f"WH-{self._next_id:06d}",
                "reference": reference,
                "status": RECEIVED,
                "email": str(payload.get("email") or ""),
                "shipping_address": dict(payload.get("shipping_address") or {}),
                "lines": lines,
                "created_at": datetime.now(UTC).isoformat(),
            }
            self._next_id += 1
            self.orders[reference] = order
            return copy.deepcopy(order), True

    def get_order(self, reference: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._order(reference))

    def list_orders(self) -> list[dict[str, Any]]:
        """All orders, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self.orders.values()))

    def cancel_order(self, reference: str) -> dict[str, Any]:
        with self._lock:
            order = self._order(reference)
            if order["status"] == SHIPPED:
                raise SimulatorError(
                    409,
                    "order_shipped",
                    f"order {reference} has been shipped: it cannot be cancelled",
                )
            order["status"] = CANCELLED
            return copy.deepcopy(order)

    def ship_order(self, reference: str) -> dict[str, Any]:
        """Mark an order shipped (as the warehouse floor would); a cancelled one cannot be."""
        with self._lock:
            order = self._order(reference)
            if order["status"] == CANCELLED:
                raise SimulatorError(
                    409, "order_cancelled", f"order {reference} is cancelled: it cannot be shipped"
                )
            order["status"] = SHIPPED
            return copy.deepcopy(order)

    def _order(self, reference: str) -> dict[str, Any]:
        order = self.orders.get(reference)
        if order is None:
            raise SimulatorError(404, "order_not_found", f"no order with reference {reference}")
        return order

    # --- stock ----------------------------------------------------------------------------

    def set_stock(self, levels: dict[str, int]) -> None:
        """Set absolute stock levels for the given SKUs (others keep theirs)."""
        for sku, quantity in levels.items():
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise SimulatorError(
                    422, "invalid_quantity", f"stock of {sku} must be an integer >= 0"
                )
        with self._lock:
            self.stock.update(levels)

    def list_stock(self) -> list[dict[str, Any]]:
        """Stock levels sorted by SKU."""
        with self._lock:
            return [{"sku": sku, "quantity": self.stock[sku]} for sku in sorted(self.stock)]

    # --- faults and log -------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first queued fault matching the request, counted down (dropped at zero)."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def log(self, method: str, path: str, query: str, status: int) -> None:
        entry = LoggedRequest(method, path, query, status, datetime.now(UTC).isoformat())
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
