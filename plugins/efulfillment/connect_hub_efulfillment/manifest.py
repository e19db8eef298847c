"""The e-fulfilment connector's manifest: orders out to the warehouse, stock and shipments back."""

from __future__ import annotations

from connect_hub.manifest import REALTIME, DataType, Direction, Flow, Manifest, Preset, Setting

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
        Setting(name="url", description="Base URL of the warehouse API, e.g. https://wh.example"),
        Setting(
            name="api_key", description="The warehouse API key (sent as X-Api-Key)", secret=True
        ),
        Setting(
            name="webhook_secret",
            description="The secret the warehouse signs its webhooks with; by default one "
            "derived from the hub's secret key",
            required=False,
            secret=True,
        ),
        Setting(
            name="send_statuses",
            description="Hub order statuses that are sent to the warehouse",
            required=False,
            default=["processing"],
        ),
        Setting(
            name="timeout",
            description="Seconds to wait for the warehouse before giving up on a request",
            required=False,
            default=10,
        ),
        Setting(
            name="max_connections",
            description="Most connections open to the warehouse at once",
            required=False,
            default=10,
        ),
    ),
)
