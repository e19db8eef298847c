"""Account files: exact error places, unknown keys, environment secrets, one-line CLI errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from connect_hub.account import build_account
from connect_hub.config import parse_config
from connect_hub.errors import ConfigError
from connect_hub.plugins import Plugins
from support import ENV, account_yaml

GOOD = account_yaml(account="acme", store="sqlite://var/x.db", warehouse_url="http://127.0.0.1:9")


def errors_of(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        build_account(parse_config(text, file="acme.yaml", environ=environ or ENV), Plugins.load())
    return str(caught.value)


def test_a_valid_file_builds_both_integrations_with_their_preset_flows() -> None:
    account = build_account(parse_config(GOOD, file="acme.yaml", environ=ENV), Plugins.load())
    assert set(account.integrations) == {"shop", "warehouse"}
    assert account.integrations["shop"].exports("stocks")
    assert account.integrations["warehouse"].exports("orders")
    assert not account.integrations["warehouse"].exports("stocks")


def test_an_unknown_key_names_its_path() -> None:
    text = GOOD.replace("      url: https://shop.example", "      url: https://shop.example\n      ulr: typo")
    assert errors_of(text).startswith("acme.yaml: integrations.shop.settings.ulr: unknown setting (a typo? woocommerce takes: url, api_key, api_secret,")


def test_an_unknown_top_level_key_is_an_error() -> None:
    assert errors_of(GOOD + "brokr: redis://x\n") == "acme.yaml: brokr: unknown key (a typo?)"


def test_a_missing_environment_variable_names_the_place() -> None:
    environ = {k: v for k, v in ENV.items() if k != "TEST_SHOP_KEY"}
    assert errors_of(GOOD, environ) == "acme.yaml: integrations.shop.settings.api_key: environment variable TEST_SHOP_KEY is not set"


def test_a_secret_written_in_clear_is_refused() -> None:
    text = GOOD.replace("api_key: ${TEST_WAREHOUSE_KEY}", "api_key: plain-text-key")
    assert "integrations.warehouse.settings.api_key: a secret must come from an environment variable" in errors_of(text)


def test_an_unknown_connector_names_the_known_ones() -> None:
    text = GOOD.replace("connector: efulfillment", "connector: efulfilment")
    assert errors_of(text) == "acme.yaml: integrations.warehouse.connector: unknown connector 'efulfilment' (known: efulfillment, woocommerce)"


def test_an_unknown_preset_is_an_error() -> None:
    assert "integrations.shop.preset: connector 'woocommerce' has no preset 'nope'" in errors_of(GOOD.replace("preset: shop-with-efulfillment", "preset: nope"))


def test_a_missing_required_setting_says_what_it_is() -> None:
    assert "integrations.warehouse.settings.url: is required" in errors_of(GOOD.replace("      url: http://127.0.0.1:9\n", ""))


def test_broken_yaml_names_line_and_column() -> None:
    message = errors_of("account: acme\nintegrations: [\n")
    assert message.startswith("acme.yaml: line 3, column 1: not valid YAML")


def test_a_rule_with_an_unknown_operator_is_an_error_naming_the_rule() -> None:
    rules = """
rules:
  - name: keep test orders out
    stage: export
    when: {field: email, op: endz_with, value: "@test.example"}
    then: [{block_export: warehouse}]
"""
    assert "rules[0].when.op: rule 'keep test orders out': unknown operator 'endz_with'" in errors_of(GOOD + rules)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", *args], capture_output=True, text=True,
        env={**os.environ, **ENV, "COLUMNS": "300"}, cwd=cwd, timeout=60, check=False,
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("account: acme\nintegrations: [\n", "bad.yaml: line 3, column 1: not valid YAML"),
        (GOOD.replace("connector: efulfillment", "connector: nosuch"), "integrations.warehouse.connector: unknown connector 'nosuch'"),
        (GOOD.replace("${TEST_SHOP_KEY}", "${NOT_SET_ANYWHERE}"), "environment variable NOT_SET_ANYWHERE is not set"),
    ],
    ids=["broken-yaml", "unknown-connector", "missing-env"],
)
def test_the_cli_gives_one_line_and_no_traceback(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    result = cli("check-config", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_config_prints_the_flow_matrix(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD)
    result = cli("check-config", "acme.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stocks" in result.stdout and "shipments" in result.stdout and "5m" in result.stdout
