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
    parser.add_argument(
        "--ship-after",
        type=float,
        default=0.0,
        help="seconds until a received order ships by itself (default 0: only when told to)",
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help="send stock.changed and order.shipped webhooks to URL (repeatable)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("WAREHOUSE_WEBHOOK_SECRET"),
        help="the secret that signs them (default: $WAREHOUSE_WEBHOOK_SECRET)",
    )
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("give --api-key or set WAREHOUSE_API_KEY")
    if args.webhook and not args.webhook_secret:
        parser.error("--webhook needs --webhook-secret or WAREHOUSE_WEBHOOK_SECRET")
    if args.ship_after < 0:
        parser.error("--ship-after must be >= 0")
    webhooks = [(url, args.webhook_secret) for url in args.webhook]
    run_simulator(args.host, args.port, args.api_key, ship_after=args.ship_after, webhooks=webhooks)


if __name__ == "__main__":
    main()
