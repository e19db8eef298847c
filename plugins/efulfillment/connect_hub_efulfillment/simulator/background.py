"""The warehouse's own clock: an asyncio loop in a daemon thread for timers and outgoing webhooks.

It runs apart from the web server's loop, so a test that changes the state directly (from its own
thread) fires webhooks and timers just as a request would. It starts on first use and
:meth:`BackgroundLoop.stop` ends it; using it again afterwards starts a new one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

STOP_TIMEOUT = 5.0


class BackgroundLoop:
    """Run callbacks later and coroutines in the background, from any thread."""

    def __init__(self, name: str = "warehouse-floor"):
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        """Call ``callback(*args)`` on the loop's thread after ``delay`` seconds."""
        self.spawn(_later(delay, callback, args))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run ``coroutine`` as a task of the loop; it is cancelled by :meth:`cancel_all`."""
        asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())

    def cancel_all(self) -> None:
        """Cancel every task and timer that is waiting (without stopping the loop)."""
        with self._lock:
            loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(_cancel_others(), loop).result(STOP_TIMEOUT)

    def stop(self) -> None:
        """Cancel what is waiting, stop the loop and join its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(_cancel_others(), loop).result(STOP_TIMEOUT)
        except TimeoutError:
            pass  # thousands of deliveries still unwinding: stop the loop regardless
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_run, args=(loop,), name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _run(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


async def _later(delay: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
    await asyncio.sleep(delay)
    callback(*args)


async def _cancel_others() -> None:
    """Cancel every other task of the running loop (timers included) and wait for them."""
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
