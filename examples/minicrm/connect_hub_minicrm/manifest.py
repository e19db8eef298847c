"""What the MiniCRM connector declares: flows and typed settings."""

from __future__ import annotations

from connect_hub.manifest import DataType, Direction, Flow, Manifest, Setting, SettingType

MANIFEST = Manifest(
    name="minicrm",
    title="MiniCRM",
    flows=(
        Flow(data_type=DataType.CONTACTS, direction=Direction.IMPORT, reconcile="15m"),
        Flow(data_type=DataType.CONTACTS, direction=Direction.EXPORT),
        Flow(data_type=DataType.ORDERS, direction=Direction.EXPORT),
    ),
    settings=(
        Setting(name="url", description="MiniCRM's address, e.g. https://acme.minicrm.example", type=SettingType.URL),
        Setting(name="api_key", description="An API key from MiniCRM > Settings > API", type=SettingType.SECRET),
        Setting(name="webhook_secret", description="Signs MiniCRM's webhooks; derived from the hub's key by default", type=SettingType.SECRET, required=False),
        Setting(name="timeout", description="How long to wait for one answer", type=SettingType.DURATION, minimum=0.1, required=False, default="10s"),
        Setting(name="page_size", description="Contacts per page when polling", type=SettingType.INTEGER, minimum=1, maximum=200, required=False, default=50),
    ),
)
