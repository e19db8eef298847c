"""The connector reference documents every hook, contract field and canonical field (as
datasette's test_docs does): adding one without documenting it fails here."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
from connect_hub import canonical, contracts, errors, hookspecs, manifest
from connect_hub.settings import SettingType
from pydantic import BaseModel

DOCS = Path(__file__).resolve().parent.parent / "docs"
REFERENCE = (DOCS / "connector-reference.md").read_text(encoding="utf-8")

CANONICAL = [canonical.Contact, canonical.Product, canonical.Stock, canonical.Order, canonical.OrderLine, canonical.Checkout, canonical.Shipment, canonical.Address]
CONTRACTS = [
    contracts.Integration, contracts.WebhookRequest, contracts.WebhookVerdict, contracts.RawEvent, contracts.Incoming,
    contracts.ExportRequest, contracts.ExportResult, contracts.PollPage, contracts.PolledItem, contracts.Check,
    contracts.Notice, contracts.WebhookStatus,
]
MANIFEST = [manifest.Manifest, manifest.Flow, manifest.Preset, manifest.Setting]


def section(heading: str) -> str:
    """The text under ``### heading`` up to the next heading."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#{{2,3}} |\Z)", REFERENCE, re.MULTILINE | re.DOTALL)
    assert match, f"docs/connector-reference.md has no section '### {heading}'"
    return match.group(1)


def annotations(cls: type) -> dict[str, str]:
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        found.update(getattr(klass, "__annotations__", {}))
    return found


def fields(cls: type) -> list[str]:
    if issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return [f.name for f in dataclasses.fields(cls)]


def signature(name: str) -> str:
    spec = inspect.signature(getattr(hookspecs, name))
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in spec.parameters.values())
    return f"def {name}({parameters}) -> {spec.return_annotation}"


@pytest.mark.parametrize("name", hookspecs._all_specs())
def test_every_hook_is_documented_with_its_exact_signature(name: str) -> None:
    text = section(name)
    assert f"```python\n{signature(name)}\n```" in text, f"document {name} as: {signature(name)}"
    assert "Called" in text, f"{name}: say when it is called"


@pytest.mark.parametrize("model", CANONICAL + CONTRACTS + MANIFEST, ids=lambda m: m.__name__)
def test_every_field_is_documented_with_its_type(model: type) -> None:
    text, types = section(model.__name__), annotations(model)
    for name in fields(model):
        written = types[name].replace("|", "\\|")
        assert f"| `{name}` | `{written}` |" in text, f"{model.__name__}.{name} ({types[name]}): add a row to its table"


def test_every_documented_field_still_exists() -> None:
    for model in CANONICAL + CONTRACTS + MANIFEST:
        documented = re.findall(r"^\| `(\w+)` \| `", section(model.__name__), re.MULTILINE)
        assert set(documented) <= set(fields(model)), f"{model.__name__}: the docs name fields it no longer has"


def test_every_error_setting_type_and_status_is_named() -> None:
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, errors.HubError):
            assert f"{name}" in REFERENCE, f"the error {name} is not in the reference"
    for kind in SettingType:
        assert f"| `{kind}` |" in REFERENCE, f"the setting type {kind} is not in the reference's table"
    for status in canonical.OrderStatus:
        assert f"`{status}`" in section("Order")
    for action in contracts.ExportAction:
        assert f"`{action}`" in section("ExportResult")


def test_the_reference_says_where_the_identity_and_echo_rules_are() -> None:
    assert "## Identity and echo" in REFERENCE
    assert "(identity.md)" in REFERENCE and (DOCS / "identity.md").is_file()


def test_every_contract_check_is_in_the_reference() -> None:
    from connect_hub.testing import ConnectorContract

    for name in dir(ConnectorContract):
        if name.startswith("test_"):
            assert f"`{name}`" in REFERENCE, f"the contract check {name} is not described"


def chapter(heading: str) -> str:
    """The text under ``## heading`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", REFERENCE, re.MULTILINE | re.DOTALL)
    assert match, f"docs/connector-reference.md has no chapter '## {heading}'"
    return match.group(1)


def test_every_public_name_of_the_simulator_base_is_documented() -> None:
    from connect_hub import simulator

    text = chapter("Simulators")
    for name in simulator.__all__:
        assert f"`{name}" in text, f"connect_hub.simulator.{name} is not in the reference's Simulators chapter"
    public = lambda cls: [n for n, v in vars(cls).items() if not n.startswith("_") and callable(v) or isinstance(v, classmethod)]
    for method in public(simulator.WebhookSender):
        assert f"| `{method}(" in section("WebhookSender"), f"WebhookSender.{method} has no row in its table"
    for method in ("add", "clear", "take"):
        assert f"`{method}(" in section("FaultQueue"), f"FaultQueue.{method} is not described"
    for kind in [n for n, v in vars(simulator.Fault).items() if isinstance(v, classmethod)]:
        assert f"`Fault.{kind}(" in section("Fault"), f"Fault.{kind} has no row in the Fault section"
    for name in fields(simulator.Fault):
        assert f"| `{name}` |" in section("Fault"), f"the Fault field {name} has no row"
    for section_name in ("running_app", "Fault", "FaultQueue", "FaultInjector", "WebhookSender", "local_port"):
        assert "```python" in section(section_name), f"the {section_name} section needs an example"


@pytest.mark.parametrize("model", ["ConnectorUnderTest", "Sample"])
def test_every_field_of_the_contract_suites_inputs_is_documented_with_its_type(model: str) -> None:
    from connect_hub import testing

    cls = getattr(testing, model)
    text, types = section(model), annotations(cls)
    for name in fields(cls):
        written = types[name].replace("|", "\\|")
        assert f"| `{name}` | `{written}` |" in text, f"{model}.{name} ({types[name]}): add a row to its table"


def test_every_public_name_of_the_testing_kit_and_every_remote_method_is_documented() -> None:
    from connect_hub import testing

    text = chapter("Testing a connector: the contract suite")
    for name in testing.__all__:
        assert f"`{name}" in text, f"connect_hub.testing.{name} is not in the reference's testing chapter"
    for method in [n for n in vars(testing.Remote) if not n.startswith("_")]:
        assert f"| `{method}(" in section("Remote"), f"Remote.{method} has no row"
    assert "build_integration(plugin, settings, *" in section("Unit tests without a hub")


def test_the_package_layout_is_what_new_connector_writes(tmp_path: Path) -> None:
    from connect_hub.scaffold import write_connector

    root = tmp_path / "connect-hub-mycrm"
    written = {str(p.relative_to(root)).replace("connect_hub_mycrm/", "") for p in write_connector("mycrm", root)}
    layout = re.search(r"^connect-hub-mycrm/\n(.*?)^```", chapter("What a connector is"), re.MULTILINE | re.DOTALL)
    assert layout, "the reference shows no package layout"
    shown = {
        f"tests/{m.group(2)}" if m.group(1) == "    " and in_tests else m.group(2)
        for in_tests, m in _layout_lines(layout.group(1))
    }
    assert shown == written, f"the layout shown differs from new-connector's: {sorted(shown ^ written)}"


def _layout_lines(text: str) -> list[tuple[bool, re.Match[str]]]:
    found, in_tests = [], False
    for line in text.splitlines():
        if line.startswith("  tests/"):
            in_tests = True
        elif line.startswith("  connect_hub_"):
            in_tests = False
        match = re.match(r"^( {2,4})([\w.]+\.(?:py|toml|md))\b", line)
        if match and not (len(match.group(1)) == 2 and match.group(2).startswith(("connect_hub_", "tests"))):
            found.append((in_tests, match))
    return found


def test_the_readme_names_every_account_setting() -> None:
    from connect_hub.config import AccountConfig

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Configuration reference\n(.*?)^## ", readme, re.MULTILINE | re.DOTALL)
    assert block, "README.md has no configuration reference"
    missing = []
    for name, info in AccountConfig.model_fields.items():
        if info.exclude:
            continue
        if not re.search(rf"^\s*{name}:", block.group(1), re.MULTILINE):
            missing.append(name)
        sub = info.annotation
        sub = next((a for a in getattr(sub, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)), sub)
        if isinstance(sub, type) and issubclass(sub, BaseModel) and name not in ("integrations", "rules"):
            for field_name in sub.model_fields:
                if not re.search(rf"\b{field_name}\b", block.group(1)):
                    missing.append(f"{name}.{field_name}")
    assert not missing, f"README.md's configuration reference does not name: {missing}"


@pytest.mark.parametrize("model", CANONICAL, ids=lambda m: m.__name__)
def test_every_required_canonical_field_is_marked_required(model: type) -> None:
    text = section(model.__name__)
    for name, info in model.model_fields.items():
        row = re.search(rf"^\| `{name}` \| `[^`]*` \|(.*)\|$", text, re.MULTILINE)
        assert row, f"{model.__name__}.{name} has no row"
        said = row.group(1).strip().startswith("required")
        assert said == info.is_required(), f"{model.__name__}.{name}: {'say' if info.is_required() else 'do not say'} 'required'"


def test_every_default_of_the_data_passed_to_hooks_is_stated() -> None:
    text = chapter("The data passed to hooks").split("\n### ")[0]
    for model in CONTRACTS:
        for f in dataclasses.fields(model):
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                continue
            if model is contracts.Integration:
                continue  # built by the hub (build_integration in tests)
            owner = f"`{model.__name__}.{f.name}`" in text or (f"`{model.__name__}`" in text and f"every field of\n`{model.__name__}`" in text) or f"`.{f.name}`" in text
            assert owner, f"the default of {model.__name__}.{f.name} is not stated"


def test_the_pyproject_shown_is_what_new_connector_writes(tmp_path: Path) -> None:
    import tomllib

    from connect_hub.scaffold import write_connector

    write_connector("mycrm", tmp_path / "pkg")
    written = tomllib.loads((tmp_path / "pkg" / "pyproject.toml").read_text())
    shown = tomllib.loads(re.search(r"```toml\n(.*?)```", REFERENCE, re.DOTALL).group(1))
    assert _within(shown, written), f"the pyproject.toml shown is not what new-connector writes:\n{shown}\n{written}"


def _within(shown: object, written: object) -> bool:
    """Every table and key shown is written with the same value (the shown file may leave some out)."""
    if isinstance(shown, dict) and isinstance(written, dict):
        return all(k in written and _within(v, written[k]) for k, v in shown.items())
    return shown == written
