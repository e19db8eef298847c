"""CPU time and memory of processes, read from /proc (Linux), for the benchmark's accounting."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def rss_peak_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class CpuMeter:
    """CPU seconds spent by a changing set of processes since :meth:`start`.

    ``pids()`` is asked at every reading: a process that appears in between (a PostgreSQL
    backend a pool opened) counts from zero; one that is gone counts up to its last reading.
    """

    def __init__(self, pids: Callable[[], Iterable[int]]):
        self.pids = pids
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}

    def start(self) -> None:
        self._last = {}
        self._sample()
        self._start = dict(self._last)

    def read(self) -> float:
        self._sample()
        return sum(value - self._start.get(pid, 0.0) for pid, value in self._last.items())

    def _sample(self) -> None:
        for pid in set(self.pids()) | set(self._last):
            value = cpu_seconds(pid)
            if value > 0:
                self._last[pid] = value
