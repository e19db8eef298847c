"""``python -m connect_hub_efulfillment.simulator``: serve the warehouse simulator."""

from __future__ import annotations

import argparse
import os

from connect_hub_efulfillment.simulator.server import run_simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connect_hub_efulfillment.simulator",
        description="Serve a simulated e-fulfilment warehouse API (state lives in memory).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument(
        "--api-key",
        default=os.environ.get("WAREHOUSE_API_KEY"),
        help="the key clients send in X-Api-Key (default: $WAREHOUSE_API_KEY)",
    )
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("give --api-key or set WAREHOUSE_API_KEY")
    run_simulator(args.host, args.port, args.api_key)


if __name__ == "__main__":
    main()
