"""The companion plugin's command: the zip, how to install it without uploads, pairing by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from connect_hub.secrets import webhook_secret

REPO = Path(__file__).resolve().parents[3]
PLUGIN_DIR = REPO / "plugins/woocommerce/wordpress-plugin"
CONFIG = """
account: acme
store: sqlite://{tmp}/store.db
secret_key: ${{TEST_PAIRING_HUB_KEY}}
service: {{host: 127.0.0.1, port: 8000, public_url: "https://hub.example"}}
integrations:
  shop:
    connector: woocommerce
    settings:
      url: https://shop.example
      api_key: ${{TEST_PAIRING_SHOP_KEY}}
      api_secret: ${{TEST_PAIRING_SHOP_SECRET}}
"""
ENV = {"TEST_PAIRING_HUB_KEY": "k" * 40, "TEST_PAIRING_SHOP_KEY": "ck_x", "TEST_PAIRING_SHOP_SECRET": "cs_x", "COLUMNS": "300"}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV}
    env.pop("CONNECT_HUB_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "connect_hub.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False)


def test_pairing_by_hand_shows_the_hub_url_and_the_derived_secret(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(CONFIG.format(tmp=tmp_path))
    result = cli("wordpress-plugin", "--pairing", "shop", "--config", str(config), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "Hub URL:       https://hub.example/webhooks/shop" in result.stdout
    assert f"Shared secret: {webhook_secret('k' * 40, 'acme', 'shop')}" in result.stdout
    assert "WooCommerce > Settings > Advanced > Connect Hub" in result.stdout


def test_pairing_by_hand_for_an_unknown_integration_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(CONFIG.format(tmp=tmp_path))
    result = cli("wordpress-plugin", "--pairing", "warehouse", "--config", str(config), cwd=REPO)
    assert result.returncode == 2
    assert "no WooCommerce integration named 'warehouse' (there are: shop)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_wants_one_thing_to_do(tmp_path: Path) -> None:
    result = cli("wordpress-plugin", cwd=REPO)
    assert result.returncode == 2 and "--zip PATH" in result.stderr and "--pairing" in result.stderr


def test_where_uploads_are_disabled_the_other_ways_to_install_are_told(tmp_path: Path) -> None:
    """Issue 10, defect 11: with DISALLOW_FILE_MODS, wp-admin has no Upload Plugin."""
    result = cli("wordpress-plugin", "--zip", str(tmp_path), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "DISALLOW_FILE_MODS" in result.stdout and "wp-content/plugins/" in result.stdout
    for doc in (PLUGIN_DIR / "README.md", PLUGIN_DIR / "connect-hub-companion/readme.txt"):
        text = doc.read_text()
        assert "DISALLOW_FILE_MODS" in text, doc
        assert "wp-content/plugins/" in text, doc
        assert "wp plugin activate connect-hub-companion" in text, doc
