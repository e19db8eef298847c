"""The Dramatiq broker: in-process by default, Redis in production, tuned for fast recovery.

Dramatiq's Redis defaults re-queue a dead worker's messages only after a 60 s heartbeat timeout
and only when a random maintenance pass runs (0.1 % of commands); on a quiet hub that is many
minutes. We set a short heartbeat and frequent maintenance, and the sweeper re-sends anything
the store says is still pending, so recovery takes seconds either way.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

HEARTBEAT_TIMEOUT_MS = 5_000
MAINTENANCE_CHANCE = 100_000  # out of 1,000,000 commands: every tenth
QUEUE = "connect-hub"


def make_broker(url: str, namespace: str = "connect-hub") -> dramatiq.Broker:
    """A broker for ``memory://`` or ``redis://...``, without Dramatiq's default 20-retry policy:
    the store counts attempts and schedules retries itself."""
    middleware = [AgeLimit(), TimeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(), Retries(max_retries=0)]
    if url == "memory://":
        broker: dramatiq.Broker = StubBroker(middleware=middleware)
    else:
        broker = RedisBroker(
            url=url,
            namespace=namespace,
            middleware=middleware,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    return broker
