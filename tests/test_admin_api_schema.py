"""The HTTP API against its own OpenAPI document: every route described, every bad value a 4xx
with a sentence, and schemathesis finding no server error and no answer outside the document.

The hub runs on PostgreSQL here, where the values the issue found (ids beyond 64 bits, NUL
bytes, states longer than the column) used to reach the store and answer 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from connect_hub.config import parse_config
from connect_hub.embedded import running_hub
from connect_hub.runtime import Runtime
from connect_hub.service.admin import OPERATIONS
from connect_hub.store.models import DeliveryState, EventState
from connect_hub_efulfillment.simulator.server import running_simulator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from support import (
    ADMIN_TOKEN,
    ENV,
    PG_URL,
    WAREHOUSE_KEY,
    Hub,
    account_yaml,
    order_body,
    require_service,
    wait_for,
)

AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}
OPERATION_IDS = ["receive_webhook", "healthz", "readyz", "metrics", *(op.operation_id for op in OPERATIONS.values())]
NEGATABLE = [op.operation_id for op in OPERATIONS.values() if op.params or op.body]
"""Operations with something to get wrong (a parameter, a body). The webhook's only parameter
is the integration's name in the path, which any text fits: a wrong one is a 404."""
EXAMPLES = 15
"""Per operation and mode: the whole run stays under a minute on a loaded machine."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub on PostgreSQL with events, records and deliveries in every usual state."""
    require_service("PostgreSQL", 5432)
    folder: Path = tmp_path_factory.mktemp("api")
    with pytest.MonkeyPatch.context() as env, running_simulator(port=0, api_key=WAREHOUSE_KEY) as warehouse:
        for key, value in ENV.items():
            env.setenv(key, value)
        text = account_yaml(account=f"api-{uuid.uuid4().hex[:8]}", store=PG_URL, warehouse_url=warehouse.url)
        file = folder / "account.yaml"
        file.write_text(text)
        runtime = Runtime(parse_config(text, file=str(file)), migrate=True)
        with running_hub(runtime, port=0) as process:
            hub = Hub(process)
            for number in (31, 32):
                assert hub.post_webhook(order_body(id=number, number=str(number))).status_code == 202
            assert hub.post_webhook(order_body(id=33), secret="wrong").status_code == 401
            wait_for(lambda: len([d for d in hub.deliveries() if d["state"] == "done"]) == 2, timeout=30, what="two orders exported")
            yield hub


@pytest.fixture(scope="module")
def schema(hub: Hub) -> Any:
    return schemathesis.openapi.from_url(f"{hub.url}/openapi.json")


def api(hub: Hub, path: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"{hub.url}{path}", headers=AUTH)


def test_the_document_describes_every_route_the_service_answers(hub: Hub) -> None:
    document = httpx.get(f"{hub.url}/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    described = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    from connect_hub.service.app import create_app
    from starlette.routing import Route

    served = {
        (method, route.path) for route in create_app(hub.runtime).routes if isinstance(route, Route)
        for method in (route.methods or {"GET", "POST"}) - {"HEAD"}
        if route.path not in ("/openapi.json", "/docs", "/docs/start.js")
    }
    dispatched = {(op.method, op.path) for op in OPERATIONS.values()}
    assert dispatched | {m for m in served if m[1].startswith(("/webhooks", "/healthz", "/readyz", "/metrics"))} == described
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert "200" in codes or "202" in codes, (method, path)
            if path.startswith("/api/v1"):
                assert {"401", "403"} <= codes, (method, path)
                assert operation["security"] == [{"bearer": []}]
            for code, answer in operation["responses"].items():
                if code.startswith("4"):
                    assert answer["content"]["application/json"]["schema"]["required"] == ["error"], (method, path, code)


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1/deliveries?state=abcdefghijk", "state must be one of pending, running, done, skipped, failed, dead"),
    ("/api/v1/events?state=abcdefghijk", "state must be one of pending, done, failed"),
    ("/api/v1/records/9223372036854775808", "id must be a whole number from 1 to 9223372036854775807"),
    ("/api/v1/events/99999999999999999999", "id must be a whole number from 1 to"),
    ("/api/v1/decisions/9223372036854775808", "id must be a whole number from 1 to"),
    ("/api/v1/decisions?record_id=null", "record_id must be a whole number, not 'null'"),
    ("/api/v1/decisions?record_id=", "record_id must not be empty"),
    ("/api/v1/notices?integration=%00", "integration must not contain a NUL byte"),
    ("/api/v1/events?topic=%00x", "topic must not contain a NUL byte"),
    ("/api/v1/records?key=" + "k" * 301, "key must be at most 300 characters long"),
    ("/api/v1/deliveries?limit=0", "limit must be a whole number from 1 to 500"),
    ("/api/v1/deliveries?after=-1", "after must be a whole number from 0 to"),
    ("/api/v1/records/abc", "id must be a whole number, not 'abc'"),
])
def test_a_bad_value_gets_400_with_a_sentence(hub: Hub, path: str, expected: str) -> None:
    response = api(hub, path)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]


def test_a_replay_of_an_id_beyond_64_bits_is_400_and_an_unknown_one_404(hub: Hub) -> None:
    assert api(hub, "/api/v1/deliveries/99999999999999999999/replay", "POST").status_code == 400
    unknown = api(hub, "/api/v1/deliveries/9223372036854775807/replay", "POST")
    assert unknown.status_code == 404
    assert unknown.json()["error"].startswith("no failed or dead delivery 9223372036854775807")


def test_a_method_a_path_does_not_have_gets_405_with_allow(hub: Hub) -> None:
    response = api(hub, "/api/v1/deliveries/replay-failed")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"error": "GET is not allowed here; use POST"}
    assert api(hub, "/api/v1/records", "DELETE").status_code == 405
    assert httpx.get(f"{hub.url}/webhooks/shop").status_code == 405
    missing = httpx.get(f"{hub.url}/api/v1/nothing-here")
    assert missing.status_code == 404 and "error" in missing.json()


def test_the_filters_still_filter(hub: Hub) -> None:
    done = api(hub, "/api/v1/deliveries?state=done&integration=warehouse&data_type=orders").json()["items"]
    assert len(done) == 2 and {d["state"] for d in done} == {DeliveryState.DONE}
    assert api(hub, "/api/v1/events?state=failed").json()["items"] == []
    events = api(hub, f"/api/v1/events?state={EventState.DONE}&limit=1").json()
    assert len(events["items"]) == 1
    after = api(hub, f"/api/v1/events?state=done&after={events['next_after']}").json()["items"]
    assert [e["id"] > events["next_after"] for e in after] == [True]


def test_the_docs_page_loads_nothing_from_elsewhere(hub: Hub) -> None:
    page = httpx.get(f"{hub.url}/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/docs/static/swagger-ui.css", "/docs/static/swagger-ui-bundle.js", "/docs/start.js"):
        assert asset in page.text
        assert httpx.get(f"{hub.url}{asset}").status_code == 200, asset
    assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(("operation_id", "mode"), [
    *((name, schemathesis.GenerationMode.POSITIVE) for name in OPERATION_IDS),
    *((name, schemathesis.GenerationMode.NEGATIVE) for name in NEGATABLE),
])
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(schema: Any, hub: Hub, operation_id: str, mode: Any) -> None:
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().definition.raw.get("operationId") == operation_id)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        case.call_and_validate(base_url=hub.url, headers=AUTH, checks=CHECKS)

    call()
