"""The first import on two cores: a second process imports what ``connect-hub import`` polls.

An embedded hub polls and imports on one event loop, so the first import of a catalogue ran on
one core: fetching and reading the pages, storing them as events, then mapping, ruling and
writing each product. ``connect-hub import`` on the in-process broker now starts a second
process for the imports (:func:`start`), and only polls in its own.

The store hands the work over, not a queue: the second process looks for the integration's
pending events after the last it took (:func:`connect_hub.store.rows.pending_events_after`,
by primary key, so a look reads only what is new) and sends them to its own actors, the hub's
import and export actors as an embedded hub runs them. An event it never took is still
pending: if the second process dies, the first takes up what is left itself (:func:`take_over`,
once :meth:`Importer.alive` says it is gone), and nothing is lost or imported twice, since an
import claims its events and a done event is left alone.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as StopSignal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connect_hub.runtime import Runtime

LOOK_EVERY = 0.05
"""Seconds between two looks for new pending events while there were none."""
LOOK_AT_MOST = 500
"""Pending events taken at one look."""


@dataclass
class Importer:
    """The second process, seen from the first."""

    process: BaseProcess
    stop_signal: StopSignal

    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def exit_code(self) -> int | None:
        return self.process.exitcode

    def stop(self, timeout: float = 30) -> None:
        """Tell it to stop once it has sent what is pending, and wait (then end it)."""
        self.stop_signal.set()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def start(config: Path, integration: str) -> Importer:
    """Start the second process for an account file's ``integration`` (see the module docstring)."""
    context = multiprocessing.get_context("spawn")  # a new interpreter: no loop, thread or connection of ours
    stop_signal = context.Event()
    process = context.Process(target=_follow, args=(str(config), integration, stop_signal), name="connect-hub import", daemon=True)
    process.start()
    return Importer(process, stop_signal)


def take_over(runtime: Runtime, integration: str, first: int, last: int) -> None:
    """In the first process, once the second has died: consume here (which frees the leases the
    dead process held, :meth:`~connect_hub.runtime.Runtime.start_workers`) and wake the imports
    of what is still pending of the events ``first`` to ``last``."""
    from connect_hub.store import rows

    runtime.start_workers()
    after = first - 1
    while found := [i for i in runtime.run(rows.pending_events_after(runtime.account.name, integration, after, LOOK_AT_MOST)) if i <= last]:
        runtime.actors.send_imports(found)
        after = found[-1]


def _follow(config: str, integration: str, stop_signal: StopSignal) -> None:
    """The second process: send the integration's pending events to the actors, as they come,
    until told to stop with none left to send."""
    from connect_hub.config import load_config
    from connect_hub.embedded import HubProcess
    from connect_hub.logs import configure
    from connect_hub.pipeline.failures import cause
    from connect_hub.runtime import Runtime
    from connect_hub.store import rows

    configure("WARNING")
    runtime = Runtime(load_config(config), migrate=False)  # the first process has migrated the store
    hub = HubProcess(runtime, service=False, workers=True, scheduler=False)
    hub.start()
    account = runtime.account.name
    after = 0
    try:
        while True:
            found = runtime.run(rows.pending_events_after(account, integration, after, LOOK_AT_MOST))
            if found:
                runtime.actors.send_imports(found)
                after = found[-1]
            elif stop_signal.is_set():
                break
            else:
                time.sleep(LOOK_EVERY)
    except KeyboardInterrupt:  # the command was interrupted: its first process says so
        pass
    finally:
        try:
            hub.stop()
        except Exception as exc:  # noqa: BLE001 - stopping is best effort: what is not imported stays pending
            logging.getLogger(__name__).warning("the import process did not stop cleanly: %s", cause(exc))
