"""A whole loop on one machine: the hub with a simulator for every integration that has one.

``connect-hub serve --simulators`` and ``connect-hub demo`` run it, and so do the end-to-end
tests. Each connector ships its simulator through the ``hub_simulator`` hook; it is started on
the address the account file gives the integration (``http://127.0.0.1:PORT``), with the keys
it gives it, so the hub talks to it exactly as it would to the real system.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from connect_hub.config import AccountConfig
from connect_hub.embedded import HubProcess, running_hub
from connect_hub.errors import ConfigError
from connect_hub.plugins import Plugins
from connect_hub.runtime import Runtime
from connect_hub.simulator import Simulator

S = TypeVar("S")


@dataclass
class World:
    hub: HubProcess
    simulators: dict[str, Simulator] = field(default_factory=dict)
    """Integration name -> its running simulator, in the order the account file names them."""

    def playing(self, role: type[S]) -> list[tuple[str, S]]:
        """The simulators that play ``role`` (:class:`~connect_hub.simulator.Storefront`,
        :class:`~connect_hub.simulator.Fulfiller`), with their integration's name."""
        return [(name, sim) for name, sim in self.simulators.items() if isinstance(sim, role)]


@contextmanager
def running_world(
    config: AccountConfig, *, pace: float = 3.0, migrate: bool = True, plugins: Plugins | None = None
) -> Iterator[World]:
    """Start the simulator of every integration whose connector ships one, then the hub (embedded).

    ``pace`` is passed to each simulator (how long a warehouse takes to pick an order, say).
    """
    with ExitStack() as stack:
        runtime = Runtime(config, plugins, migrate=migrate)
        simulators: dict[str, Simulator] = {}
        for name, integration in runtime.account.integrations.items():
            try:
                simulator = runtime.plugins.simulator(integration, pace)
                if simulator is not None:
                    simulators[name] = stack.enter_context(simulator)
            except ConfigError as exc:
                if exc.file is None:
                    raise ConfigError(exc.problem, file=config.source_file, path=exc.path) from None
                raise
        hub = stack.enter_context(running_hub(runtime, port=config.service.port))
        yield World(hub=hub, simulators=simulators)
