"""What a connector declares: data types x direction x timeframe, presets, settings."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class DataType(StrEnum):
    """The kinds of objects the hub keeps."""

    ORDERS = "orders"
    PRODUCTS = "products"
    STOCKS = "stocks"
    CHECKOUTS = "checkouts"
    SHIPMENTS = "shipments"
    CONTACTS = "contacts"


class Direction(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


REALTIME = "realtime"
_INTERVAL = re.compile(r"^(\d+)(s|m|h)$")


def timeframe_seconds(timeframe: str) -> float | None:
    """Seconds between polls for an interval timeframe (``5m``), None for ``realtime``."""
    if timeframe == REALTIME:
        return None
    match = _INTERVAL.match(timeframe)
    if not match:
        raise ValueError(f"timeframe must be 'realtime' or an interval like '30s', '5m', '1h', got {timeframe!r}")
    value, unit = int(match.group(1)), match.group(2)
    return float(value * {"s": 1, "m": 60, "h": 3600}[unit])


class Flow(BaseModel):
    """One direction of one data type, and how fast it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_type: DataType
    direction: Direction
    timeframe: str = REALTIME
    reconcile: str | None = None
    """For a real-time import: also poll this often (``5m``) so a missed webhook loses nothing."""
    batch_size: int | None = Field(None, ge=1, le=1000)
    """For an export: send pending deliveries together through ``hub_export_batch``, at most this
    many per call, the latest version of each record only (e.g. stock figures per SKU)."""

    @field_validator("timeframe", "reconcile")
    @classmethod
    def _valid_timeframe(cls, value: str | None) -> str | None:
        if value is not None:
            timeframe_seconds(value)
        return value

    def poll_every(self) -> float | None:
        """Seconds between polls of an import flow, or None if it is never polled."""
        if self.direction != Direction.IMPORT:
            return None
        return timeframe_seconds(self.reconcile) if self.reconcile else timeframe_seconds(self.timeframe)


class Setting(BaseModel):
    """A setting an integration of this connector needs in its YAML ``settings``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    required: bool = True
    secret: bool = False
    """A secret must come from an environment variable (``${VAR}``) and is never shown."""
    default: str | int | float | bool | list | dict | None = None


_LOOKBACK = re.compile(r"^(\d+)(h|d)$")
FIRST_IMPORT_DEFAULTS: dict[str, str] = {DataType.ORDERS: "7d"}
"""How far back a first import looks, per data type; anything not named takes the whole history."""


def lookback_seconds(value: str) -> float | None:
    """Seconds for ``7d`` / ``12h``; None for ``all`` (the whole history)."""
    if value == "all":
        return None
    match = _LOOKBACK.match(value)
    if not match:
        raise ValueError(f"a first-import look-back is 'all' or like '7d' or '12h', got {value!r}")
    return float(int(match.group(1)) * (86400 if match.group(2) == "d" else 3600))


class Preset(BaseModel):
    """A named set of flows a user picks at onboarding (e.g. ``shop-with-efulfillment``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    flows: tuple[Flow, ...]
    first_import: dict[DataType, str] = Field(default_factory=dict)
    """Look-backs of the first import that differ from FIRST_IMPORT_DEFAULTS (``7d``, ``all``)."""
    stock_source: bool = False
    """An integration on this preset is the only source of stock: other integrations' stock
    figures are not imported while one exists in the account."""

    @field_validator("first_import")
    @classmethod
    def _lookbacks(cls, value: dict[DataType, str]) -> dict[DataType, str]:
        for lookback in value.values():
            lookback_seconds(lookback)
        return value


class Manifest(BaseModel):
    """Everything a connector declares about itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    flows: tuple[Flow, ...] = ()
    """Flows that hold whatever the preset; presets add to them."""
    presets: tuple[Preset, ...] = ()
    default_preset: str | None = None
    settings: tuple[Setting, ...] = Field(default=())

    def preset(self, name: str | None) -> Preset | None:
        name = name or self.default_preset
        for preset in self.presets:
            if preset.name == name:
                return preset
        return None

    def flows_for(self, preset: str | None) -> tuple[Flow, ...]:
        """The flows an integration of this connector runs with the given preset."""
        chosen = self.preset(preset)
        return self.flows + (chosen.flows if chosen else ())

    def setting(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)
