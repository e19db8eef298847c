"""The real shop itself: what the connector's and the companion plugin's tests count on."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from realshop.shop import RealShop


def test_the_shop_runs_woocommerce_with_hpos_and_takes_the_api_key_over_oauth(realshop: RealShop) -> None:
    status = realshop.api("GET", "system_status")
    assert status["environment"]["version"] == "9.9.5"
    assert realshop.php("return Automattic\\WooCommerce\\Utilities\\OrderUtil::custom_orders_table_usage_is_enabled();") is True
    refused = realshop.rest("GET", "wc/v3/orders", auth=None)
    assert refused.status_code == 401


def test_a_webhook_reaches_a_loopback_receiver_when_the_queue_runs(realshop: RealShop) -> None:
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"] or 0))
            received.append({"topic": self.headers.get("x-wc-webhook-topic"), "body": body})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = realshop.api("POST", "webhooks", json={"name": "bring-up test", "topic": "product.created", "secret": "s3cret", "delivery_url": f"http://127.0.0.1:{server.server_port}/hook"})
        assert [r["body"] for r in received] == [f"webhook_id={hook['id']}".encode()]  # the ping, synchronous
        product = realshop.api("POST", "products", json={"name": "Bring-up mug", "sku": "BRINGUP-1", "regular_price": "3.00"})
        realshop.run_queue()
        deliveries = [r for r in received if r["topic"] == "product.created"]
        assert [json.loads(d["body"])["id"] for d in deliveries] == [product["id"]]
    finally:
        server.shutdown()
        realshop.api("DELETE", f"webhooks/{hook['id']}", params={"force": "true"})


def test_mail_is_captured_and_the_debug_log_has_no_php_errors(realshop: RealShop) -> None:
    realshop.php("wp_mail( 'someone@example.test', 'Hello', 'Body text' ); return null;")
    assert any(m["subject"] == "Hello" and m["to"] == ["someone@example.test"] for m in realshop.mails())
    assert "PHP Fatal" not in realshop.debug_messages()


def test_without_the_archives_the_reason_says_how_to_get_them(tmp_path, monkeypatch) -> None:
    import pytest
    from realshop import shop

    monkeypatch.setenv(shop.WORDPRESS_ENV, str(tmp_path / "missing.tar.gz"))
    with pytest.raises(shop.Unavailable) as missing:
        shop.archives()
    assert "missing.tar.gz not found" in str(missing.value)
    assert "https://wordpress.org/wordpress-6.8.8.tar.gz" in str(missing.value) and shop.WOOCOMMERCE_ENV in str(missing.value)


def test_under_ci_missing_archives_fail_the_realshop_tests_instead_of_skipping(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from realshop.shop import WORDPRESS_ENV

    here = Path(__file__)
    env = {**os.environ, WORDPRESS_ENV: str(tmp_path / "missing.tar.gz"), "CI": "true"}
    command = [sys.executable, "-m", "pytest", str(here), "-q", "-p", "no:cacheprovider", "-k", "mail_is_captured"]
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False, cwd=here.parents[2])
    assert failed.returncode == 1 and "CI must run the realshop tests" in failed.stdout, failed.stdout
