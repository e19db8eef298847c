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


@pytest.mark.parametrize(("pacing", "expected"), [
    ("{longest_hold: 5}", "service.pacing.longest_hold: Input should be less than or equal to 4"),
    ("{backlog_limit: -1}", "service.pacing.backlog_limit: Input should be greater than or equal to 0"),
    ("{backlog_limit: many}", "service.pacing.backlog_limit: Input should be a valid integer"),
    ("{limit: 10}", "service.pacing.limit: unknown key (a typo?)"),
])
def test_a_pacing_that_would_outlast_the_sender_or_makes_no_sense_is_refused(pacing: str, expected: str) -> None:
    text = GOOD.replace("service: {host: 127.0.0.1, port: 0}", f"service: {{host: 127.0.0.1, port: 0, pacing: {pacing}}}")
    assert errors_of(text).startswith(f"acme.yaml: {expected}")


def test_a_missing_environment_variable_names_the_place() -> None:
    environ = {k: v for k, v in ENV.items() if k != "TEST_SHOP_KEY"}
    assert errors_of(GOOD, environ) == "acme.yaml: integrations.shop.settings.api_key: environment variable TEST_SHOP_KEY is not set"


def test_an_empty_admin_token_is_refused_rather_than_opening_the_api() -> None:
    with pytest.raises(ConfigError, match="admin_token: is empty"):
        parse_config("account: acme\nadmin_token: ${EMPTY_TOKEN}\n", file="acme.yaml", environ={"EMPTY_TOKEN": ""})


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
    assert message == "acme.yaml: line 2, column 15: not valid YAML: this '[' is never closed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("account: acme\nintegrations\n  shop:\n    connector: x\n", "line 2, column 1: not valid YAML: this line has no ':' after its key"),
        ("account: acme\nname: \"abc\nother: 1\nmore: 2\n", "line 2, column 7: not valid YAML: this quoted text is never closed"),
        ("account: acme\nservice: {host: x, port: 1\nsweeper: {interval: 2}\n", "line 2, column 10: not valid YAML: expected ',' or '}', but got ':'"),
        ("account: acme\nintegrations:\n  shop:\n    connector:woo\n    preset: x\n", "line 4, column 14: not valid YAML: put a space after ':' (key: value)"),
        ("account: acme\nintegrations:\n  shop:\n    connector: x\n   preset: y\n", "line 5, column 4: not valid YAML: this line is indented differently from the lines above it"),
    ],
    ids=["key-without-colon", "unclosed-quote", "unclosed-brace", "no-space-after-colon", "bad-indentation"],
)
def test_a_syntax_error_names_the_line_where_the_mistake_is(text: str, expected: str) -> None:
    assert errors_of(text) == f"acme.yaml: {expected}"


def test_a_tab_in_the_indentation_says_use_spaces() -> None:
    text = GOOD.replace("    connector: efulfillment", "\tconnector: efulfillment")
    line = text.splitlines().index("\tconnector: efulfillment") + 1
    assert errors_of(text) == f"acme.yaml: line {line}, column 1: a tab in the indentation: use spaces, not tabs"


def test_an_integration_written_twice_names_both_lines() -> None:
    text = GOOD + "  shop:\n    connector: efulfillment\n    settings: {url: 'http://127.0.0.1:9', api_key: '${TEST_WAREHOUSE_KEY}'}\n"
    lines = text.splitlines()
    first, again = lines.index("  shop:") + 1, len(lines) - 2
    assert errors_of(text) == f"acme.yaml: line {again}, column 3: duplicate key 'shop', first written on line {first}"


def test_a_duplicate_key_deep_inside_is_refused_too() -> None:
    text = GOOD.replace("      timeout: 10\n", "      timeout: 10\n      timeout: 20\n")
    assert "duplicate key 'timeout', first written on line" in errors_of(text)


def test_a_duplicate_key_in_an_included_rules_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("- name: a\n  stage: import\n  stage: export\n  then: [{block_import: true}]\n")
    text = GOOD + "rules:\n  - include: rules.yaml\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file=str(tmp_path / "acme.yaml"), environ=ENV)
    assert str(caught.value) == f"{tmp_path / 'rules.yaml'}: line 3, column 3: duplicate key 'stage', first written on line 2"


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("shop", "requests_per_second: fifty", "integrations.shop.settings.requests_per_second: expected a number of at least 0.1, got 'fifty'"),
        ("shop", "max_concurrency: 2.5", "integrations.shop.settings.max_concurrency: expected an integer from 1 to 100, got 2.5"),
        ("shop", "max_concurrency: 0", "integrations.shop.settings.max_concurrency: expected an integer from 1 to 100, got 0"),
        ("shop", "timeout: soon", "integrations.shop.settings.timeout: expected a duration such as 30s, 5m or 2h of at least 1 seconds, got 'soon'"),
        ("shop", "status_map: [processing]", "integrations.shop.settings.status_map: expected a mapping of texts to texts, got a list"),
        ("warehouse", "send_statuses: [processing, shipped]", "integrations.warehouse.settings.send_statuses: expected a list of pending, processing, on_hold, completed, cancelled, refunded, failed, got 'shipped'"),
        ("warehouse", "max_connections: many", "integrations.warehouse.settings.max_connections: expected an integer from 1 to 1000, got 'many'"),
    ],
)
def test_a_setting_that_does_not_fit_its_type_names_the_place_and_the_type(setting: str, value: str, expected: str) -> None:
    anchor = "      webhook_secret: ${TEST_SHOP_WEBHOOK_SECRET}\n" if setting == "shop" else "      timeout: 10\n"
    assert errors_of(GOOD.replace(anchor, anchor + f"      {value}\n")) == f"acme.yaml: {expected}"


def test_a_url_setting_must_be_an_http_address() -> None:
    text = GOOD.replace("url: https://shop.example", "url: shop.example")
    assert errors_of(text) == "acme.yaml: integrations.shop.settings.url: expected an http(s) URL such as https://example.com, got 'shop.example'"


def test_settings_reach_the_connector_as_their_types() -> None:
    environ = {**ENV, "TEST_RPS": "50"}
    text = GOOD.replace("      webhook_secret: ${TEST_SHOP_WEBHOOK_SECRET}\n", "      webhook_secret: ${TEST_SHOP_WEBHOOK_SECRET}\n      requests_per_second: ${TEST_RPS}\n      timeout: 2m\n")
    account = build_account(parse_config(text, file="acme.yaml", environ=environ), Plugins.load())
    shop, warehouse = account.integrations["shop"].settings, account.integrations["warehouse"].settings
    assert shop["requests_per_second"] == 50.0 and shop["timeout"] == 120.0
    assert shop["max_concurrency"] == 4 and shop["abandoned_after_minutes"] == 30
    assert warehouse["timeout"] == 10.0 and warehouse["send_statuses"] == ["processing"]


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
        ("account: acme\nintegrations: [\n", "bad.yaml: line 2, column 15: not valid YAML"),
        (GOOD.replace("connector: efulfillment", "connector: nosuch"), "integrations.warehouse.connector: unknown connector 'nosuch'"),
        (GOOD.replace("${TEST_SHOP_KEY}", "${NOT_SET_ANYWHERE}"), "environment variable NOT_SET_ANYWHERE is not set"),
        (GOOD.replace("      timeout: 10\n", "      timeout: 10\n      max_connections: fifty\n"), "integrations.warehouse.settings.max_connections: expected an integer"),
        (GOOD.replace("  warehouse:\n", "  shop:\n    connector: efulfillment\n  warehouse:\n"), "duplicate key 'shop', first written on line"),
    ],
    ids=["broken-yaml", "unknown-connector", "missing-env", "untyped-setting", "duplicate-integration"],
)
def test_the_cli_gives_one_line_and_no_traceback(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    result = cli("check-config", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["serve", "worker", "status", "onboard shop", "import shop orders", "replay --all-failed"])
def test_every_command_refuses_a_setting_that_does_not_fit_in_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "bad.yaml").write_text(GOOD.replace("      timeout: 10\n", "      timeout: 10\n      max_connections: fifty\n"))
    result = cli(*command.split(), "--config", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: bad.yaml: integrations.warehouse.settings.max_connections: expected an integer from 1 to 1000, got 'fifty'"
    ]


def test_check_config_prints_the_flow_matrix(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(GOOD)
    result = cli("check-config", "acme.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "stocks" in result.stdout and "shipments" in result.stdout and "5m" in result.stdout
