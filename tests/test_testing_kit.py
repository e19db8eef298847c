"""connect_hub.testing's helpers for a connector's own unit tests: an Integration built as the
hub builds one from an account file, without running a hub."""

from __future__ import annotations

import pytest
from connect_hub import hookimpl
from connect_hub.errors import ConfigError, PluginError
from connect_hub.manifest import DataType, Direction, Flow, Manifest, Setting, SettingType
from connect_hub.secrets import webhook_secret, webhook_secret_for
from connect_hub.testing import build_integration


class DeskBox:
    """A connector as its author's unit tests see it."""

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(
            name="deskbox", title="DeskBox",
            flows=(Flow(data_type=DataType.CONTACTS, direction=Direction.IMPORT, reconcile="15m"), Flow(data_type=DataType.CONTACTS, direction=Direction.EXPORT)),
            settings=(
                Setting(name="url", description="DeskBox's address", type=SettingType.URL),
                Setting(name="token", description="API token", type=SettingType.SECRET),
                Setting(name="timeout", description="per request", type=SettingType.DURATION, required=False, default="10s"),
                Setting(name="page_size", description="per page", type=SettingType.INTEGER, minimum=1, maximum=100, required=False, default=50),
            ),
        )


def test_settings_are_read_by_type_with_their_defaults_and_secrets_given_in_clear() -> None:
    desk = build_integration(DeskBox(), {"url": "http://127.0.0.1:9/", "token": "t0k3n", "page_size": "20"})
    assert (desk.name, desk.account, desk.connector) == ("test", "test", "deskbox")
    assert desk.settings == {"url": "http://127.0.0.1:9", "token": "t0k3n", "timeout": 10.0, "page_size": 20}
    assert desk.public_url == "http://127.0.0.1:8080" and desk.resources == {}
    assert desk.imports(DataType.CONTACTS) and desk.exports(DataType.CONTACTS)


def test_a_setting_that_does_not_fit_is_the_error_check_config_gives() -> None:
    with pytest.raises(ConfigError) as caught:
        build_integration(DeskBox(), {"url": "http://127.0.0.1:9", "token": "t", "page_size": "fifty"}, name="desk")
    assert str(caught.value) == "build_integration: integrations.desk.settings.page_size: expected an integer from 1 to 100, got 'fifty'"


def test_flow_overrides_and_the_hub_secret_are_those_of_the_account_file() -> None:
    desk = build_integration(DeskBox(), {"url": "http://127.0.0.1:9", "token": "t"}, name="desk", account="acme",
                             flows={"contacts": {"import": "5m", "export": False}}, secret_key="k3y")
    [flow] = desk.flows
    assert (flow.direction, flow.timeframe, flow.poll_every()) == (Direction.IMPORT, "5m", 300.0)
    assert webhook_secret_for(desk) == webhook_secret("k3y", "acme", "desk")


def test_a_broken_plugin_is_the_one_line_the_hub_would_log() -> None:
    class Typo(DeskBox):
        @hookimpl
        def hub_webhook_verfy(self, integration, request):
            return None

    with pytest.raises(PluginError, match="^plugin 'under-test' is broken: "):
        build_integration(Typo(), {})
