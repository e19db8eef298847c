"""The warehouse simulator in a process of its own, noting when each order first arrives.

    .venv/bin/python bench/warehouse.py --api-key KEY   # prints its URL on the first line

The shipped simulator (connect_hub_efulfillment.simulator), unchanged, behind one extra route
for the benchmark: ``GET /_bench/arrivals`` answers ``{"arrivals": {reference: t}, "creates":
{reference: n}}`` where ``t`` is ``time.monotonic()`` (one clock for every process of this
machine) when the order was first stored and ``n`` how many create requests its reference got;
``?count=1`` answers only ``{"count": n}``.
Its CPU is not the hub's, which is why it runs apart.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import uvicorn
from connect_hub.simulator.server import bind
from connect_hub_efulfillment.simulator.app import create_app
from connect_hub_efulfillment.simulator.state import WarehouseState

ARRIVALS_PATH = "/_bench/arrivals"


class TimedWarehouse(WarehouseState):
    """The simulator's state, remembering when each reference was first stored."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}

    def create_order(self, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        order, created = super().create_order(payload)
        if created:
            self.arrivals[order["reference"]] = time.monotonic()
        return order, created

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"arrivals": dict(self.arrivals), "creates": dict(self.create_requests)}


def with_arrivals(app: Any, state: TimedWarehouse) -> Any:
    """``app`` with :data:`ARRIVALS_PATH` answered in front of it."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == ARRIVALS_PATH:
            only_count = scope.get("query_string", b"").startswith(b"count")
            body = json.dumps({"count": len(state.arrivals)} if only_count else state.report()).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return asgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    state = TimedWarehouse()
    sock, url = bind("127.0.0.1", args.port, "warehouse simulator")
    print(url, flush=True)
    config = uvicorn.Config(with_arrivals(create_app(args.api_key, state), state), log_level="warning",
                            access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        state.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
