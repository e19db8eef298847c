"""Serving a simulator's ASGI app on a local socket, in a background thread.

The socket is bound first, so its URL is known before the app is built (a shop's links and
webhook source carry it) and no other process can take the port in between.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT = 10.0


def bind(host: str, port: int, name: str) -> tuple[socket.socket, str]:
    """A listening-ready socket on ``host:port`` (0 picks a free port) and its ``http://`` URL.

    Raises RuntimeError, naming ``name``, when the port is taken.
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
    netloc = f"[{host}]" if family == socket.AF_INET6 else host
    return sock, f"http://{netloc}:{sock.getsockname()[1]}"


@contextmanager
def serving(app: ASGIApp, sock: socket.socket, *, name: str, lifespan: Literal["on", "off"] = "off") -> Iterator[None]:
    """Serve ``app`` on a socket from :func:`bind` until the block ends; returns once it answers.

    On exit the server stops (requests still running are cut off after a second), the thread
    is joined and the socket closed.
    """
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan, loop="asyncio", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"{name.replace(' ', '-')}-{port}", daemon=True)
    thread.start()
    try:
        _wait_until_serving(server, thread, host, port, name)
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


def _wait_until_serving(server: uvicorn.Server, thread: threading.Thread, host: str, port: int, name: str) -> None:
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


@contextmanager
def running_app(app: ASGIApp, *, port: int = 0, host: str = "127.0.0.1", name: str = "simulator") -> Iterator[str]:
    """Serve ``app`` on ``host:port`` (0: a free port) until the block ends; yields its URL."""
    sock, url = bind(host, port, name)
    with serving(app, sock, name=name):
        yield url
