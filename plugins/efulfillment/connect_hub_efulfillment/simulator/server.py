"""Running the simulator: blocking for the command line, in a background thread for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from connect_hub_efulfillment.simulator.app import create_app
from connect_hub_efulfillment.simulator.state import WarehouseState

START_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving at ``url`` (no trailing slash) with key ``api_key``."""

    url: str
    api_key: str
    state: WarehouseState


def run_simulator(
    host: str,
    port: int,
    api_key: str,
    *,
    ship_after: float = 0.0,
    webhooks: Iterable[tuple[str, str]] = (),
) -> None:
    """Serve the simulator until interrupted (Ctrl-C)."""
    state = WarehouseState(ship_after=ship_after, webhooks=webhooks)
    try:
        uvicorn.run(create_app(api_key, state), host=host, port=port, log_level="info")
    finally:
        state.close()


@contextmanager
def running_simulator(
    port: int = 0,
    api_key: str = "sim-key",
    *,
    host: str = "127.0.0.1",
    state: WarehouseState | None = None,
    ship_after: float = 0.0,
    webhooks: Iterable[tuple[str, str]] = (),
) -> Iterator[RunningSimulator]:
    """Run the simulator in a background thread; yields once it accepts connections.

    ``port=0`` picks a free port. ``ship_after`` and ``webhooks`` configure a new state; give
    them or ``state``, not both. On exit the server stops (requests still sleeping in a fault
    are cut off after a second), the thread is joined, and the state's background timers and
    webhook deliveries stop.
    """
    if state is not None and (ship_after or webhooks):
        raise ValueError("give either state or ship_after/webhooks, not both")
    warehouse = (
        state if state is not None else WarehouseState(ship_after=ship_after, webhooks=webhooks)
    )
    try:
        with serving(
            create_app(api_key, warehouse), port, host=host, name="warehouse simulator"
        ) as url:
            yield RunningSimulator(url, api_key, warehouse)
    finally:
        warehouse.close()


@contextmanager
def serving(
    app: ASGIApp, port: int = 0, *, host: str = "127.0.0.1", name: str = "server"
) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread; yields its URL once it answers.

    The socket is bound before the server starts, so the URL is known and no other process can
    take the port in between. On exit the server stops and the thread is joined.
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
        raise RuntimeError(f"the {name} cannot listen on {host}:{port}: {exc}") from exc
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="asyncio",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"{name.replace(' ', '-')}-{bound_port}"
    )
    thread.daemon = True
    thread.start()
    try:
        _wait_until_serving(server, thread, host, bound_port, name)
        netloc = f"[{host}]" if family == socket.AF_INET6 else host
        yield f"http://{netloc}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


def _wait_until_serving(
    server: uvicorn.Server, thread: threading.Thread, host: str, port: int, name: str
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the {name} on port {port} stopped while starting")
        if server.started:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                return
            except OSError:
                pass
        time.sleep(0.01)
    raise RuntimeError(f"the {name} on port {port} did not start in {START_TIMEOUT}s")
