"""Presets set directions and first-import look-backs; the YAML can still override both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from connect_hub.account import build_account
from connect_hub.config import parse_config
from connect_hub.errors import ConfigError
from connect_hub.manifest import DataType
from connect_hub.pipeline.polling import polled_flows
from connect_hub.plugins import Plugins
from support import ENV, account_yaml

BASE = account_yaml(account="acme", store="sqlite://var/x.db", warehouse_url="http://127.0.0.1:9")


def build(text: str):
    return build_account(parse_config(text, file="acme.yaml", environ=ENV), Plugins.load())


def with_shop_options(options: str) -> str:
    return BASE.replace("    preset: shop-with-efulfillment\n", f"    preset: shop-with-efulfillment\n{options}")


def test_the_shop_with_efulfillment_preset_exports_stock_and_shipments_to_the_shop() -> None:
    shop = build(BASE).integrations["shop"]
    assert shop.exports(DataType.STOCKS) and shop.exports(DataType.SHIPMENTS)
    assert shop.imports(DataType.ORDERS) and shop.imports(DataType.PRODUCTS) and shop.imports(DataType.CHECKOUTS)
    assert shop.imports(DataType.CONTACTS) and shop.exports(DataType.CONTACTS)


def test_the_marketing_preset_is_the_same_without_stock_and_shipments() -> None:
    shop = build(BASE.replace("preset: shop-with-efulfillment", "preset: shop-with-marketing-automation")).integrations["shop"]
    assert not shop.exports(DataType.STOCKS) and not shop.exports(DataType.SHIPMENTS)
    assert shop.imports(DataType.ORDERS) and shop.exports(DataType.CONTACTS)


def test_first_imports_look_back_7_days_for_orders_and_take_the_whole_history_otherwise() -> None:
    shop = build(BASE).integrations["shop"]
    since = shop.first_import_since(DataType.ORDERS)
    assert since is not None and abs((datetime.now(UTC) - since) - timedelta(days=7)) < timedelta(seconds=5)
    assert shop.first_import_since(DataType.PRODUCTS) is None
    assert shop.first_import_since(DataType.CONTACTS) is None


def test_yaml_overrides_directions_timeframes_and_look_backs() -> None:
    shop = build(with_shop_options("    flows: {stocks: {export: false}, products: {import: 15m}}\n    first_import: {orders: 30d}\n")).integrations["shop"]
    assert not shop.exports(DataType.STOCKS)
    assert shop.flow(DataType.PRODUCTS, "import").timeframe == "15m"
    since = shop.first_import_since(DataType.ORDERS)
    assert abs((datetime.now(UTC) - since) - timedelta(days=30)) < timedelta(seconds=5)


def test_an_interval_on_a_realtime_import_polls_that_often_and_nothing_else() -> None:
    account = build(with_shop_options("    flows: {orders: {import: 30s}}\n"))
    orders = account.integrations["shop"].flow(DataType.ORDERS, "import")
    assert (orders.timeframe, orders.reconcile, orders.poll_every()) == ("30s", None, 30.0)
    assert ("shop", DataType.ORDERS, 30.0) in polled_flows(account)  # what the scheduler polls by


def test_realtime_on_a_polled_import_keeps_its_interval_as_the_reconciliation() -> None:
    shop = build(with_shop_options("    flows: {products: {import: realtime}}\n")).integrations["shop"]
    products = shop.flow(DataType.PRODUCTS, "import")
    assert (products.timeframe, products.reconcile, products.poll_every()) == ("realtime", "5m", 300.0)


def test_an_interval_on_an_export_is_refused_naming_the_place() -> None:
    with pytest.raises(ConfigError, match=r"integrations.shop.flows.stocks.export: an export runs as changes come"):
        build(with_shop_options("    flows: {stocks: {export: 15m}}\n"))


def test_subtracting_unsent_orders_is_refused_where_there_is_no_stock_source() -> None:
    with pytest.raises(ConfigError, match=r"integrations.shop.subtract_unsent_orders: applies only to the stock source"):
        build(with_shop_options("    subtract_unsent_orders: true\n"))


def test_an_override_the_connector_cannot_do_is_an_error_naming_the_place() -> None:
    with pytest.raises(ConfigError, match=r"integrations.shop.flows.orders.export: connector 'woocommerce' cannot export orders"):
        build(with_shop_options("    flows: {orders: {export: true}}\n"))


def test_a_bad_look_back_is_an_error_naming_the_place() -> None:
    with pytest.raises(ConfigError, match=r"integrations.shop.first_import: a first-import look-back is 'all' or like '7d'"):
        build(with_shop_options("    first_import: {orders: a week}\n"))
