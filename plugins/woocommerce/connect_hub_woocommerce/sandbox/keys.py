"""REST API keys with their permissions, and the OAuth nonces each key has used."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

READ = "read"
WRITE = "write"
READ_WRITE = "read_write"
PERMISSIONS = (READ, WRITE, READ_WRITE)
NONCE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class ApiKey:
    """A REST API key pair with its permission: ``read``, ``write`` or ``read_write``."""

    consumer_key: str
    consumer_secret: str
    permissions: str = READ_WRITE

    def __post_init__(self) -> None:
        if self.permissions not in PERMISSIONS:
            raise ValueError(f"permissions must be one of {PERMISSIONS}, not {self.permissions!r}")


class Keys:
    """The shop's API keys (fixed at start) and the nonces used within the last 15 minutes."""

    def __init__(self, keys: Iterable[ApiKey]):
        self._keys = {key.consumer_key: key for key in keys}
        self._nonces: dict[str, OrderedDict[str, datetime]] = {}
        self._lock = threading.Lock()

    def first(self) -> ApiKey:
        return next(iter(self._keys.values()))

    def get(self, consumer_key: str) -> ApiKey | None:
        return self._keys.get(consumer_key)

    def use_nonce(self, consumer_key: str, nonce: str, now: datetime) -> bool:
        """Record ``nonce`` for the key; False when it was used within the last 15 minutes.

        A key's nonces are kept in the order they came, and the expired ones leave from the
        front: a request costs what expired since the last one. Each request used to look at
        every nonce of the window, so a catalogue's poll (thousands of requests in 15 minutes)
        slowed the shop down as it went. A clock set back (a test's) only keeps nonces longer."""
        with self._lock:
            used = self._nonces.setdefault(consumer_key, OrderedDict())
            while used and next(iter(used.values())) < now - NONCE_WINDOW:
                used.popitem(last=False)
            if nonce in used:
                return False
            used[nonce] = now
            return True

    def forget_nonces(self) -> None:
        with self._lock:
            self._nonces.clear()

    def __len__(self) -> int:
        return len(self._keys)
