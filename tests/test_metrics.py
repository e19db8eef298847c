"""``/metrics`` shows the whole hub: in production shape (service and two workers as OS
processes, PostgreSQL and Redis) the service's answer carries the workers' counters and
histograms, added up, and the store's gauges; the shipped alert rules and dashboard name only
metrics the hub exports, and promtool accepts the rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from support import (
    REPO,
    Processes,
    RemoteHub,
    Warehouse,
    order_body,
    production_hub,
    wait_for,
)

DEPLOY = REPO / "deploy"
ALERTS = DEPLOY / "prometheus" / "connect-hub-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "connect-hub.json"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def production(tmp_path: Path, postgres: str, redis_url: str, warehouse: Warehouse) -> Iterator[tuple[Processes, RemoteHub]]:
    with production_hub(tmp_path, postgres, redis_url, warehouse, prefix="metrics") as running:
        yield running


@pytest.mark.slow
def test_the_services_metrics_carry_the_workers_counters_in_production_shape(production: tuple[Processes, RemoteHub]) -> None:
    procs, hub = production
    for number in (41, 42, 43):
        assert hub.post_webhook(order_body(id=number, number=str(number))).status_code == 202
    assert hub.post_webhook(order_body(id=44), secret="wrong").status_code == 401
    wait_for(lambda: len([d for d in hub.deliveries(integration="warehouse") if d["state"] == "done"]) == 3,
             timeout=60, what="three orders exported by the workers")

    def exported_counted() -> str | None:  # each worker publishes every few seconds: the one that imported may be later
        text = httpx.get(f"{hub.url}/metrics").text
        exported = value(text, "connect_hub_delivery_tries_total", integration="warehouse", state="done") == 3
        return text if exported and (value(text, "connect_hub_events_total", outcome="imported") or 0) >= 3 else None

    try:
        text = wait_for(exported_counted, timeout=30, what="the workers' export tries at the service's /metrics")
    except AssertionError:
        raise AssertionError(httpx.get(f"{hub.url}/metrics").text[-3000:] + procs.log()) from None
    assert value(text, "connect_hub_events_total", outcome="imported") >= 3  # counted in the workers
    assert value(text, "connect_hub_export_latency_seconds_count", integration="warehouse") == 3
    assert value(text, "connect_hub_export_latency_seconds_bucket", integration="warehouse", le="+Inf") == 3
    assert value(text, "connect_hub_webhooks_total", integration="shop", verdict="accept") == 3  # counted in the service
    assert value(text, "connect_hub_webhooks_total", integration="shop", verdict="reject") == 1
    assert value(text, "connect_hub_deliveries", integration="warehouse", state="done") == 3  # from the store
    assert value(text, "connect_hub_events", integration="shop", state="done") == 3
    assert value(text, "connect_hub_oldest_pending_seconds", kind="delivery") == 0
    assert value(text, "connect_hub_queue_depth") is not None
    assert value(text, "connect_hub_queue_oldest_seconds") is not None
    assert "connect_hub_notices" in {f.name for f in text_string_to_metric_families(text)}


def test_the_embedded_hub_serves_the_same_metrics_from_its_one_process(make_hub) -> None:
    hub = make_hub()
    assert hub.post_webhook(order_body()).status_code == 202
    wait_for(lambda: [d for d in hub.deliveries() if d["state"] == "done"], timeout=30, what="the order exported")
    text = wait_for(lambda: (t := httpx.get(f"{hub.url}/metrics").text) and "connect_hub_export_latency_seconds_count" in t and t,
                    what="the export latency")
    assert value(text, "connect_hub_deliveries", integration="warehouse", state="done") == 1
    assert value(text, "connect_hub_export_latency_seconds_count", integration="warehouse") >= 1


def exported_names(make_hub) -> set[str]:
    hub = make_hub()
    assert hub.post_webhook(order_body()).status_code == 202
    wait_for(lambda: [d for d in hub.deliveries() if d["state"] == "done"], timeout=30, what="the order exported")
    text = httpx.get(f"{hub.url}/metrics").text
    return {s[0] for s in samples(text)} | {f.name for f in text_string_to_metric_families(text)}


def named_metrics(expression: str) -> set[str]:
    return set(re.findall(r"\bconnect_hub_[a-z_]+\b", expression))


def test_the_alert_rules_pass_promtool_and_name_only_exported_metrics(make_hub) -> None:
    rules = yaml.safe_load(ALERTS.read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"ConnectHubDeliveriesDead", "ConnectHubQueueBacklog", "ConnectHubWebhooksRejected"} <= {a["alert"] for a in alerts}
    for alert in alerts:
        assert alert["annotations"]["summary"] and alert["labels"]["severity"] in ("warning", "critical"), alert["alert"]
    names = exported_names(make_hub)
    for alert in alerts:
        assert named_metrics(alert["expr"]) <= names, (alert["alert"], named_metrics(alert["expr"]) - names)
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: `apt-get install prometheus` (Debian) provides it")
    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_is_grafana_json_whose_panels_name_only_exported_metrics(make_hub) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] and dashboard["uid"] and dashboard["schemaVersion"] >= 30
    names = exported_names(make_hub)
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(expressions) >= 8
    for expression in expressions:
        assert named_metrics(expression) <= names, (expression, named_metrics(expression) - names)
    shown = set().union(*map(named_metrics, expressions))
    for wanted in ("connect_hub_events", "connect_hub_deliveries", "connect_hub_queue_depth", "connect_hub_oldest_pending_seconds",
                   "connect_hub_export_latency_seconds_bucket", "connect_hub_notices", "connect_hub_webhooks_total"):
        assert wanted in shown, wanted
