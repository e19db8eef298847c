"""Plugins: found through one entry-point group, dispatched to one connector, every hook documented."""

from __future__ import annotations

import inspect
from importlib.metadata import EntryPoint, entry_points

import pytest
from connect_hub import hookimpl, hookspecs
from connect_hub.account import build_account
from connect_hub.config import parse_config
from connect_hub.contracts import ExportRequest, ExportResult, Integration, WebhookRequest
from connect_hub.errors import ConfigError, PluginError
from connect_hub.manifest import DataType, Direction, Flow, Manifest
from connect_hub.plugins import Plugins, get_plugin_manager
from support import ENV, account_yaml

GOOD = account_yaml(account="acme", store="sqlite://var/x.db", warehouse_url="http://127.0.0.1:9")


class EchoConnector:
    """A third-party connector as a test sees it: records what it is asked."""

    def __init__(self, name: str):
        self.name = name
        self.exports: list[str] = []
        self.verified: list[str] = []

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(name=self.name, title=self.name, flows=(Flow(data_type=DataType.ORDERS, direction=Direction.EXPORT),))

    @hookimpl
    def hub_webhook_verify(self, integration, request):
        self.verified.append(integration.name)

    @hookimpl
    async def hub_export(self, integration, request):
        self.exports.append(integration.name)
        return ExportResult(external_id=f"{self.name}-1")


def integration(plugins: Plugins, connector: str, name: str) -> Integration:
    manifest = plugins.manifests[connector]
    return Integration(account="acme", name=name, connector=connector, preset=None, settings={}, manifest=manifest, flows=manifest.flows)


def test_built_in_connectors_are_found_through_the_entry_point_group() -> None:
    plugins = Plugins.load()
    assert {"woocommerce", "efulfillment"} <= set(plugins.manifests)


async def test_each_hook_call_reaches_only_the_integrations_connector() -> None:
    alpha, beta = EchoConnector("alpha"), EchoConnector("beta")
    plugins = Plugins.load(extra=[("alpha", alpha), ("beta", beta)])
    target = integration(plugins, "beta", "b1")
    request = ExportRequest(data_type=DataType.ORDERS, record_id=1, version=1, obj=None, external_id=None, last_export_hash=None)  # type: ignore[arg-type]
    result = await plugins.export(target, request)
    plugins.verify_webhook(target, WebhookRequest(headers={}, body=b""))
    assert result.external_id == "beta-1"
    assert beta.exports == ["b1"] and alpha.exports == []
    assert beta.verified == ["b1"] and alpha.verified == []


def with_broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed plugins plus one whose module does not import."""
    installed = list(entry_points(group="connect_hub.plugins"))
    broken = EntryPoint(name="broken", value="connect_hub_no_such_module.hooks", group="connect_hub.plugins")
    monkeypatch.setattr("connect_hub.plugins.entry_points", lambda group: [broken, *installed])


def test_a_plugin_that_fails_to_import_is_left_out_and_named_in_one_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with_broken_plugin(monkeypatch)
    plugins = Plugins.load()
    assert {"woocommerce", "efulfillment"} <= set(plugins.manifests)
    problem = plugins.unavailable.broken["broken"]
    assert problem.startswith("plugin 'broken' (connect_hub_no_such_module.hooks) failed to load: ModuleNotFoundError")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"{problem}; accounts that use it cannot run"]
    assert "\n" not in warnings[0]


def test_an_account_that_does_not_use_a_broken_plugin_still_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    with_broken_plugin(monkeypatch)
    account = build_account(parse_config(GOOD, file="acme.yaml", environ=ENV), Plugins.load())
    assert set(account.integrations) == {"shop", "warehouse"}


def test_an_account_that_uses_a_broken_plugin_is_told_why_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with_broken_plugin(monkeypatch)
    text = GOOD.replace("connector: efulfillment", "connector: broken")
    with pytest.raises(ConfigError) as caught:
        build_account(parse_config(text, file="acme.yaml", environ=ENV), Plugins.load())
    assert str(caught.value).startswith(
        "acme.yaml: integrations.warehouse.connector: connector 'broken' is unavailable: "
        "plugin 'broken' (connect_hub_no_such_module.hooks) failed to load: ModuleNotFoundError"
    )


def test_a_plugin_whose_manifest_raises_is_left_out_and_the_others_load() -> None:
    class Faulty:
        @hookimpl
        def hub_connector_manifest(self):
            raise KeyError("url")

    plugins = Plugins.load(extra=[("faulty", Faulty())])
    assert plugins.unavailable.broken["faulty"] == "plugin 'faulty' is broken: hub_connector_manifest raised KeyError: 'url'"
    assert {"woocommerce", "efulfillment"} <= set(plugins.manifests)
    assert not plugins.pm.has_plugin("faulty")


class CarriesConnector:
    def __init__(self, name: str, carries: tuple[str, ...], direction: Direction = Direction.IMPORT):
        self.name, self.carries, self.direction = name, carries, direction

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(name=self.name, title=self.name, flows=(Flow(data_type=DataType.CONTACTS, direction=self.direction, carries=self.carries),))


def test_a_flow_carrying_a_field_its_model_lacks_is_refused_at_load_naming_the_connector_and_field() -> None:
    plugins = Plugins.load(extra=[("deskbox", CarriesConnector("deskbox", ("email", "fone"))), ("fine", CarriesConnector("fine", ("email", "phone")))])
    assert plugins.unavailable.broken["deskbox"] == (
        "plugin 'deskbox' is broken: connector 'deskbox': the contacts import flow carries 'fone', which is no field of Contact "
        "(its fields: modified_at, email, first_name, last_name, company, phone, billing, shipping)"
    )
    assert "deskbox" not in plugins.manifests and "fine" in plugins.manifests


def test_carries_on_an_export_flow_is_refused_at_load() -> None:
    plugins = Plugins.load(extra=[("out", CarriesConnector("out", ("email",), Direction.EXPORT))])
    assert plugins.unavailable.broken["out"] == "plugin 'out' is broken: connector 'out': the contacts export flow has carries, which only an import flow takes"


def test_a_plugin_implementing_an_unknown_hook_is_refused() -> None:
    class Typo:
        @hookimpl
        def hub_webhook_verfy(self, integration, request):
            return None

    with pytest.raises(PluginError, match="plugin 'typo' is broken"):
        get_plugin_manager(extra=[("typo", Typo())], load_entry_points=False)


def test_the_second_plugin_declaring_a_connector_is_left_out() -> None:
    plugins = Plugins.load(extra=[("one", EchoConnector("same")), ("two", EchoConnector("same"))])
    assert plugins.unavailable.broken["two"] == "plugin 'two' declares connector 'same', which plugin 'one' already declares"
    assert plugins._connector_plugin["same"] == "one"


def test_a_blocked_plugin_is_not_loaded_and_named_as_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_HUB_BLOCK_PLUGINS", "efulfillment")
    plugins = Plugins.load()
    assert "efulfillment" not in plugins.manifests
    with pytest.raises(ConfigError) as caught:
        build_account(parse_config(GOOD, file="acme.yaml", environ=ENV), plugins)
    assert str(caught.value) == (
        "acme.yaml: integrations.warehouse.connector: connector 'efulfillment' is blocked: "
        "plugin 'efulfillment' is listed in CONNECT_HUB_BLOCK_PLUGINS"
    )


@pytest.mark.parametrize("name", hookspecs._all_specs())
def test_every_hook_spec_says_when_it_is_called_and_what_it_returns(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Called" in doc, f"{name}: say when it is called"
    assert ":param" in doc or not inspect.signature(getattr(hookspecs, name)).parameters, f"{name}: document every parameter"
    for parameter in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f":param {parameter}:" in doc, f"{name}: document {parameter}"


def test_rule_hooks_let_a_plugin_add_an_operator_and_an_action() -> None:
    from connect_hub.canonical import Contact
    from connect_hub.config import RuleConfig
    from connect_hub.contracts import RuleContext
    from connect_hub.rules import ActionOutcome, build_engine

    class VipRules:
        @hookimpl
        def hub_register_rule_operators(self, operators):
            operators.add("is_vip_domain", lambda value, argument: isinstance(value, str) and value.endswith("@vip.example"))

        @hookimpl
        def hub_register_rule_actions(self, actions):
            def tag(data, argument, context):
                data["company"] = argument
                return ActionOutcome(note="tagged")

            actions.add("tag_company", tag)

    pm = get_plugin_manager(extra=[("vip", VipRules())], load_entry_points=False)
    rule = RuleConfig(name="vip", stage="import", when={"field": "email", "op": "is_vip_domain"}, then=[{"tag_company": "VIP"}])
    engine = build_engine([rule], pm)
    context = RuleContext(account="acme", stage="import", integration="shop", data_type=DataType.CONTACTS)
    decision = engine.apply(Contact(email="a@vip.example"), context)
    assert decision.matched == ["vip"] and decision.obj.company == "VIP"
    assert engine.apply(Contact(email="a@other.example"), context).matched == []
