"""Rules are checked when the configuration loads: each error names the rule and its place."""

from __future__ import annotations

from pathlib import Path

import pytest
from connect_hub.account import build_account
from connect_hub.config import load_config
from connect_hub.errors import ConfigError
from connect_hub.plugins import Plugins
from support import ENV, account_yaml

RULE = "  - {{name: probe, stage: {stage}, data_types: [orders], when: {when}, then: [{then}]}}"


def load(tmp_path: Path, rules: str, extra: str = "", includes: dict[str, str] | None = None):
    for name, text in (includes or {}).items():
        (tmp_path / name).write_text(text)
    text = account_yaml(account="acme", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra=f"{extra}\nrules:\n{rules}")
    file = tmp_path / "acme.yaml"
    file.write_text(text)
    return build_account(load_config(file, environ=ENV), Plugins.load())


def error(tmp_path: Path, *, when: str = "{field: total, op: greater, value: 1}", then: str = "{set: {field: note, value: x}}", stage: str = "import", **kw) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, RULE.format(when=when, then=then, stage=stage), **kw)
    return str(caught.value)


def test_valid_rules_load(tmp_path: Path) -> None:
    account = load(tmp_path, RULE.format(when="{field: total, op: greater, value: 1}", then="{set: {field: note, value: x}}", stage="import"))
    assert account.rules.has_rules("import", "orders")


def test_an_unknown_field_names_the_rule_place_and_the_known_fields(tmp_path: Path) -> None:
    message = error(tmp_path, when="{field: billing.mail, op: equals, value: x}")
    assert message.startswith(f"{tmp_path / 'acme.yaml'}: rules[0].when.field: rule 'probe': unknown field 'billing.mail'")
    assert "email" in message


def test_an_unknown_field_inside_a_list_and_a_group(tmp_path: Path) -> None:
    message = error(tmp_path, when="{any: [{field: total, op: greater, value: 1}, {field: lines.colour, op: equals, value: red}]}")
    assert "rules[0].when.any[1].field" in message and "'colour'" in message


def test_an_operator_that_does_not_fit_the_fields_type(tmp_path: Path) -> None:
    message = error(tmp_path, when="{field: email, op: greater, value: 3}")
    assert "rules[0].when.op" in message and "greater does not fit email, a text field" in message
    assert "older_than does not fit total" in error(tmp_path, when="{field: total, op: older_than, value: 3d}")


def test_a_value_that_does_not_fit_the_field(tmp_path: Path) -> None:
    assert "rules[0].when.value: rule 'probe': 'lots' is not a number" in error(tmp_path, when="{field: total, op: greater, value: lots}")
    assert "not a value of status" in error(tmp_path, when="{field: status, op: equals, value: shipped}")
    assert "between needs two values" in error(tmp_path, when="{field: total, op: between, value: 3}")
    assert "is not an age" in error(tmp_path, when="{field: created_at, op: older_than, value: soon}")


def test_an_unknown_operator_lists_the_known_ones(tmp_path: Path) -> None:
    message = error(tmp_path, when="{field: total, op: bigger, value: 1}")
    assert "unknown operator 'bigger'" in message and "greater" in message


def test_a_regular_expression_that_does_not_compile(tmp_path: Path) -> None:
    message = error(tmp_path, when="{field: email, op: matches, value: '([a-z'}")
    assert "rules[0].when.value" in message and "does not compile" in message


def test_an_unknown_action_lists_the_known_ones(tmp_path: Path) -> None:
    message = error(tmp_path, then="{tag: vip}")
    assert "rules[0].then[0]: rule 'probe': unknown action 'tag'" in message and "block_export" in message


def test_action_arguments_are_checked(tmp_path: Path) -> None:
    assert "rules[0].then[0].set" in error(tmp_path, then="{set: {field: nothing, value: 1}}")
    assert "'shipped' is not a value of status" in error(tmp_path, then="{set: {field: status, value: shipped}}")
    assert "reference is required" in error(tmp_path, then="{unset: reference}")
    assert "no integration named 'erp'" in error(tmp_path, stage="export", then="{block_export: erp}")
    assert "block_import only works in an import rule" in error(tmp_path, stage="export", then="{block_import: true}")
    assert "block_export only works in an export rule" in error(tmp_path, then="{block_export: all}")
    assert "needs the account's smtp" in error(tmp_path, then="{send_email: {to: a@b.example, subject: hi}}")
    assert "unknown field 'numbr'" in error(tmp_path, extra="smtp: {host: 127.0.0.1, sender: hub@x.example}", then="{send_email: {to: a@b.example, subject: 'order {numbr}'}}")
    assert "not an http(s) URL" in error(tmp_path, then="{call_url: ftp://x}")


def test_a_secret_in_a_rule_must_come_from_the_environment(tmp_path: Path) -> None:
    message = error(tmp_path, then="{call_url: {url: 'https://erp.example/hook', secret: plain}}")
    assert "rules[0].then[0].call_url.secret" in message and "environment variable" in message


def test_an_unknown_scope_and_a_duplicate_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\].scope: rule 'a': no integration named 'erp'"):
        load(tmp_path, "  - {name: a, scope: erp, stage: import, then: [{block_import: true}]}")
    with pytest.raises(ConfigError, match=r"rules\[1\].name: rule 'a': another rule has this name"):
        load(tmp_path, "  - {name: a, stage: import, then: [{block_import: true}]}\n  - {name: a, stage: import, then: [{block_import: true}]}")


def test_rules_from_an_included_file_load_and_their_errors_name_that_file(tmp_path: Path) -> None:
    good = "- {name: inc, stage: import, data_types: [orders], then: [{set: {field: note, value: x}}]}\n"
    account = load(tmp_path, "  - include: orders-rules.yaml", includes={"orders-rules.yaml": good})
    assert [r.name for r in account.config.rules] == ["inc"]
    bad = "rules:\n  - {name: ok, stage: import, then: [{block_import: true}]}\n  - {name: broken, stage: import, data_types: [orders], when: {field: totl, op: greater, value: 1}, then: [{block_import: true}]}\n"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "  - include: bad.yaml", includes={"bad.yaml": bad})
    assert str(caught.value).startswith(f"{tmp_path / 'bad.yaml'}: rules[1].when.field: rule 'broken': unknown field 'totl'")


def test_a_missing_included_file_names_the_include(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\].include: cannot read the included file 'nope.yaml'"):
        load(tmp_path, "  - include: nope.yaml")


def test_a_rule_without_data_types_applies_where_its_fields_exist(tmp_path: Path) -> None:
    account = load(tmp_path, "  - {name: by mail, stage: import, when: {field: email, op: ends_with, value: '@x.example'}, then: [{block_import: true}]}")
    assert account.rules.has_rules("import", "orders") and account.rules.has_rules("import", "contacts")
    assert not account.rules.has_rules("import", "stocks")
    with pytest.raises(ConfigError, match="unknown field 'nothing'"):
        load(tmp_path, "  - {name: n, stage: import, when: {field: nothing, op: exists}, then: [{block_import: true}]}")


def test_the_readme_rules_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("### Rules"):]
    example = section[section.index("```yaml\n") + 8:section.index("```\n", section.index("```yaml\n"))]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "b2b.yaml").write_text("- {name: b2b, stage: import, data_types: [contacts], when: {field: company, op: exists}, then: [{set: {field: company, value: B2B}}]}\n")
    text = account_yaml(account="acme", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra=example)
    file = tmp_path / "acme.yaml"
    file.write_text(text)
    env = {**ENV, "SMTP_PASSWORD": "pw", "ERP_HOOK_SECRET": "s"}
    account = build_account(load_config(file, environ=env), Plugins.load())
    assert [r.name for r in account.config.rules][-1] == "b2b" and len(account.config.rules) == 4
