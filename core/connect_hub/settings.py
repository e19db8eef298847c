"""Typed connector settings: the types a setting may have, and how a YAML value is read as one.

A connector declares each setting's :class:`SettingType` in its manifest
(:class:`~connect_hub.manifest.Setting`). When an account file is loaded, every value is read
with :func:`read_value`, so a connector receives an ``int`` for an integer setting, seconds as a
``float`` for a duration, and so on. A value that does not fit raises :class:`SettingValueError`
whose text is what the user reads after the file and the place: ``expected an integer, got
'fifty'``. Values from environment variables arrive as text and are read the same way
(``"50"`` is a fine integer).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class SettingType(StrEnum):
    """What a setting holds, and so what a connector receives."""

    TEXT = "text"
    """Any text (``str``)."""
    SECRET = "secret"
    """Text that must come from an environment variable and is never shown (``str``)."""
    URL = "url"
    """An absolute ``http://`` or ``https://`` address (``str``, without a trailing slash)."""
    INTEGER = "integer"
    """A whole number (``int``), within ``minimum``/``maximum`` when given."""
    NUMBER = "number"
    """A number (``float``), within ``minimum``/``maximum`` when given."""
    BOOLEAN = "boolean"
    """``true`` or ``false`` (``bool``)."""
    CHOICE = "choice"
    """One of ``choices`` (``str``)."""
    DURATION = "duration"
    """A length of time: ``500ms``, ``30s``, ``5m``, ``2h``, ``1d``, or a number of seconds
    (``float`` seconds), within ``minimum``/``maximum`` seconds when given."""
    LIST = "list"
    """A list of texts (``list[str]``), each one of ``choices`` when given."""
    MAPPING = "mapping"
    """A mapping of texts to texts (``dict[str, str]``)."""


class SettingValueError(ValueError):
    """A value that does not fit its setting's type; the text says what was expected."""


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def describe_type(
    kind: SettingType, choices: Sequence[str] = (), minimum: float | None = None, maximum: float | None = None
) -> str:
    """How an error names what was expected: ``an integer from 1 to 100``, ``one of a, b``."""
    text = {
        SettingType.TEXT: "text",
        SettingType.SECRET: "a secret text",
        SettingType.URL: "an http(s) URL such as https://example.com",
        SettingType.INTEGER: "an integer",
        SettingType.NUMBER: "a number",
        SettingType.BOOLEAN: "true or false",
        SettingType.CHOICE: "one of " + ", ".join(choices),
        SettingType.DURATION: "a duration such as 30s, 5m or 2h",
        SettingType.LIST: "a list" + (" of " + ", ".join(choices) if choices else " of texts"),
        SettingType.MAPPING: "a mapping of texts to texts",
    }[kind]
    if kind in (SettingType.INTEGER, SettingType.NUMBER, SettingType.DURATION):
        unit = " seconds" if kind == SettingType.DURATION else ""
        if minimum is not None and maximum is not None:
            text += f" from {minimum:g} to {maximum:g}{unit}"
        elif minimum is not None:
            text += f" of at least {minimum:g}{unit}"
        elif maximum is not None:
            text += f" of at most {maximum:g}{unit}"
    return text


def read_value(
    kind: SettingType,
    value: Any,
    *,
    choices: Sequence[str] = (),
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    """``value`` (from YAML or an environment variable) read as ``kind``; raises SettingValueError."""
    expected = describe_type(kind, choices, minimum, maximum)

    def refuse(got: str | None = None) -> SettingValueError:
        shown = "" if kind == SettingType.SECRET else f", got {got or _show(value)}"
        return SettingValueError(f"expected {expected}{shown}")

    if kind in (SettingType.TEXT, SettingType.SECRET):
        if not isinstance(value, str):
            raise refuse()
        return value
    if kind == SettingType.URL:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise refuse()
        return value.rstrip("/")
    if kind == SettingType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise refuse()
    if kind == SettingType.CHOICE:
        if not isinstance(value, str) or value not in choices:
            raise refuse()
        return value
    if kind == SettingType.LIST:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise refuse()
        wrong = [item for item in value if choices and item not in choices]
        if wrong:
            raise refuse(f"{wrong[0]!r}")
        return list(value)
    if kind == SettingType.MAPPING:
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise refuse()
        return dict(value)
    number = _number(kind, value)
    if number is None:
        raise refuse()
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise refuse()
    return number


def _number(kind: SettingType, value: Any) -> float | int | None:
    """An integer, number or duration (in seconds), or None when ``value`` is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if kind == SettingType.DURATION and (match := _DURATION.match(text)):
            return float(match.group(1)) * _UNITS[match.group(2)]
        try:
            value = int(text) if kind == SettingType.INTEGER else float(text)
        except ValueError:
            return None
    if kind == SettingType.INTEGER:
        return value if isinstance(value, int) else None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _show(value: Any) -> str:
    """A value as an error shows it: short, and saying what kind of thing it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
