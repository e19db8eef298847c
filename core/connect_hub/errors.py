"""The hub's exception tree; connectors raise these so the core knows what to do next.

    HubError
    ├── ConfigError            a configuration file is wrong (names file and path)
    ├── PluginError            a plugin is missing or broken (names the plugin)
    ├── MappingError           an incoming object cannot become a canonical one (kept as failed)
    └── ExportError            an export did not happen
        ├── TransientError     try again later (timeouts, 429, 5xx); may carry retry_after
        └── PermanentError     retrying will not help (400, 401, 404, validation)

Messages must say what a person needs to act and must never contain a secret.
"""

from __future__ import annotations


class HubError(Exception):
    """Base class of every error the hub raises on purpose."""


class ConfigError(HubError):
    """A configuration file is invalid. ``str()`` is one line naming file, path and problem."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = file
        self.path = path
        self.problem = message
        where = ": ".join(p for p in (file, path) if p)
        super().__init__(f"{where}: {message}" if where else message)


class PluginError(HubError):
    """A plugin cannot be loaded or does not honour the hook specs."""


class MappingError(HubError):
    """An incoming object cannot be turned into a canonical object; the event is kept as failed."""


class ExportError(HubError):
    """Base of export failures."""


class TransientError(ExportError):
    """Temporary failure: the delivery is retried with backoff.

    ``retry_after`` (seconds) is honoured when the remote side said how long to wait.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ExportError):
    """Failure that retrying will not fix: the delivery is marked failed, replayable by hand."""
