"""``python -m connect_hub_woocommerce.sandbox``: serve the WooCommerce sandbox shop."""

from __future__ import annotations

import argparse
import os

from connect_hub_woocommerce.sandbox.keys import PERMISSIONS, READ_WRITE, ApiKey
from connect_hub_woocommerce.sandbox.server import run_sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connect_hub_woocommerce.sandbox",
        description="Serve a simulated WooCommerce shop (REST API v3 and webhooks, in memory).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--url", help="the shop's public address (default: http://HOST:PORT)")
    parser.add_argument(
        "--key",
        default=os.environ.get("SHOP_API_KEY") or "ck_demo",
        help="consumer key (default: $SHOP_API_KEY, else ck_demo)",
    )
    parser.add_argument(
        "--secret",
        default=os.environ.get("SHOP_API_SECRET") or "cs_demo",
        help="consumer secret (default: $SHOP_API_SECRET, else cs_demo)",
    )
    parser.add_argument("--permissions", choices=PERMISSIONS, default=READ_WRITE)
    parser.add_argument("--version", default="9.9.5", help="WooCommerce version to report")
    parser.add_argument(
        "--custom-status", action="append", default=[], help="an extra order status (repeatable)"
    )
    parser.add_argument("--shipment-tracking", action="store_true", help="serve the extension")
    parser.add_argument(
        "--companion-plugin", action="store_true", help="serve the Connect Hub companion plugin"
    )
    parser.add_argument("--https-mode", action="store_true", help="accept Basic auth")
    parser.add_argument(
        "--queue-interval", type=float, default=1.0, help="seconds between webhook queue runs"
    )
    parser.add_argument(
        "--delivery-timeout", type=float, default=60.0, help="seconds before a delivery fails"
    )
    parser.add_argument("--seed", action="store_true", help="start with the demo catalogue")
    args = parser.parse_args(argv)
    run_sandbox(
        args.host,
        args.port,
        keys=[ApiKey(args.key, args.secret, args.permissions)],
        url=args.url,
        version=args.version,
        custom_statuses=args.custom_status,
        shipment_tracking=args.shipment_tracking,
        companion_plugin=args.companion_plugin,
        https_mode=args.https_mode,
        queue_interval=args.queue_interval,
        delivery_timeout=args.delivery_timeout,
        seed=args.seed,
    )


if __name__ == "__main__":
    main()
