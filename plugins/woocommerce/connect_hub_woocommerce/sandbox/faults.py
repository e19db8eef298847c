"""Misbehaviour on purpose: a fault answers the next matching REST requests instead of the shop."""

from __future__ import annotations

from dataclasses import dataclass

from connect_hub.simulator.faults import Fault as SimulatedFault

from connect_hub_woocommerce.sandbox.errors import ShopError


@dataclass
class Fault(SimulatedFault):
    """A misbehaviour for the next ``count`` REST requests whose path starts with ``path_prefix``
    (the simulator base's :class:`~connect_hub.simulator.faults.Fault`, checked as the control
    API receives it).

    ``status`` answers that status (with ``Retry-After`` when ``retry_after`` is set) instead of
    handling the request, with a WooCommerce-style JSON error, or with ``body`` as raw text when
    given (garbage: HTML, truncated JSON). ``body`` alone answers 200 with it. ``delay`` waits
    before answering (then handles the request normally when there is no status or body).
    ``count`` -1 repeats until the faults are cleared.
    """

    path_prefix: str = "/wp-json/"

    def __post_init__(self) -> None:
        if self.status is not None and not (
            isinstance(self.status, int)
            and not isinstance(self.status, bool)
            and 200 <= self.status < 600
        ):
            raise ShopError(422, "invalid_fault", "status must be an HTTP status (200-599)")
        if not isinstance(self.count, int) or self.count == 0 or self.count < -1:
            raise ShopError(422, "invalid_fault", "count must be a positive integer or -1")
        if not isinstance(self.delay, int | float) or self.delay < 0:
            raise ShopError(422, "invalid_fault", "delay must be a number of seconds >= 0")
        if self.body is not None and not isinstance(self.body, str):
            raise ShopError(422, "invalid_fault", "body must be text")
