"""Pacing the webhook answers under a burst, so that the pipeline keeps its share of the loop.

In embedded mode the HTTP service and the actors share one event loop. Accepting a webhook
costs a fraction of importing and exporting its order, so a burst of webhooks, each answered at
once, fills the actors' queue faster than they empty it: the hub does almost nothing but accept,
and orders reach the warehouse only after the burst. :class:`Pace` holds the answer to a
webhook that is already stored (accepted means stored: nothing waits to be kept) while more
messages wait for their actors than ``limit``, for at most ``longest`` seconds (the account
file's ``service.pacing.backlog_limit`` and ``longest_hold``, 256 and 1 s unless set). A sender
that waits for its answer (WooCommerce does, one delivery at a time) then sends at the rate the
pipeline keeps up with; an answer is never held long enough for a sender to time out.

Only a broker that can tell its backlog cheaply is paced (the in-process one); with Redis the
workers are other processes, with their own CPU, and the service answers at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

STEP = 0.005
"""Seconds between two looks at the backlog while an answer is held."""


class Pace:
    """Holds webhook answers while ``backlog()`` is over ``limit`` (see the module docstring)."""

    def __init__(self, backlog: Callable[[], int] | None, *, limit: int, longest: float):
        self.backlog, self.limit, self.longest = backlog, limit, longest

    async def wait(self) -> None:
        if self.backlog is None or self.backlog() <= self.limit:
            return
        deadline = time.monotonic() + self.longest
        while self.backlog() > self.limit and time.monotonic() < deadline:
            await asyncio.sleep(STEP)
