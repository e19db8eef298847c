"""What the WooCommerce connector declares: its flows, presets and settings."""

from __future__ import annotations

from connect_hub.manifest import DataType, Direction, Flow, Manifest, Preset, Setting, SettingType

MANIFEST = Manifest(
    name="woocommerce",
    title="WooCommerce",
    flows=(
        # Webhooks are hints (late, merged, never redelivered): polling reconciles.
        Flow(data_type=DataType.ORDERS, direction=Direction.IMPORT, reconcile="5m"),
        Flow(data_type=DataType.PRODUCTS, direction=Direction.IMPORT, timeframe="5m"),
        Flow(data_type=DataType.CHECKOUTS, direction=Direction.IMPORT),
        # Shipments a shop manager enters in the companion plugin's panel (shipment.created).
        Flow(data_type=DataType.SHIPMENTS, direction=Direction.IMPORT),
        # Customers have no date filter: the reconciliation is a full scan, so not too often.
        Flow(data_type=DataType.CONTACTS, direction=Direction.IMPORT, reconcile="1h"),
        Flow(data_type=DataType.CONTACTS, direction=Direction.EXPORT),
    ),
    presets=(
        Preset(
            name="shop-with-efulfillment",
            description="A shop whose orders a warehouse fulfils: stock and shipments come back.",
            flows=(
                Flow(data_type=DataType.STOCKS, direction=Direction.EXPORT, batch_size=100),
                Flow(data_type=DataType.SHIPMENTS, direction=Direction.EXPORT),
            ),
        ),
        Preset(
            name="shop-with-marketing-automation",
            description="A shop whose orders, checkouts and contacts feed a marketing tool.",
            flows=(),
        ),
    ),
    default_preset="shop-with-efulfillment",
    settings=(
        Setting(name="url", description="The shop's address, e.g. https://shop.example", type=SettingType.URL),
        Setting(
            name="api_key",
            description="REST API consumer key (ck_...), from WooCommerce > Settings > Advanced",
            type=SettingType.SECRET,
        ),
        Setting(name="api_secret", description="REST API consumer secret (cs_...)", type=SettingType.SECRET),
        Setting(
            name="webhook_secret",
            description=(
                "Secret that signs the shop's webhooks; when absent the hub derives one from its "
                "secret key (CONNECT_HUB_SECRET_KEY)"
            ),
            required=False,
            type=SettingType.SECRET,
        ),
        Setting(
            name="status_map",
            description=(
                "Custom WooCommerce order statuses mapped to hub statuses, "
                'e.g. {"awaiting-pickup": "processing"}; absent means {}'
            ),
            type=SettingType.MAPPING,
            required=False,
        ),
        Setting(
            name="barcode_meta_key",
            description=(
                "Product meta key that holds the barcode (e.g. _ean), for shops that keep it "
                "there rather than in the GTIN field; absent means the GTIN field"
            ),
            required=False,
        ),
        Setting(
            name="abandoned_after_minutes",
            description=(
                "Minutes a checkout (from the companion plugin) waits for its order before the "
                "hub counts it as abandoned"
            ),
            type=SettingType.INTEGER,
            minimum=1,
            required=False,
            default=30,
        ),
        Setting(
            name="pairing_code",
            description=(
                "The code the companion plugin shows under WooCommerce > Settings > Advanced > "
                "Connect Hub; with it, onboarding pairs the plugin (hub address and webhook "
                "secret). Once paired it is ignored; without it, 'connect-hub wordpress-plugin "
                "--pairing NAME' shows what to enter there by hand"
            ),
            required=False,
            type=SettingType.SECRET,
        ),
        Setting(
            name="max_concurrency",
            description="Most REST requests to the shop in flight at once",
            type=SettingType.INTEGER,
            minimum=1,
            maximum=100,
            required=False,
            default=4,
        ),
        Setting(
            name="requests_per_second",
            description="Most REST requests started per second",
            type=SettingType.NUMBER,
            minimum=0.1,
            required=False,
            default=10,
        ),
        Setting(
            name="timeout",
            description="How long to wait for the shop's answer to one request (30s, 2m)",
            type=SettingType.DURATION,
            minimum=1,
            required=False,
            default="30s",
        ),
    ),
)
