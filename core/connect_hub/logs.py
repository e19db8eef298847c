"""The hub's logs: plain lines for people, or one JSON object per line for production.

What a line is about travels with the work in a context variable: :func:`bind` adds the
account, the integration and the event or delivery id to every line logged by the task that
is doing it (each actor runs as a task of its own, so two exports never mix their fields), and
the JSON format writes them as fields of their own::

    {"time": "2026-12-02T01:02:03.456Z", "level": "WARNING", "logger": "connect_hub.pipeline.exporting",
     "message": "...", "account": "acme", "integration": "warehouse", "delivery_id": 42}
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
FIELDS = ("account", "integration", "event_id", "delivery_id", "data_type")
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("connect_hub_log_fields", default=None)
_account: str | None = None
QUIET_LIBRARIES = ("dramatiq", "tortoise", "httpx", "httpcore")
"""Logged from WARNING only: their INFO lines come per message, query or request, and the hub
says itself what came of each. (httpx's line for each request it sends took 3 % of the embedded
hub's CPU in a profile.)"""
_json = False


def bind(**fields: Any) -> None:
    """Add ``fields`` to every line the current task (or thread) logs from now on."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})


def fields() -> dict[str, Any]:
    """The fields bound in the current task, with the process's account."""
    bound = _context.get() or {}
    return {"account": _account, **bound} if _account is not None else dict(bound)


def json_mode() -> bool:
    """Whether this process logs JSON (so commands say what they would print as log lines)."""
    return _json


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the bound fields, and the error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields(),
        }
        for name in FIELDS:  # given as logging's extra=
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "INFO", format: str = "text", *, account: str | None = None) -> None:
    """Set up the root logger for a command (``format`` is text or json)."""
    global _account, _json
    _account, _json = account, format == "json"
    handler = logging.StreamHandler()
    if format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(logging.WARNING)
