"""Counters across processes: each process of a hub on Redis publishes its registry there, and
the service adds up every process's snapshot at ``/metrics``.

Why Redis snapshots rather than prometheus-client's multiprocess mode: that mode shares files
in one folder, so it sees only the processes of one machine, and workers run "on any number of
machines" (DESIGN.md). Every process of a production hub already reaches the broker's Redis, so
the metrics go the way the work goes, with no scrape target per worker to configure.

A snapshot lives under ``<namespace>:metrics:<host>:<pid>`` for :data:`KEEP` seconds after its
last publication (so a stopped worker's counts stay in the sum a while, then leave it, which
Prometheus reads as a counter reset, as for any restart).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric

log = logging.getLogger(__name__)
PUBLISH_EVERY = 5.0
"""Seconds between two snapshots of a process."""
KEEP = 600
"""Seconds a snapshot counts after its process last published it."""


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def snapshot(registry: CollectorRegistry) -> list[dict[str, Any]]:
    """The registry's families as JSON-ready data (``*_created`` timestamps left out)."""
    return [
        {
            "name": family.name, "type": family.type, "doc": family.documentation,
            "samples": [[s.name, s.labels, s.value] for s in family.samples if not s.name.endswith("_created")],
        }
        for family in registry.collect()
    ]


def merged(families: Iterable[list[dict[str, Any]]]) -> list[Metric]:
    """The families of several snapshots with every sample added up across them."""
    out: dict[str, Metric] = {}
    sums: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for one in families:
        for family in one:
            if family["name"] not in out:
                out[family["name"]] = Metric(family["name"], family["doc"], family["type"])
                sums[family["name"]] = {}
            for name, labels, value in family["samples"]:
                key = (name, tuple(sorted(labels.items())))
                sums[family["name"]][key] = sums[family["name"]].get(key, 0.0) + value
    for name, metric in out.items():
        for (sample, labels), value in sums[name].items():
            metric.add_sample(sample, dict(labels), value)
    return list(out.values())


class Publisher:
    """Publishes one process's registry to Redis every :data:`PUBLISH_EVERY` seconds (a thread)."""

    def __init__(self, client: Any, namespace: str, registry: CollectorRegistry, *, every: float = PUBLISH_EVERY):
        self.client, self.registry, self.every = client, registry, every
        self.index = f"{namespace}:metrics"
        self.key = f"{self.index}:{process_name()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self) -> None:
        data = json.dumps(snapshot(self.registry))
        with self.client.pipeline() as pipe:
            pipe.set(self.key, data, ex=KEEP)
            pipe.zadd(self.index, {self.key: time.time()})
            pipe.execute()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="metrics-publisher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.publish()
            except Exception as exc:  # noqa: BLE001 - metrics never stop the work
                log.warning("could not publish this process's metrics to Redis: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.publish()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not publish this process's last metrics to Redis: %s", exc)


def other_processes(client: Any, namespace: str, *, besides: str | None = None) -> list[list[dict[str, Any]]]:
    """The snapshots every other live process of the hub published (besides ``besides``, a key)."""
    index = f"{namespace}:metrics"
    client.zremrangebyscore(index, "-inf", time.time() - KEEP)
    keys = [k.decode() if isinstance(k, bytes) else k for k in client.zrange(index, 0, -1)]
    keys = [k for k in keys if k != besides]
    if not keys:
        return []
    return [json.loads(raw) for raw in client.mget(keys) if raw is not None]
