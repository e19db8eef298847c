"""What changed between two versions of a record: field paths with their old and new values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MISSING: Any = object()


@dataclass(frozen=True)
class Change:
    """One field that differs: ``lines[0].quantity``, its value before and after (None: absent)."""

    path: str
    before: Any
    after: Any


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """The leaves that differ between two JSON values.

    Objects are compared key by key, in key order (a store may not keep the document's order),
    and lists position by position; a value that changes kind (a list that becomes a number) is
    one change at its path.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in sorted({*before, *after}):
            changes += diff(before.get(key, MISSING), after.get(key, MISSING), f"{path}.{key}" if path else str(key))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else MISSING
            new = after[index] if index < len(after) else MISSING
            changes += diff(old, new, f"{path}[{index}]")
        return changes
    if before == after:
        return []
    return [Change(path or "(whole object)", None if before is MISSING else before, None if after is MISSING else after)]
