"""Values as WordPress and PHP handle them: dates to the second, money, integer checks, JSON.

Also the shop's id sequences (WordPress's auto-increment tables) and meta data merging, which
every resource shares.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connect_hub_woocommerce.sandbox.errors import invalid_param

Json = dict[str, Any]
FIRST_IDS = {"post": 10, "user": 2, "webhook": 1, "note": 1, "item": 1, "meta": 1}
"""Where each sequence starts: posts (products, variations, orders), users (customers),
webhooks, comments (order notes), order items, meta rows."""


def utcnow() -> datetime:
    """Now in UTC, to the second (as WordPress stores dates)."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def wc_date(value: datetime | None) -> str | None:
    """A date as the REST API shows it: ``2025-01-31T12:00:00``, no zone, whole seconds."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value is not None else None


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def php_intval(value: Any) -> int:
    """PHP's ``intval``: what a batch item's ``stock_quantity`` becomes ("abc" -> 0, "7x" -> 7)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


def integer(value: Any) -> int | None:
    """WordPress's integer check: an int, or a string of digits ("5"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def decimal(value: Any, name: str) -> Decimal:
    """A number argument (empty is 0); a 400 naming ``name`` when it is not one."""
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise invalid_param(name, f"{name} is not a number.") from None


def price(value: Any) -> str:
    """A price as the shop keeps it: a numeric string, or empty."""
    if value in (None, ""):
        return ""
    return str(decimal(value, "price"))


def as_list(value: Any, name: str) -> list[Any]:
    """An array argument (missing is empty); a 400 naming ``name`` when it is not one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_param(name, f"{name} is not of type array.")
    return value


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def encode(data: Any) -> bytes:
    """JSON as PHP's ``wp_json_encode`` writes it: compact, ``\\/`` and ``\\uXXXX`` escapes."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


class Sequences:
    """The shop's auto-increment ids, one sequence per table (see ``FIRST_IDS``)."""

    def __init__(self) -> None:
        self._next = dict(FIRST_IDS)

    def reset(self) -> None:
        self._next = dict(FIRST_IDS)

    def next(self, sequence: str) -> int:
        value = self._next[sequence]
        self._next[sequence] = value + 1
        return value


def merge_meta(current: list[Json], changes: Any, ids: Sequences) -> None:
    """Apply ``meta_data`` changes as WooCommerce does: by key or id, else a new row."""
    for change in changes if isinstance(changes, list) else ():
        if not isinstance(change, dict) or "key" not in change:
            continue
        for meta in current:
            if meta["key"] == change["key"] or meta["id"] == change.get("id"):
                meta["value"] = change.get("value")
                break
        else:
            current.append(
                {"id": ids.next("meta"), "key": str(change["key"]), "value": change.get("value")}
            )
