"""``--log-format json``: one JSON object per line, each carrying the account, the integration
and the event or delivery id of the work it is about."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
import pytest
from connect_hub import logs
from support import (
    Processes,
    Warehouse,
    account_yaml,
    free_port,
    order_body,
    sign_headers,
    wait_for,
    wait_until_ready,
)


async def test_the_http_clients_requests_are_not_logged_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO")
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(201))) as client:
        await client.post("https://warehouse.example/api/v1/orders", content=b"{}")
    logging.getLogger("connect_hub.test").info("the hub's own line")
    err = capsys.readouterr().err
    assert "the hub's own line" in err
    assert "HTTP Request" not in err and "warehouse.example" not in err


def test_each_task_logs_its_own_fields_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", "json", account="acme")
    try:
        async def work(delivery_id: int, integration: str) -> None:
            logs.bind(delivery_id=delivery_id)
            await asyncio.sleep(0.01)
            logs.bind(integration=integration)
            logging.getLogger("connect_hub.test").warning("delivery %s tried", delivery_id)

        async def both() -> None:
            await asyncio.gather(work(1, "warehouse"), work(2, "shop"))

        asyncio.run(both())
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("connect_hub.test").exception("it broke")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(l["account"], l["integration"], l["delivery_id"], l["message"]) for l in lines[:2]] == [
        ("acme", "warehouse", 1, "delivery 1 tried"), ("acme", "shop", 2, "delivery 2 tried"),
    ]
    assert lines[2]["level"] == "ERROR" and "ValueError: boom" in lines[2]["error"] and "delivery_id" not in lines[2]
    assert lines[0]["time"].endswith("Z") and lines[0]["logger"] == "connect_hub.test"


@pytest.mark.slow
def test_serve_with_log_format_json_writes_only_json_lines_with_the_works_ids(tmp_path: Path, warehouse: Warehouse) -> None:
    port = free_port()
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url=warehouse.url)
    config = tmp_path / "account.yaml"
    config.write_text(text.replace("port: 0", f"port: {port}"))
    procs = Processes(config, tmp_path)
    procs.start("service", "serve", "--log-format", "json")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url)
        warehouse.fault(status=500, count=-1, path_prefix="/api/v1/orders", method="POST")
        body = order_body(id=51, number="51")
        assert httpx.post(f"{url}/webhooks/shop", content=body, headers=sign_headers(body, secret="wrong")).status_code == 401
        assert httpx.post(f"{url}/webhooks/shop", content=body, headers=sign_headers(body)).status_code == 202
        wait_for(lambda: "is dead after" in (tmp_path / "service.log").read_text(), timeout=60, what="the delivery dead")
    finally:
        procs.stop_all()
    lines = [json.loads(line) for line in (tmp_path / "service.log").read_text().splitlines() if line.strip()]
    assert all(line["account"] == "acme" for line in lines)
    rejected = next(line for line in lines if line["message"].startswith("rejected a webhook"))
    assert rejected["integration"] == "shop" and rejected["level"] == "WARNING"
    dead = next(line for line in lines if "is dead after" in line["message"])
    assert dead["integration"] == "warehouse" and isinstance(dead["delivery_id"], int)
    assert any(line["message"].startswith("connect-hub account acme listening on") for line in lines)
    assert "hub-secret-key-for-tests" not in (tmp_path / "service.log").read_text()

