"""The companion WordPress plugin ("connect-hub-companion") as an installable zip.

The plugin's PHP sources live in ``plugins/woocommerce/wordpress-plugin/connect-hub-companion/``
of the source tree. :func:`write_zip` packs that folder as ``connect-hub-companion/...``, the
layout WordPress expects from Plugins > Add New > Upload Plugin. :func:`register` adds the
``connect-hub wordpress-plugin --zip PATH`` command to the command line (through the
connector's ``hub_register_commands``).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Annotated

import typer
from connect_hub.commands import CommandRegistry

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


def register(commands: CommandRegistry) -> None:
    """Add ``wordpress-plugin --zip PATH`` to the command line."""

    @commands.command("wordpress-plugin")
    def wordpress_plugin(
        zip_path: Annotated[Path, typer.Option("--zip", help="where to write the zip (a file, or a folder)")],
    ) -> None:
        """Write the companion WordPress plugin (checkouts, shipments) as a zip to install in the shop."""
        try:
            written = write_zip(zip_path)
        except (FileNotFoundError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        version = plugin_version()
        typer.echo(f"{written} ({PLUGIN_SLUG} {version}): upload it at Plugins > Add New > Upload Plugin")
