"""The console's rules page: the rules as loaded, and a dry run of a record or a pasted object."""

from __future__ import annotations

import json

from support import Warehouse, order_body, wait_for
from test_console_auth import csrf_of, signed_in

RULES = """
rules:
  - name: keep test orders out of the warehouse
    stage: export
    data_types: [orders]
    when: {field: email, op: ends_with, value: "@example.test"}
    then: [{block_export: warehouse}]
"""
SAMPLE = {
    "reference": "shop-9", "source": "shop", "number": "9", "status": "processing", "currency": "EUR",
    "total": "5.00", "email": "someone@example.test", "lines": [{"sku": "MUG-1", "quantity": 1}],
}


def test_the_rules_page_lists_the_rules_and_dry_runs_a_pasted_order(make_hub) -> None:
    hub = make_hub(extra=RULES)
    client = signed_in(hub)
    page = client.get("/console/rules").text
    assert "keep test orders out of the warehouse" in page and "block_export" in page
    report = client.post("/console/rules/dry-run", data={"csrf": csrf_of(page), "object": json.dumps(SAMPLE), "data_type": "orders"})
    assert report.status_code == 200
    assert "blocked by rule “keep test orders out of the warehouse”" in report.text
    assert "nothing (dry run)" in report.text


def test_a_dry_run_of_a_stored_record_and_of_broken_json(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub(extra=RULES)
    hub.post_webhook(order_body())
    [record] = wait_for(lambda: hub.api("records?data_type=orders")["items"], what="the order record")
    client = signed_in(hub)
    csrf = csrf_of(client.get("/console/rules").text)
    report = client.post("/console/rules/dry-run", data={"csrf": csrf, "record": str(record["id"])})
    assert report.status_code == 200 and "export to warehouse" in report.text
    assert f'href="/console/rules?record={record["id"]}"' in client.get(f"/console/records/{record['id']}").text
    assert "export to warehouse" in client.get(f"/console/rules?record={record['id']}").text
    assert f"rules test --record {record['id']}" in report.text
    broken = client.post("/console/rules/dry-run", data={"csrf": csrf, "object": "{not json"})
    assert broken.status_code == 400 and "the object is not JSON" in broken.text
    assert client.post("/console/rules/dry-run", data={"object": "{}"}).status_code == 403
