"""What every resource of one sandbox shop shares: its address, clock, lock and id sequences."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connect_hub_woocommerce.sandbox.values import Json, Sequences, merge_meta, utcnow


@dataclass
class ShopContext:
    """The shop's address (no trailing slash), WooCommerce version and shared machinery.

    The state is shared between the server thread and the test that reads it, so every public
    method of a resource takes ``lock`` (re-entrant: resources call each other).
    """

    url: str
    version: str = "9.9.5"
    clock: Callable[[], datetime] = utcnow
    ids: Sequences = field(default_factory=Sequences)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def now(self) -> datetime:
        """The shop's time to the whole second, as WordPress stores every date."""
        return self.clock().replace(microsecond=0)

    def next_id(self, sequence: str) -> int:
        return self.ids.next(sequence)

    def merge_meta(self, current: list[Json], changes: Any) -> None:
        merge_meta(current, changes, self.ids)
