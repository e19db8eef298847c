"""Running the hub in a process: the service, workers and scheduler on the runtime's loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from connect_hub.metrics import REGISTRY
from connect_hub.metrics_sharing import Publisher
from connect_hub.runtime import Runtime
from connect_hub.scheduler import run_scheduler
from connect_hub.service.app import create_app

log = logging.getLogger(__name__)


class HubProcess:
    """What ``serve`` and ``worker`` run: any of HTTP service, workers and scheduler, one loop."""

    def __init__(self, runtime: Runtime, *, service: bool, workers: bool, scheduler: bool, port: int | None = None):
        self.runtime = runtime
        self.service, self.workers, self.scheduler = service, workers, scheduler
        self.port = runtime.config.service.port if port is None else port
        self.server: uvicorn.Server | None = None
        self._stop_scheduler: asyncio.Event | None = None
        self._futures: list[object] = []
        self.publisher: Publisher | None = None
        """With a Redis broker: this process's metrics, published for the service to add up."""

    def start(self) -> None:
        rt = self.runtime
        rt.start()
        if self.workers:
            rt.start_workers()
        assert rt.loop_thread is not None
        loop = rt.loop_thread.loop
        client = getattr(rt.broker, "client", None)
        if client is not None:
            self.publisher = Publisher(client, rt.broker.namespace, REGISTRY)
            self.publisher.start()
        if self.scheduler:
            self._stop_scheduler = rt.run(_make_event())
            self._futures.append(asyncio.run_coroutine_threadsafe(run_scheduler(rt, self._stop_scheduler), loop))
        if self.service:
            config = uvicorn.Config(
                create_app(rt), host=rt.config.service.host, port=self.port, lifespan="off",
                log_level="warning", access_log=False, log_config=None,  # uvicorn logs through ours (text or JSON)
            )
            self.server = uvicorn.Server(config)
            self._futures.append(asyncio.run_coroutine_threadsafe(self.server.serve(), loop))
            for _ in range(200):
                if self.server.started:
                    break
                threading.Event().wait(0.025)
            else:
                raise RuntimeError(f"the HTTP service did not start on {rt.config.service.host}:{self.port}")
            if self.port == 0:
                self.port = self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.runtime.config.service.host}:{self.port}"

    def stop(self) -> None:
        rt = self.runtime
        if self.server is not None:
            self.server.should_exit = True
        if self._stop_scheduler is not None and rt.loop_thread is not None:
            rt.loop_thread.loop.call_soon_threadsafe(self._stop_scheduler.set)
        for future in self._futures:
            try:
                future.result(timeout=15)  # type: ignore[attr-defined]
            except Exception:
                log.exception("a hub task ended with an error")
        if self.publisher is not None:
            self.publisher.stop()
        rt.stop()

    def wait_for_signal(self) -> None:
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        stopped.wait()


async def _make_event() -> asyncio.Event:
    return asyncio.Event()


@contextmanager
def running_hub(runtime: Runtime, *, service: bool = True, workers: bool = True, scheduler: bool = True, port: int | None = None) -> Iterator[HubProcess]:
    """Run a hub in this process for the duration of the block (used by tests and the demo)."""
    process = HubProcess(runtime, service=service, workers=workers, scheduler=scheduler, port=port)
    process.start()
    try:
        yield process
    finally:
        process.stop()
