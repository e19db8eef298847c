"""The e-fulfilment connector's manifest: orders out to the warehouse, stock and shipments back."""

from __future__ import annotations

from connect_hub.canonical import OrderStatus
from connect_hub.manifest import (
    REALTIME,
    DataType,
    Direction,
    Flow,
    Manifest,
    Preset,
    Setting,
    SettingType,
)

STOCK_RECONCILE = "15m"
"""How often the whole stock list is polled besides the stock.changed webhooks."""

FULFILMENT_FLOWS = (
    Flow(data_type=DataType.ORDERS, direction=Direction.EXPORT, timeframe=REALTIME),
    Flow(
        data_type=DataType.STOCKS,
        direction=Direction.IMPORT,
        timeframe=REALTIME,
        reconcile=STOCK_RECONCILE,
    ),
    Flow(data_type=DataType.SHIPMENTS, direction=Direction.IMPORT, timeframe=REALTIME),
)

MANIFEST = Manifest(
    name="efulfillment",
    title="E-fulfilment warehouse",
    presets=(
        Preset(
            name="fulfilment",
            description="The warehouse ships the shop's orders and reports stock and shipments.",
            flows=FULFILMENT_FLOWS,
            stock_source=True,
        ),
    ),
    default_preset="fulfilment",
    settings=(
        Setting(
            name="url",
            description="Base URL of the warehouse API, e.g. https://wh.example",
            type=SettingType.URL,
        ),
        Setting(
            name="api_key", description="The warehouse API key (sent as X-Api-Key)", type=SettingType.SECRET
        ),
        Setting(
            name="webhook_secret",
            description="The secret the warehouse signs its webhooks with; by default one "
            "derived from the hub's secret key",
            required=False,
            type=SettingType.SECRET,
        ),
        Setting(
            name="send_statuses",
            description="Hub order statuses that are sent to the warehouse",
            type=SettingType.LIST,
            choices=tuple(OrderStatus),
            required=False,
            default=["processing"],
        ),
        Setting(
            name="timeout",
            description="How long to wait for the warehouse before giving up on a request (10s)",
            type=SettingType.DURATION,
            minimum=0.1,
            required=False,
            default="10s",
        ),
        Setting(
            name="max_connections",
            description="Most connections open to the warehouse at once",
            type=SettingType.INTEGER,
            minimum=1,
            maximum=1000,
            required=False,
            default=10,
        ),
    ),
)
