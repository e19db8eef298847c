"""Running the sandbox shop: blocking for the command line, in a background thread for tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from connect_hub.simulator.server import bind, serving

from connect_hub_woocommerce.sandbox.app import create_app
from connect_hub_woocommerce.sandbox.keys import ApiKey
from connect_hub_woocommerce.sandbox.state import ShopState

DEMO_KEY = ApiKey("ck_demo", "cs_demo")


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox shop serving at ``url`` (no trailing slash); ``consumer_key``/``_secret`` is
    the first configured key."""

    url: str
    state: ShopState
    consumer_key: str
    consumer_secret: str


def _state(
    url: str,
    keys: Iterable[ApiKey],
    version: str,
    custom_statuses: Iterable[str],
    shipment_tracking: bool,
    companion_plugin: bool = False,
) -> ShopState:
    key_list = list(keys)
    if not key_list:
        raise ValueError("the sandbox needs at least one API key")
    return ShopState(
        keys=key_list,
        url=url,
        version=version,
        custom_statuses=tuple(custom_statuses),
        shipment_tracking=shipment_tracking,
        companion_plugin=companion_plugin,
    )


def run_sandbox(
    host: str,
    port: int,
    *,
    keys: Iterable[ApiKey] = (DEMO_KEY,),
    url: str | None = None,
    version: str = "9.9.5",
    custom_statuses: Iterable[str] = (),
    shipment_tracking: bool = False,
    companion_plugin: bool = False,
    https_mode: bool = False,
    queue_interval: float | None = 1.0,
    delivery_timeout: float = 60.0,
    seed: bool = False,
) -> None:
    """Serve the sandbox until interrupted (Ctrl-C); ``url`` is the shop's public address."""
    state = _state(
        url or f"http://{host}:{port}",
        keys,
        version,
        custom_statuses,
        shipment_tracking,
        companion_plugin,
    )
    if seed:
        state.seed()
    app = create_app(
        state,
        https_mode=https_mode,
        queue_interval=queue_interval,
        delivery_timeout=delivery_timeout,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")


@contextmanager
def running_sandbox(
    port: int = 0,
    *,
    keys: Iterable[ApiKey] = (DEMO_KEY,),
    host: str = "127.0.0.1",
    version: str = "9.9.5",
    custom_statuses: Iterable[str] = (),
    shipment_tracking: bool = False,
    companion_plugin: bool = False,
    https_mode: bool = False,
    queue_interval: float | None = 1.0,
    delivery_timeout: float = 60.0,
    seed: bool = False,
) -> Iterator[RunningSandbox]:
    """Run the sandbox in a background thread; yields once it accepts connections.

    ``port=0`` picks a free port. The socket is bound before the server starts, so the URL (and
    with it the shop URL in links and ``X-WC-Webhook-Source``) is known and no other process
    can take the port in between. ``queue_interval`` None runs the webhook queue only through
    ``POST /_sandbox/run-queue`` (deterministic tests). ``companion_plugin`` serves the
    companion plugin's routes (``/wp-json/connect-hub/v1``, pairing code
    ``SANDBOX_PAIRING_CODE``) and its control routes. On exit the server stops and the thread
    is joined.
    """
    sock, url = bind(host, port, "WooCommerce sandbox")
    state = _state(url, keys, version, custom_statuses, shipment_tracking, companion_plugin)
    if seed:
        state.seed()
    app = create_app(
        state,
        https_mode=https_mode,
        queue_interval=queue_interval,
        delivery_timeout=delivery_timeout,
    )
    with serving(app, sock, name="WooCommerce sandbox", lifespan="on"):
        first = state.keys.first()
        yield RunningSandbox(url, state, first.consumer_key, first.consumer_secret)
