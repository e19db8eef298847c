"""The warehouse simulator over real HTTP: idempotent creates, auth, faults, pagination."""

from __future__ import annotations

import time

import httpx
import pytest
from connect_hub_efulfillment.simulator import RunningSimulator, running_simulator

KEY = "sim-secret"
ORDER = {"reference": "shop-1", "lines": [{"sku": "MUG-1", "quantity": 2, "name": "Mug"}]}


@pytest.fixture(scope="module")
def simulator():
    with running_simulator(api_key=KEY) as sim:
        yield sim


@pytest.fixture
def http(simulator: RunningSimulator):
    simulator.state.reset()
    with httpx.Client(base_url=simulator.url, headers={"X-Api-Key": KEY}, timeout=5) as client:
        yield client


def order(reference: str) -> dict:
    return ORDER | {"reference": reference}


def test_same_reference_twice_is_one_order(http: httpx.Client):
    first = http.post("/api/v1/orders", json=ORDER)
    second = http.post("/api/v1/orders", json=ORDER | {"email": "changed@example.com"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert first.json()["id"] == "WH-000001"
    assert first.json()["status"] == "received"
    [stored] = http.get("/_sim/orders").json()
    assert stored["reference"] == "shop-1"
    assert stored["create_requests"] == 2


def test_wrong_or_missing_key_is_401(simulator: RunningSimulator, http: httpx.Client):
    for headers in ({}, {"X-Api-Key": "nope"}):
        response = httpx.post(f"{simulator.url}/api/v1/orders", json=ORDER, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert simulator.state.orders == {}
    assert http.get("/api/v1/ping").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([], "no_lines"),
        ([{"sku": "MUG-1", "quantity": 0}], "invalid_quantity"),
        ([{"sku": "MUG-1", "quantity": 1.5}], "invalid_quantity"),
        ([{"sku": "MUG-1", "quantity": "2"}], "invalid_quantity"),
        ([{"quantity": 1}], "missing_sku"),
    ],
)
def test_invalid_orders_are_422(http: httpx.Client, lines, code):
    response = http.post("/api/v1/orders", json=ORDER | {"lines": lines})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert http.get("/_sim/orders").json() == []


def test_get_and_cancel_and_shipped_orders(http: httpx.Client):
    http.post("/api/v1/orders", json=order("a"))
    http.post("/api/v1/orders", json=order("b"))

    assert http.get("/api/v1/orders/missing").status_code == 404
    assert http.post("/api/v1/orders/a/cancel").json()["status"] == "cancelled"
    assert http.get("/api/v1/orders/a").json()["status"] == "cancelled"
    assert http.post("/_sim/orders/b/ship").json()["status"] == "shipped"
    refused = http.post("/api/v1/orders/b/cancel")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "order_shipped"


def test_fault_500_then_success(http: httpx.Client):
    http.post("/_sim/faults", json={"status": 500, "count": 2, "path_prefix": "/api/v1/orders"})

    statuses = [http.post("/api/v1/orders", json=ORDER).status_code for _ in range(3)]

    assert statuses == [500, 500, 201]
    assert http.get("/api/v1/ping").status_code == 200


def test_fault_429_with_retry_after(http: httpx.Client):
    http.post("/_sim/faults", json={"status": 429, "retry_after": 2})

    limited = http.get("/api/v1/ping")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.json()["error"]["code"] == "simulated_fault"
    assert http.get("/api/v1/ping").status_code == 200


def test_fault_until_cleared(http: httpx.Client):
    http.post("/_sim/faults", json={"status": 503, "count": -1})
    assert [http.get("/api/v1/ping").status_code for _ in range(3)] == [503] * 3

    assert http.delete("/_sim/faults").status_code == 204
    assert http.get("/api/v1/ping").status_code == 200


def test_delay_after_create_stores_the_order_before_answering(simulator, http: httpx.Client):
    http.post("/_sim/faults", json={"delay_after_create": 1.0, "method": "POST"})

    with pytest.raises(httpx.ReadTimeout):
        http.post("/api/v1/orders", json=ORDER, timeout=0.3)
    assert [o["reference"] for o in simulator.state.list_orders()] == ["shop-1"]

    retried = http.post("/api/v1/orders", json=ORDER)
    assert retried.status_code == 200
    assert http.get("/_sim/orders").json()[0]["create_requests"] == 2


def test_delay_before_answering(http: httpx.Client):
    http.post("/_sim/faults", json={"delay": 0.3})

    started = time.monotonic()
    assert http.get("/api/v1/ping").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_invalid_fault_is_422(http: httpx.Client):
    assert http.post("/_sim/faults", json={"status": 500, "colour": "red"}).status_code == 422
    assert http.post("/_sim/faults", json={"count": 0}).status_code == 422
    assert http.post("/_sim/faults", json={"status": "500"}).status_code == 422
    assert http.post("/_sim/faults", json={"status": 200}).status_code == 422
    assert http.post("/_sim/faults", json={"delay": -1}).status_code == 422
    assert http.post("/_sim/faults", json=[]).status_code == 422
    assert http.get("/api/v1/ping").status_code == 200


def test_fault_for_one_method_only(http: httpx.Client):
    http.post("/_sim/faults", json={"status": 502, "method": "post", "count": -1})

    assert http.get("/api/v1/orders").status_code == 200
    assert http.post("/api/v1/orders", json=ORDER).status_code == 502


def test_orders_pagination(http: httpx.Client):
    for number in range(1, 8):
        http.post("/api/v1/orders", json=order(f"shop-{number}"))

    pages = [http.get("/api/v1/orders", params={"page": p, "per_page": 3}) for p in (1, 2, 3, 4)]

    assert [[o["reference"] for o in page.json()] for page in pages] == [
        ["shop-1", "shop-2", "shop-3"],
        ["shop-4", "shop-5", "shop-6"],
        ["shop-7"],
        [],
    ]
    assert {page.headers["X-Total-Count"] for page in pages} == {"7"}
    assert http.get("/api/v1/orders", params={"page": 0}).status_code == 422
    assert http.get("/api/v1/orders", params={"per_page": 101}).status_code == 422


def test_stock_seeding_and_pagination(http: httpx.Client):
    assert http.post("/_sim/stock", json={"B": 2, "A": 5, "C": 0}).status_code == 200
    assert http.post("/_sim/stock", json={"A": -1}).status_code == 422

    first = http.get("/api/v1/stock", params={"page": 1, "per_page": 2})
    second = http.get("/api/v1/stock", params={"page": 2, "per_page": 2})

    def levels(page: httpx.Response) -> list[tuple[str, int, int, int]]:
        return [(i["sku"], i["quantity"], i["on_hand"], i["reserved"]) for i in page.json()]

    assert levels(first) == [("A", 5, 5, 0), ("B", 2, 2, 0)]
    assert levels(second) == [("C", 0, 0, 0)]
    assert all(item["changed_at"] for item in first.json() + second.json())
    assert first.headers["X-Total-Count"] == "3"


def test_request_log_and_reset():
    # a simulator of its own: a request an earlier test left sleeping in a fault would log here
    with running_simulator(api_key=KEY) as simulator, httpx.Client(base_url=simulator.url, headers={"X-Api-Key": KEY}, timeout=5) as http:
        http.post("/api/v1/orders", json=ORDER)
        http.get("/api/v1/orders", params={"page": 1})

        logged = http.get("/_sim/requests").json()
        assert [(r["method"], r["path"], r["query"], r["status"]) for r in logged] == [
            ("POST", "/api/v1/orders", "", 201),
            ("GET", "/api/v1/orders", "page=1", 200),
        ]

        assert http.post("/_sim/reset").status_code == 204
        assert simulator.state.list_orders() == [] and simulator.state.logged_requests() == []


def test_running_simulator_stops_even_with_a_request_sleeping_in_a_fault():
    with running_simulator(api_key=KEY) as sim:
        httpx.post(f"{sim.url}/_sim/faults", json={"delay": 30})
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{sim.url}/api/v1/ping", headers={"X-Api-Key": KEY}, timeout=0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sim.url}/api/v1/ping", timeout=1)


def test_running_simulator_on_a_taken_port_says_so(simulator: RunningSimulator):
    port = int(simulator.url.rsplit(":", 1)[1])

    taken = running_simulator(port=port, api_key=KEY)
    with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"):
        taken.__enter__()
