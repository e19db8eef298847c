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
