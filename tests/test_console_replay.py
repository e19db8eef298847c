"""Failures grouped by cause in the console: a group replays with one button, or with the CLI
command shown beside it."""

from __future__ import annotations

import html
import re
import shlex
import subprocess
import sys

from support import ENV, Hub, Warehouse, order_body, wait_for
from test_console_auth import csrf_of, signed_in


def two_failed(hub: Hub, warehouse: Warehouse) -> list[dict]:
    warehouse.fault(status=422, count=2, path_prefix="/api/v1/orders", method="POST")
    for number in (501, 502):
        assert hub.post_webhook(order_body(id=number, number=str(number))).status_code == 202
    return wait_for(lambda: len(hub.deliveries(state="failed")) == 2 and hub.deliveries(state="failed"), what="two failed deliveries")


def test_two_orders_failing_for_one_cause_are_one_group_replayed_with_one_button(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    failed = two_failed(hub, warehouse)
    client = signed_in(hub)
    page = client.get("/console/failures").text
    assert "2 failed or dead deliveries, 0 failed events" in page and "2 deliveries to warehouse (orders), failed" in page
    group = re.search(r'name="group" value="([0-9a-f]+)"', page).group(1)
    response = client.post("/console/replay", data={"csrf": csrf_of(page), "group": group, "next": "/console/failures"})
    assert response.status_code == 303 and "replayed%202%20deliveries" in response.headers["location"]
    wait_for(lambda: all(hub.api(f"deliveries/{d['id']}")["state"] == "done" for d in failed), what="both deliveries done")
    assert "Nothing has failed." in client.get("/console/failures").text


def test_the_cli_command_beside_a_group_replays_that_group(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    failed = two_failed(hub, warehouse)
    page = signed_in(hub).get("/console/failures").text
    commands = [html.unescape(c) for c in re.findall(r'<code class="cli">([^<]+)</code>', page)]
    command = next(c for c in commands if "--all-failed" not in c)
    assert command.startswith("connect-hub replay ")
    args = shlex.split(command)[1:]
    assert sorted(int(a) for a in args[1:3]) == sorted(d["id"] for d in failed)
    result = subprocess.run([sys.executable, "-m", "connect_hub.cli", *args], capture_output=True, text=True, env={**_env(), **ENV}, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "replayed 2 deliveries" in result.stdout
    wait_for(lambda: all(hub.api(f"deliveries/{d['id']}")["state"] == "done" for d in failed), what="both deliveries done (picked up by the sweeper)")


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
