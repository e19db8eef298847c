"""Template filters: times as a person reads them, states as words, JSON as text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def at(value: datetime | None) -> str:
    """``2026-12-01 22:10:54 UTC``, or a dash."""
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """``12 s ago``, ``5 min ago``, ``3 h ago``, ``2 days ago``; ``never`` for None."""
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    if seconds < 0:
        return f"in {duration(-seconds)}"
    return f"{duration(seconds)} ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def took(start: datetime | None, end: datetime | None) -> str:
    """How long from ``start`` to ``end``."""
    if start is None or end is None:
        return "-"
    return duration((end - start).total_seconds())


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def short(value: Any, length: int = 80) -> str:
    """A JSON value on one line, cut to ``length`` characters."""
    text = "absent" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= length else text[: length - 1] + "\u2026"


FILTERS = {"at": at, "ago": ago, "took": took, "duration": duration, "as_json": as_json, "short": short}
