"""The e-mail and URL actions: run once after the commit, signed, recorded on the decision; a
failure is recorded and never blocks the sync; a dry run only reports them."""

from __future__ import annotations

import hashlib
import hmac
import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from connect_hub.secrets import derive_secret
from support import ADMIN_TOKEN, ENV, Hub, Warehouse, order_body, wait_for

HOOK_SECRET = "hook-secret-4b1d"


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept every command, keep each DATA."""

    def handle(self) -> None:
        self.wfile.write(b"220 test smtp\r\n")
        lines: list[bytes] | None = None
        while line := self.rfile.readline():
            if lines is not None:
                if line == b".\r\n":
                    self.server.messages.append(b"".join(lines))  # type: ignore[attr-defined]
                    lines = None
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            if command == b"DATA":
                lines = []
                self.wfile.write(b"354 go ahead\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.messages = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class _HookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.calls.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(self.server.answer)  # type: ignore[attr-defined]
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    server.calls, server.answer = [], 200  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def alerting(smtp_port: int, hook_port: int, secret: str = 'secret: "${TEST_HOOK_SECRET}"') -> str:
    return f"""
smtp: {{host: 127.0.0.1, port: {smtp_port}, sender: hub@acme.example}}
rules:
  - name: large order alert
    stage: import
    data_types: [orders]
    when: {{field: total, op: greater, value: 10}}
    then:
      - send_email: {{to: [ops@acme.example], subject: "Large order {{number}}: {{total}} {{currency}}", body: "SKUs: {{lines.sku}}"}}
      - call_url: {{url: "http://127.0.0.1:{hook_port}/orders", {secret}}}
"""


def test_an_alert_sends_one_mail_and_one_signed_call_even_for_a_repeated_webhook(
    make_hub, warehouse: Warehouse, smtp_server: Any, receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", HOOK_SECRET)
    hub: Hub = make_hub(alerting(smtp_server.server_address[1], receiver.server_address[1]))
    body = order_body()
    hub.post_webhook(body)
    wait_for(lambda: smtp_server.messages and receiver.calls, what="the mail and the call")
    wait_for(warehouse.orders, what="the order still reaches the warehouse")
    hub.post_webhook(body)
    wait_for(lambda: len(hub.api("decisions")["items"]) == 2, what="the second decision")

    [mail] = [message_from_bytes(m) for m in smtp_server.messages]
    assert mail["To"] == "ops@acme.example" and mail["From"] == "hub@acme.example"
    assert mail["Subject"] == "Large order 22: 12.50 USD" and "SKUs: VER-MUG-001" in mail.get_payload()
    [(headers, raw)] = receiver.calls
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Connect-Hub-Signature"], expected)
    payload = json.loads(raw)
    assert payload["rule"] == "large order alert" and payload["object"]["reference"] == "shop-22"

    first, second = hub.api("decisions")["items"]
    assert [e["state"] for e in first["effects"]] == ["done", "done"]
    assert payload["decision_id"] == first["id"]
    assert [e["state"] for e in second["effects"]] == ["not run", "not run"]  # same content: no new version


def test_a_failing_call_is_recorded_and_does_not_block_the_sync(
    make_hub, warehouse: Warehouse, smtp_server: Any, receiver: Any
) -> None:
    receiver.answer = 500
    hub: Hub = make_hub(alerting(smtp_server.server_address[1], receiver.server_address[1], secret=""))
    hub.post_webhook(order_body())
    wait_for(warehouse.orders, what="the order at the warehouse")
    effects = wait_for(lambda: [d for d in hub.api("decisions")["items"] if d["effects"][1]["state"] != "pending"], what="the effects ran")[0]["effects"]
    assert effects[0]["state"] == "done"
    assert effects[1]["state"] == "failed" and "500" in effects[1]["detail"]
    [(headers, raw)] = receiver.calls  # without a secret, one derived from the hub's key for the rule
    secret = derive_secret(ENV["TEST_HUB_SECRET_KEY"], "rule", "acme", "large order alert")
    assert headers["X-Connect-Hub-Signature"] == "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_a_dry_run_only_says_what_it_would_send(make_hub, warehouse: Warehouse, smtp_server: Any, receiver: Any, monkeypatch) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", HOOK_SECRET)
    hub: Hub = make_hub(alerting(smtp_server.server_address[1], receiver.server_address[1]))
    obj = {
        "reference": "shop-5", "source": "shop", "number": "5", "status": "processing", "currency": "EUR",
        "total": "99.00", "lines": [{"sku": "A", "quantity": 1}],
    }
    report = httpx.post(
        f"{hub.url}/api/v1/rules/test", json={"data_type": "orders", "object": obj, "stage": "import", "integration": "shop"},
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    ).json()
    assert report["steps"][0]["effects"] == [
        "would send an e-mail to ops@acme.example: 'Large order 5: 99.00 EUR' (rule 'large order alert')",
        f"would call http://127.0.0.1:{receiver.server_address[1]}/orders (rule 'large order alert')",
    ]
    assert smtp_server.messages == [] and receiver.calls == []
