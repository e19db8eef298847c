"""The Dramatiq broker: in-process by default, Redis in production, tuned for fast recovery.

Dramatiq's Redis defaults re-queue a dead worker's messages only after a 60 s heartbeat timeout
and only when a random maintenance pass runs (0.1 % of commands); on a quiet hub that is many
minutes. We set a short heartbeat and frequent maintenance, and the sweeper re-sends anything
the store says is still pending, so recovery takes seconds either way.
"""

from __future__ import annotations

from uuid import uuid4

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
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


def enqueue_all(broker: dramatiq.Broker, messages: list[dramatiq.Message]) -> None:
    """Enqueue ``messages`` (none delayed): on Redis in one round trip, a pipeline of the Redis
    broker's own ``enqueue`` script calls with the arguments its ``enqueue`` gives them (a
    webhook group's wake-ups cost one round trip instead of one each); elsewhere one by one."""
    if not isinstance(broker, RedisBroker) or len(messages) < 2:
        for message in messages:
            broker.enqueue(message)
        return
    dispatch = broker.scripts["dispatch"]
    pipe = broker.client.pipeline(transaction=False)
    sent = []
    for message in messages:
        message = message.copy(options={"redis_message_id": str(uuid4())})
        broker.emit_before("enqueue", message, None)
        dispatch(keys=[broker.namespace], client=pipe, args=[
            "enqueue", current_millis(), message.queue_name, broker.broker_id, broker.heartbeat_timeout,
            broker.dead_message_ttl, broker._should_do_maintenance("enqueue"), broker._max_unpack_size(),
            message.options["redis_message_id"], message.encode(),
        ])  # fmt: skip
        sent.append(message)
    pipe.execute()
    for message in sent:
        broker.emit_after("enqueue", message, None)
