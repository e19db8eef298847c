"""Rules in the running hub: a custom WooCommerce status mapped by a rule, test orders kept out of
the warehouse but stored, decisions visible in the API and ``status``, and the dry run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from support import ADMIN_TOKEN, ENV, Hub, Warehouse, order_body, wait_for

MAP_STATUS = """
rules:
  - name: awaiting pickup is processing
    stage: import
    data_types: [orders]
    when: {field: source_status, op: equals, value: wc-awaiting-pickup}
    then:
      - set: {field: status, value: processing}
"""

BLOCK_TEST_ORDERS = """
rules:
  - name: keep test orders out of the warehouse
    stage: export
    data_types: [orders]
    when: {field: billing.email, op: ends_with, value: "@example.test"}
    then: [{block_export: warehouse}]
"""


def events_done(hub: Hub, n: int = 1) -> bool:
    events = hub.events()
    return len(events) == n and all(e["state"] != "pending" for e in events)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "connect_hub.cli", *args], capture_output=True, text=True,
        env={**os.environ, **ENV, "COLUMNS": "250"}, timeout=60, check=False,
    )


def test_a_custom_status_mapped_by_a_rule_is_imported_and_exported(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub(MAP_STATUS)
    hub.post_webhook(order_body(status="wc-awaiting-pickup"))
    orders = wait_for(warehouse.orders, what="the order at the warehouse")
    assert [o["reference"] for o in orders] == ["shop-22"]
    record = hub.api("records?data_type=orders")["items"][0]
    assert record["data"]["status"] == "processing" and record["data"]["source_status"] == "wc-awaiting-pickup"
    [decision] = hub.api("decisions?stage=import")["items"]
    assert decision["matched"] == ["awaiting pickup is processing"] and decision["record_id"] == record["id"]
    assert decision["changes"] == [{"rule": "awaiting pickup is processing", "field": "status", "before": None, "after": "processing"}]


def test_a_custom_status_without_a_rule_is_kept_failed_with_both_fixes(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    hub.post_webhook(order_body(status="wc-awaiting-pickup"))
    wait_for(lambda: events_done(hub), what="the event processed")
    [event] = hub.events()
    assert event["state"] == "failed"
    reason = event["last_error"]
    assert "order 22" in reason and "'shop'" in reason and "'wc-awaiting-pickup'" in reason
    assert "status_map" in reason and "import rule" in reason
    assert hub.api("records?data_type=orders")["items"] == [] and warehouse.orders() == []


def test_test_orders_are_stored_but_blocked_from_the_warehouse_with_the_rule_named(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub(BLOCK_TEST_ORDERS)
    hub.post_webhook(order_body())  # billing e-mail hook.…@example.test
    skipped = wait_for(lambda: hub.deliveries(state="skipped"), what="a skipped delivery")
    assert skipped[0]["integration"] == "warehouse"
    assert skipped[0]["blocked_by"] == "keep test orders out of the warehouse"
    assert skipped[0]["reason"] == "blocked by rule 'keep test orders out of the warehouse'"
    assert len(hub.api("records?data_type=orders")["items"]) == 1
    [decision] = hub.api("decisions?stage=export")["items"]
    assert decision["delivery_id"] == skipped[0]["id"] and decision["blocked_by"] == "keep test orders out of the warehouse"
    assert hub.api(f"decisions?blocked_by={decision['blocked_by']}")["items"][0]["id"] == decision["id"]
    assert warehouse.orders() == []
    status = cli("status", "--config", hub.config_file)
    assert status.returncode == 0, status.stderr
    assert "keep test orders out of the warehouse" in status.stdout


def test_a_real_customer_order_still_goes_to_the_warehouse(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub(BLOCK_TEST_ORDERS)
    body = json.loads(order_body())
    body["billing"]["email"] = "ann@customer.example"
    hub.post_webhook(json.dumps(body).encode())
    wait_for(warehouse.orders, what="the order at the warehouse")
    assert hub.api("decisions")["items"] == []


def test_an_import_rule_blocks_an_order_and_the_event_says_which_rule(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub("""
rules:
  - {name: no test shop orders, scope: shop, stage: import, data_types: [orders], when: {field: email, op: ends_with, value: "@example.test"}, then: [{block_import: true}]}
""")
    hub.post_webhook(order_body())
    wait_for(lambda: events_done(hub), what="the event processed")
    [event] = hub.events()
    assert event["state"] == "done" and "blocked by rule 'no test shop orders'" in event["last_error"]
    assert hub.api("records?data_type=orders")["items"] == []
    [decision] = hub.api("decisions")["items"]
    assert decision["event_id"] == event["id"] and decision["blocked_by"] == "no test shop orders"
    status = cli("status", "--config", hub.config_file)
    assert "no test shop orders" in status.stdout


def test_the_dry_run_reports_and_writes_nothing(make_hub, warehouse: Warehouse, tmp_path: Path) -> None:
    hub = make_hub(MAP_STATUS.rstrip() + BLOCK_TEST_ORDERS.replace("rules:\n", "\n"))
    hub.post_webhook(order_body(status="wc-awaiting-pickup"))
    wait_for(lambda: hub.deliveries(state="skipped"), what="the blocked delivery")
    record = hub.api("records?data_type=orders")["items"][0]
    before = (hub.api("decisions")["items"], hub.deliveries(), hub.api("records")["items"])
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}

    report = httpx.post(f"{hub.url}/api/v1/rules/test", json={"record_id": record["id"]}, headers=headers).json()
    assert report["record_id"] == record["id"]
    assert report["blocked"] == [{"stage": "export", "integration": "warehouse", "rule": "keep test orders out of the warehouse"}]

    sample = json.loads(order_body(status="wc-awaiting-pickup"))
    obj = {**record["data"], "status": None, "source_status": "wc-awaiting-pickup", "reference": "shop-99"}
    report = httpx.post(f"{hub.url}/api/v1/rules/test", json={"data_type": "orders", "object": obj, "stage": "import"}, headers=headers).json()
    [step] = report["steps"]
    assert step["matched"] == ["awaiting pickup is processing"] and report["before"]["status"] is None
    assert step["after"]["status"] == "processing"
    bad = httpx.post(f"{hub.url}/api/v1/rules/test", json={"data_type": "orders", "object": sample}, headers=headers)
    assert bad.status_code == 400 and "not a valid orders object" in bad.json()["error"]
    assert (hub.api("decisions")["items"], hub.deliveries(), hub.api("records")["items"]) == before

    file = tmp_path / "sample.json"
    file.write_text(json.dumps({"data_type": "orders", "object": obj}))
    printed = cli("rules", "test", "--file", str(file), "--config", hub.config_file)
    assert printed.returncode == 0, printed.stderr
    assert "awaiting pickup is processing" in printed.stdout and "status: None -> 'processing'" in printed.stdout
    assert "blocked by rule 'keep test orders out of the warehouse'" in printed.stdout
    as_json = cli("rules", "test", "--record", str(record["id"]), "--stage", "export", "--json", "--config", hub.config_file)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["blocked"][0]["rule"] == "keep test orders out of the warehouse"
    assert (hub.api("decisions")["items"], hub.deliveries(), hub.api("records")["items"]) == before
    missing = cli("rules", "test", "--record", "999", "--config", hub.config_file)
    assert missing.returncode == 2 and "no record 999" in missing.stderr
