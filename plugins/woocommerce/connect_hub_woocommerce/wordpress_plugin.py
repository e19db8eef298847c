"""The companion WordPress plugin ("connect-hub-companion") as an installable zip.

The plugin's PHP sources live in ``plugins/woocommerce/wordpress-plugin/connect-hub-companion/``
of the source tree. :func:`write_zip` packs that folder as ``connect-hub-companion/...``, the
layout WordPress expects from Plugins > Add New > Upload Plugin. :func:`register` adds the
``connect-hub wordpress-plugin --zip PATH`` command to the command line (through the
connector's ``hub_register_commands``), and ``--pairing NAME``, which shows the hub URL and
shared secret to enter in the plugin's settings to pair it by hand.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Annotated

import typer
from connect_hub.commands import CommandRegistry
from connect_hub.contracts import Integration
from connect_hub.errors import ConfigError, HubError
from connect_hub.secrets import webhook_secret_for

from connect_hub_woocommerce.watchdog import delivery_url

PLUGIN_SLUG = "connect-hub-companion"
SOURCE_ENV = "CONNECT_HUB_WORDPRESS_PLUGIN_DIR"

# Every file gets the same timestamp, so the same sources give the same zip, byte for byte.
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIPPED_NAMES = {"__pycache__", ".DS_Store", "Thumbs.db"}


def source_dir() -> Path:
    """The plugin's folder: ``$CONNECT_HUB_WORDPRESS_PLUGIN_DIR`` if set, else the source tree's."""
    here = Path(__file__).resolve().parent
    candidates = []
    if os.environ.get(SOURCE_ENV):
        candidates.append(Path(os.environ[SOURCE_ENV]))
    candidates += [
        here / "wordpress-plugin" / PLUGIN_SLUG,  # if it is ever shipped as package data
        here.parent / "wordpress-plugin" / PLUGIN_SLUG,  # plugins/woocommerce/wordpress-plugin/
    ]
    for candidate in candidates:
        if (candidate / f"{PLUGIN_SLUG}.php").is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"the WordPress plugin's sources ({PLUGIN_SLUG}/{PLUGIN_SLUG}.php) were not found; tried {tried}. "
        f"They ship with the source tree only: run from a checkout of connect-hub, or set {SOURCE_ENV}."
    )


def plugin_version(source: Path | None = None) -> str:
    """The ``Version:`` in the plugin's header."""
    header = ((source or source_dir()) / f"{PLUGIN_SLUG}.php").read_text(encoding="utf-8")
    for line in header.splitlines():
        name, _, value = line.lstrip(" *").partition(":")
        if name.strip() == "Version":
            return value.strip()
    raise ValueError(f"{PLUGIN_SLUG}.php has no Version header")


def _packed(relative: Path) -> bool:
    """Whether a file goes into the zip: no hidden files, no caches."""
    return not any(part in _SKIPPED_NAMES or part.startswith(".") for part in relative.parts)


def write_zip(path: str | os.PathLike[str]) -> Path:
    """Write the installable zip to ``path`` (a file, or a folder to put ``connect-hub-companion.zip`` in)."""
    source = source_dir()
    target = Path(path)
    if target.is_dir():
        target = target / f"{PLUGIN_SLUG}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and _packed(p.relative_to(source)))
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            name = f"{PLUGIN_SLUG}/{file.relative_to(source).as_posix()}"
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
    tmp.replace(target)
    return target


INSTALL_HINT = (
    "upload it at Plugins > Add New > Upload Plugin; where file changes are disabled "
    "(DISALLOW_FILE_MODS, as on many managed hosts), unzip it into wp-content/plugins/ (SFTP, "
    "SSH, the host's deployment) and activate it under Plugins, or with 'wp plugin activate "
    f"{PLUGIN_SLUG}'"
)


def pairing_by_hand(integration: Integration) -> tuple[str, str]:
    """The hub URL and shared secret to enter in the plugin's settings to pair it without a code."""
    return delivery_url(integration), webhook_secret_for(integration)


def _integration(config: Path, name: str) -> Integration:
    from connect_hub.account import build_account
    from connect_hub.config import load_config
    from connect_hub.plugins import Plugins

    account = build_account(load_config(config), Plugins.load())
    integration = account.integration(name)
    if integration is None or integration.connector != "woocommerce":
        shops = ", ".join(n for n, i in account.integrations.items() if i.connector == "woocommerce") or "none"
        raise ConfigError(f"{config}: no WooCommerce integration named {name!r} (there are: {shops})")
    if not integration.public_url:
        raise ConfigError(f"{config}: service.public_url is not set, so there is no address for the shop to send to: set it first")
    return integration


def register(commands: CommandRegistry) -> None:
    """Add ``wordpress-plugin --zip PATH`` and ``wordpress-plugin --pairing NAME`` to the command line."""

    @commands.command("wordpress-plugin")
    def wordpress_plugin(
        zip_path: Annotated[Path | None, typer.Option("--zip", help="where to write the zip (a file, or a folder)")] = None,
        pairing: Annotated[str | None, typer.Option("--pairing", help="show the hub URL and shared secret to enter in the plugin's settings for this integration")] = None,
        config: Annotated[Path, typer.Option("--config", "-c", envvar="CONNECT_HUB_CONFIG", help="the account's YAML file (with --pairing)")] = Path("config/embedded.yaml"),
    ) -> None:
        """Write the companion WordPress plugin (checkouts, shipments) as a zip to install in the
        shop, or show what to enter in its settings to pair it by hand."""
        if (zip_path is None) == (pairing is None):
            typer.echo("error: give --zip PATH (write the plugin) or --pairing INTEGRATION (pair it by hand)", err=True)
            raise typer.Exit(2)
        if pairing is not None:
            try:
                url, secret = pairing_by_hand(_integration(config, pairing))
            except HubError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
            typer.echo(f"Hub URL:       {url}")
            typer.echo(f"Shared secret: {secret}")
            typer.echo("Enter both under WooCommerce > Settings > Advanced > Connect Hub (or pair with the code shown there: pairing_code, then connect-hub onboard).")
            return
        try:
            written = write_zip(zip_path)
        except (FileNotFoundError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        version = plugin_version()
        typer.echo(f"{written} ({PLUGIN_SLUG} {version}): {INSTALL_HINT}")
