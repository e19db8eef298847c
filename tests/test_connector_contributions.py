"""What connectors add besides data: commands on the command line and simulators for the demo.

The core names no connector: the WooCommerce connector's ``wordpress-plugin`` command and both
shipped simulators come through the same hooks a third-party connector uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from connect_hub import hookimpl
from connect_hub.config import parse_config
from connect_hub.demo import NoDemo, for_world
from connect_hub.manifest import DataType, Direction, Flow, Manifest, Setting
from connect_hub.plugins import Plugins
from connect_hub.simulator import Simulator, local_port
from connect_hub.world import running_world
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from support import ENV, REPO, account_yaml, free_port

CONNECTOR_PACKAGES = ("connect_hub_woocommerce", "connect_hub_efulfillment")


def test_the_core_names_no_connector() -> None:
    mentions = [
        f"{path.relative_to(REPO)}: {package}"
        for path in (REPO / "core").rglob("*.py")
        for package in CONNECTOR_PACKAGES
        if package in path.read_text(encoding="utf-8")
    ]
    assert mentions == []


def install(site: Path, name: str, module: str, source: str) -> None:
    """Make ``site`` hold a module and a distribution whose entry point publishes it as a plugin
    (what ``pip install`` leaves behind), for a subprocess with ``site`` on its PYTHONPATH."""
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[connect_hub.plugins]\n{name} = {module}\n")


def cli(*args: str, cwd: Path, site: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV, "COLUMNS": "300"}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "connect_hub.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False)


def test_the_wordpress_plugin_command_comes_from_the_woocommerce_connector(tmp_path: Path) -> None:
    from connect_hub.cli import app
    from connect_hub.commands import CommandRegistry

    registry = CommandRegistry(app)
    assert registry.owner("wordpress-plugin") is None  # the core alone does not have it
    result = cli("wordpress-plugin", "--zip", str(tmp_path), cwd=REPO)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "connect-hub-companion.zip") as archive:
        assert "connect-hub-companion/connect-hub-companion.php" in archive.namelist()


PLUGIN_WITH_A_COMMAND = """
    import typer
    from connect_hub import hookimpl

    @hookimpl
    def hub_register_commands(commands):
        @commands.command("crm-hello")
        def hello(name: str = typer.Option("world")) -> None:
            "Say hello."
            typer.echo(f"hello {name} from the crm plugin")
"""

PLUGIN_TAKING_A_CORE_NAME = """
    import typer
    from connect_hub import hookimpl

    @hookimpl
    def hub_register_commands(commands):
        @commands.command("greedy-extra")
        def extra() -> None:
            typer.echo("never added")

        @commands.command("status")
        def status() -> None:
            typer.echo("the plugin's status")
"""


def test_a_plugin_adds_a_command(tmp_path: Path) -> None:
    install(tmp_path / "site", "crmtools", "crmtools_hooks", PLUGIN_WITH_A_COMMAND)
    result = cli("crm-hello", "--name", "Ada", cwd=REPO, site=tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello Ada from the crm plugin"
    assert result.stderr == ""


def test_a_plugin_cannot_take_a_core_command_and_adds_none(tmp_path: Path) -> None:
    install(tmp_path / "site", "greedy", "greedy_hooks", PLUGIN_TAKING_A_CORE_NAME)
    helped = cli("status", "--help", cwd=REPO, site=tmp_path / "site")
    assert "Show integrations, queue depth" in helped.stdout
    assert helped.stderr.strip() == (
        "plugin 'greedy' adds the command 'status', which the core already has; its commands are left out"
    )
    assert cli("greedy-extra", cwd=REPO, site=tmp_path / "site").returncode == 2


def test_a_plugin_that_fails_to_import_is_one_line_and_other_accounts_run(tmp_path: Path) -> None:
    install(tmp_path / "site", "brokencrm", "brokencrm_hooks", "import connect_hub_no_such_thing\n")
    (tmp_path / "acme.yaml").write_text(account_yaml(account="acme", store="sqlite://var/x.db", warehouse_url="http://127.0.0.1:9"))
    result = cli("check-config", "acme.yaml", cwd=tmp_path, site=tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        "plugin 'brokencrm' (brokencrm_hooks) failed to load: ModuleNotFoundError: No module named "
        "'connect_hub_no_such_thing'; accounts that use it cannot run"
    )
    assert "is valid (2 integrations" in result.stdout
    (tmp_path / "crm.yaml").write_text("account: crm\nintegrations:\n  crm:\n    connector: brokencrm\n")
    result = cli("check-config", "crm.yaml", cwd=tmp_path, site=tmp_path / "site")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: crm.yaml: integrations.crm.connector: connector 'brokencrm' is unavailable: plugin 'brokencrm'"
    )
    assert "Traceback" not in result.stderr


class TinyCrm:
    """A third-party connector whose simulator is a one-route server."""

    @hookimpl
    def hub_connector_manifest(self) -> Manifest:
        return Manifest(
            name="tinycrm", title="Tiny CRM",
            flows=(Flow(data_type=DataType.CONTACTS, direction=Direction.EXPORT),),
            settings=(Setting(name="url", description="the CRM's address"),),
        )

    @hookimpl
    def hub_simulator(self, integration, pace):
        return self.serve(integration)

    @contextmanager
    def serve(self, integration) -> Iterator[Simulator]:
        from connect_hub.simulator.server import bind, serving

        app = Starlette(routes=[Route("/", lambda request: JSONResponse({"crm": integration.name}))])
        sock, url = bind("127.0.0.1", local_port(integration, "url"), "tiny CRM")
        with serving(app, sock, name="tiny CRM"):
            yield TinyCrmSimulator(url)


class TinyCrmSimulator:
    title = "tiny CRM simulator"

    def __init__(self, url: str):
        self.url = url

    def onboarded(self) -> bool:
        return True


def test_a_third_party_simulator_is_started_on_its_integrations_address(tmp_path: Path) -> None:
    port = free_port()
    text = f"account: crm\nstore: sqlite://{tmp_path}/hub.db\nservice: {{port: 0}}\nintegrations:\n  crm:\n    connector: tinycrm\n    settings: {{url: 'http://127.0.0.1:{port}'}}\n"
    plugins = Plugins.load(extra=[("tinycrm", TinyCrm())])
    with running_world(parse_config(text, file="crm.yaml"), plugins=plugins) as world:
        assert list(world.simulators) == ["crm"]
        assert world.simulators["crm"].url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"http://127.0.0.1:{port}/").json() == {"crm": "crm"}
        with pytest.raises(NoDemo, match="needs a storefront"):
            for_world(world)


def test_a_simulator_needs_a_local_address_and_says_which_setting(tmp_path: Path) -> None:
    text = f"account: crm\nstore: sqlite://{tmp_path}/hub.db\nintegrations:\n  crm:\n    connector: tinycrm\n    settings: {{url: 'https://crm.example'}}\n"
    plugins = Plugins.load(extra=[("tinycrm", TinyCrm())])
    with pytest.raises(Exception) as caught, running_world(parse_config(text, file="crm.yaml"), plugins=plugins):
        pass
    assert str(caught.value) == "crm.yaml: integrations.crm.settings.url: a simulator runs only on http://127.0.0.1 with an explicit port, got 'https://crm.example'"
