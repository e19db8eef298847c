"""The Dramatiq broker: in-process by default, Redis in production, tuned for fast recovery.

Dramatiq's Redis defaults re-queue a dead worker's messages only after a 60 s heartbeat timeout
and only when a random maintenance pass runs (0.1 % of commands); on a quiet hub that is many
minutes. We set a short heartbeat and frequent maintenance, and the sweeper re-sends anything
the store says is still pending, so recovery takes seconds either way.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from connect_hub.loop_worker import InProcessBroker

HEARTBEAT_TIMEOUT_MS = 5_000
MAINTENANCE_CHANCE = 100_000  # out of 1,000,000 commands: every tenth
QUEUE = "connect-hub"


def make_broker(url: str, namespace: str = "connect-hub") -> dramatiq.Broker:
    """A broker for ``memory://`` (in-process, its actors run on the loop: see
    :mod:`connect_hub.loop_worker`) or ``redis://...``, without Dramatiq's default 20-retry
    policy: the store counts attempts and schedules retries itself."""
    middleware = [AgeLimit(), TimeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(), Retries(max_retries=0)]
    if url == "memory://":
        broker: dramatiq.Broker = InProcessBroker(middleware=middleware)
    else:
        broker = RedisBroker(
            url=url,
            namespace=namespace,
            middleware=middleware,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    return broker


def oldest_waiting(broker: dramatiq.Broker) -> float | None:
    """Since when (``time.time()``) the message waiting longest for a worker has waited (sent, or
    due if it was delayed); None when none waits or the broker cannot tell."""
    if isinstance(broker, InProcessBroker):
        return broker.oldest_waiting()
    if isinstance(broker, RedisBroker):  # Dramatiq's layout: a list of ids, oldest first, and a hash of bodies
        key = f"{broker.namespace}:{QUEUE}"
        head = broker.client.lindex(key, 0)
        data = broker.client.hget(f"{key}.msgs", head) if head is not None else None
        if data is None:
            return None
        message = dramatiq.Message.decode(data)
        return max(message.message_timestamp, message.options.get("eta", 0)) / 1000
    return None
