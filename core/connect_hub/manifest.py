"""What a connector declares: data types x direction x timeframe, presets, settings."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connect_hub.settings import SettingType, SettingValueError, describe_type, read_value


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
    carries: tuple[str, ...] = ()
    """For an import: the canonical fields the connector brings in when it cannot carry them all
    (empty: all of them). A change from it leaves the record's other fields as they are, and the
    hub's own write coming back is recognised on these fields alone. List the fields it cannot
    carry in the connector's README."""

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
    """A setting an integration of this connector takes in its YAML ``settings``, with its type.

    Values are read as :data:`type` says when the account file loads (see
    :mod:`connect_hub.settings`); a value that does not fit is refused then, in one line naming
    the file, the place and the expected type. The connector receives the value read (an
    ``int``, seconds as a ``float``...), or the ``default`` read the same way when the setting
    is left out.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    type: SettingType = SettingType.TEXT
    required: bool = True
    default: str | int | float | bool | list | dict | None = None
    """The value an integration gets when it leaves the setting out (for optional settings)."""
    choices: tuple[str, ...] = ()
    """For ``choice``: the values allowed; for ``list``: the values its items may take."""
    minimum: float | None = None
    """For ``integer``, ``number`` and ``duration`` (seconds): the smallest value allowed."""
    maximum: float | None = None
    """For ``integer``, ``number`` and ``duration`` (seconds): the largest value allowed."""

    @property
    def secret(self) -> bool:
        """A secret must come from an environment variable (``${VAR}``) and is never shown."""
        return self.type == SettingType.SECRET

    @model_validator(mode="after")
    def _consistent(self) -> Setting:
        if self.type == SettingType.CHOICE and not self.choices:
            raise ValueError(f"setting {self.name!r}: a choice needs its choices")
        if self.choices and self.type not in (SettingType.CHOICE, SettingType.LIST):
            raise ValueError(f"setting {self.name!r}: only a choice or a list takes choices")
        bounded = (SettingType.INTEGER, SettingType.NUMBER, SettingType.DURATION)
        if (self.minimum is not None or self.maximum is not None) and self.type not in bounded:
            raise ValueError(f"setting {self.name!r}: only an integer, a number or a duration takes bounds")
        if self.required and self.default is not None:
            raise ValueError(f"setting {self.name!r}: a required setting has no default")
        if self.type == SettingType.SECRET and self.default is not None:
            raise ValueError(f"setting {self.name!r}: a secret has no default")
        if self.default is not None:
            try:
                self.read(self.default)
            except SettingValueError as exc:
                raise ValueError(f"setting {self.name!r}: the default does not fit: {exc}") from None
        return self

    def read(self, value: Any) -> Any:
        """``value`` read as this setting's type; raises SettingValueError saying what was expected."""
        return read_value(self.type, value, choices=self.choices, minimum=self.minimum, maximum=self.maximum)

    def expected(self) -> str:
        """What a value must be, in words: ``an integer of at least 1``."""
        return describe_type(self.type, self.choices, self.minimum, self.maximum)


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
