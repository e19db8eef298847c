"""Running the sandbox shop: blocking for the command line, in a background thread for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from connect_hub_woocommerce.sandbox.app import create_app
from connect_hub_woocommerce.sandbox.state import ApiKey, ShopState

START_TIMEOUT = 10.0
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
        keys={key.consumer_key: key for key in key_list},
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
        url or f"http://{host}:{port}", keys, version, custom_statuses, shipment_tracking,
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
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then,
    # and without it every keep-alive answer waits ~40 ms for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(
            f"the WooCommerce sandbox cannot listen on {host}:{port}: {exc}"
        ) from exc
    bound_port = sock.getsockname()[1]
    netloc = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{netloc}:{bound_port}"
    state = _state(url, keys, version, custom_statuses, shipment_tracking, companion_plugin)
    if seed:
        state.seed()
    app = create_app(
        state,
        https_mode=https_mode,
        queue_interval=queue_interval,
        delivery_timeout=delivery_timeout,
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        loop="asyncio",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"woocommerce-sandbox-{bound_port}"
    )
    thread.daemon = True
    thread.start()
    try:
        _wait_until_serving(server, thread, host, bound_port)
        first = next(iter(state.keys.values()))
        yield RunningSandbox(url, state, first.consumer_key, first.consumer_secret)
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


def _wait_until_serving(
    server: uvicorn.Server, thread: threading.Thread, host: str, port: int
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the WooCommerce sandbox on port {port} stopped while starting")
        if server.started:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                return
            except OSError:
                pass
        time.sleep(0.01)
    raise RuntimeError(f"the WooCommerce sandbox on port {port} did not start in {START_TIMEOUT}s")
