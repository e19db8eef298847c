"""Helpers and fixtures for the core tests: account files, a running simulator, a running hub."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub.config import parse_config
from connect_hub.embedded import running_hub
from connect_hub.runtime import Runtime
from connect_hub_efulfillment.simulator.server import running_simulator
from connect_hub_woocommerce.sandbox import SANDBOX_PAIRING_CODE
from connect_hub_woocommerce.webhooks import sign

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "plugins" / "woocommerce" / "tests" / "samples" / "received"
WEBHOOK_SECRET = "verify-secret-123"
WAREHOUSE_KEY = "wh-test-key-5f2a"
ADMIN_TOKEN = "admin-test-token-93c1"
ENV = {
    "TEST_HUB_SECRET_KEY": "hub-secret-key-for-tests",
    "TEST_ADMIN_TOKEN": ADMIN_TOKEN,
    "TEST_SHOP_KEY": "ck_test_0123456789",
    "TEST_SHOP_SECRET": "cs_test_9876543210",
    "TEST_SHOP_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "TEST_WAREHOUSE_KEY": WAREHOUSE_KEY,
    "TEST_PAIRING_CODE": SANDBOX_PAIRING_CODE,
}
PG_URL = os.environ.get("CONNECT_HUB_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
"""The PostgreSQL the tests use; override to give a second checkout a database of its own."""
REDIS_URL = os.environ.get("CONNECT_HUB_TEST_REDIS", "redis://127.0.0.1:6379/0")


def account_yaml(*, account: str, store: str, broker: str = "memory://", warehouse_url: str, extra: str = "") -> str:
    return f"""
account: {account}
store: {store}
broker: {broker}
secret_key: ${{TEST_HUB_SECRET_KEY}}
admin_token: ${{TEST_ADMIN_TOKEN}}
service: {{host: 127.0.0.1, port: 0}}
delivery: {{max_attempts: 3, backoff_base: 0.2, backoff_max: 2, lease: 4}}
sweeper: {{interval: 0.5, stale_after: 1.5}}
integrations:
  shop:
    connector: woocommerce
    preset: shop-with-efulfillment
    settings:
      url: https://shop.example
      api_key: ${{TEST_SHOP_KEY}}
      api_secret: ${{TEST_SHOP_SECRET}}
      webhook_secret: ${{TEST_SHOP_WEBHOOK_SECRET}}
  warehouse:
    connector: efulfillment
    preset: fulfilment
    settings:
      url: {warehouse_url}
      api_key: ${{TEST_WAREHOUSE_KEY}}
      timeout: 10
{extra}
"""


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Skip when a real service is missing, except under CI=true, where that is a failure."""
    if service_available("127.0.0.1", port):
        return
    message = f"{name} is not running on 127.0.0.1:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must run the tests that need it)")
    pytest.skip(message)


@pytest.fixture
def postgres() -> str:
    require_service("PostgreSQL", 5432)
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The store opened on this test's loop, once on SQLite and once on PostgreSQL."""
    from connect_hub.store.database import close_store, open_store

    url = f"sqlite://{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres")
    await open_store(url, apply_migrations=True)
    yield request.param
    await close_store()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", 6379)
    return REDIS_URL


@pytest.fixture
def simulator() -> Iterator[Any]:
    with running_simulator(port=0, api_key=WAREHOUSE_KEY) as sim:
        yield sim


class Warehouse:
    """The simulator seen over HTTP through its control routes."""

    def __init__(self, url: str):
        self.url = url

    def orders(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_sim/orders").json()

    def fault(self, **fault: Any) -> None:
        httpx.post(f"{self.url}/_sim/faults", json=fault).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_sim/faults").raise_for_status()


@pytest.fixture
def warehouse(simulator: Any) -> Warehouse:
    return Warehouse(simulator.url)


def sign_headers(body: bytes, *, topic: str = "order.updated", secret: str = WEBHOOK_SECRET, signature: str | None = None) -> dict[str, str]:
    """The headers WooCommerce sends with a webhook, signed for ``body``."""
    return {
        "content-type": "application/json",
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-source": "https://shop.example/",
        "x-wc-webhook-signature": signature if signature is not None else sign(secret, body),
        "x-wc-webhook-id": "3",
        "x-wc-webhook-delivery-id": uuid.uuid4().hex,
    }


class Hub:
    """A hub running in this process, with helpers to post webhooks and read the admin API."""

    def __init__(self, process: Any):
        self.process = process
        self.url = process.url
        self.runtime: Runtime = process.runtime
        self.config_file = process.runtime.config.source_file

    def post_webhook(self, body: bytes, *, topic: str = "order.updated", secret: str = WEBHOOK_SECRET, integration: str = "shop", signature: str | None = None) -> httpx.Response:
        headers = sign_headers(body, topic=topic, secret=secret, signature=signature)
        return httpx.post(f"{self.url}/webhooks/{integration}", content=body, headers=headers)

    def api(self, path: str, method: str = "GET") -> Any:
        response = httpx.request(method, f"{self.url}/api/v1/{path}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        response.raise_for_status()
        return response.json()

    def deliveries(self, **filters: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.api(f"deliveries?{query}")["items"]

    def events(self) -> list[dict[str, Any]]:
        return self.api("events")["items"]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def make_hub(tmp_path: Path, warehouse: Warehouse) -> Iterator[Callable[..., Hub]]:
    """Start an embedded hub (SQLite, in-process broker) against the simulator."""
    started: list[Any] = []

    def start(extra: str = "", store: str | None = None, account: str = "acme") -> Hub:
        text = account_yaml(account=account, store=store or f"sqlite://{tmp_path}/hub.db", warehouse_url=warehouse.url, extra=extra)
        file = tmp_path / "account.yaml"
        file.write_text(text)
        runtime = Runtime(parse_config(text, file=str(file)), migrate=True)
        context = running_hub(runtime, port=0)
        process = context.__enter__()
        started.append(context)
        return Hub(process)

    yield start
    for context in reversed(started):
        context.__exit__(None, None, None)


def order_body(sample: str = "0013-order_updated.json", **changes: Any) -> bytes:
    """A real WooCommerce order body with some fields changed (re-signed by the poster)."""
    raw = json.loads((SAMPLES / sample).read_text())["body_raw"]
    data = json.loads(raw)
    data.update(changes)
    return json.dumps(data).encode()


def raw_sample(sample: str) -> tuple[dict[str, str], bytes]:
    captured = json.loads((SAMPLES / sample).read_text())
    return {k.lower(): v for k, v in captured["headers"]}, captured["body_raw"].encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shop:
    """The WooCommerce sandbox seen over HTTP through its control routes."""

    def __init__(self, url: str):
        self.url = url

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_sandbox/state").json()

    def product(self, sku: str) -> dict[str, Any]:
        return next(p for p in self.state()["products"] if p["sku"] == sku)

    def order(self, order_id: int) -> dict[str, Any]:
        return next(o for o in self.state()["orders"] if o["id"] == order_id)

    def place_order(self, lines: list[tuple[str, int]], email: str = "shopper@example.test") -> int:
        response = httpx.post(f"{self.url}/_sandbox/orders", json={"lines": [{"sku": s, "quantity": q} for s, q in lines], "email": email})
        response.raise_for_status()
        return response.json()["id"]

    def webhooks(self) -> list[dict[str, Any]]:
        return self.state()["webhooks"]


def loop_yaml(*, account: str, store: str, broker: str, port: int, shop: Any, warehouse_url: str, at_start: bool = True, extra: str = "", shop_extra: str = "") -> str:
    """An account with the WooCommerce sandbox and the warehouse simulator on real HTTP;
    ``shop_extra`` adds lines to the shop's settings (indented by six spaces), ``extra`` to the
    integrations (by two)."""
    return f"""
account: {account}
store: {store}
broker: {broker}
secret_key: ${{TEST_HUB_SECRET_KEY}}
admin_token: ${{TEST_ADMIN_TOKEN}}
service: {{host: 127.0.0.1, port: {port}, public_url: "http://127.0.0.1:{port}"}}
delivery: {{max_attempts: 6, backoff_base: 0.2, backoff_max: 2, lease: 10}}
sweeper: {{interval: 0.5, stale_after: 2}}
maintenance: {{interval: 3600, at_start: {str(at_start).lower()}}}
integrations:
  shop:
    connector: woocommerce
    preset: shop-with-efulfillment
    settings:
      url: {shop.url}
      api_key: ${{TEST_SANDBOX_KEY:-{shop.consumer_key}}}
      api_secret: ${{TEST_SANDBOX_SECRET:-{shop.consumer_secret}}}
      requests_per_second: 200
{shop_extra}
  warehouse:
    connector: efulfillment
    preset: fulfilment
    settings:
      url: {warehouse_url}
      api_key: ${{TEST_WAREHOUSE_KEY}}
{extra}
"""


@pytest.fixture
def sandbox() -> Iterator[Any]:
    from connect_hub_woocommerce.sandbox.server import running_sandbox

    with running_sandbox(port=0, seed=True, queue_interval=0.2) as shop:
        yield shop


@pytest.fixture
def make_loop_hub(tmp_path: Path, sandbox: Any, warehouse: Warehouse) -> Iterator[Callable[..., Hub]]:
    """An embedded hub between the sandbox shop and the warehouse simulator, on a fixed port
    (the shop's webhooks need the hub's address before it starts)."""
    yield from _loop_hubs(tmp_path, sandbox, warehouse)


@pytest.fixture
def companion_sandbox() -> Iterator[Any]:
    """The sandbox shop with the companion plugin installed (not paired yet)."""
    from connect_hub_woocommerce.sandbox.server import running_sandbox

    with running_sandbox(port=0, seed=True, queue_interval=0.2, companion_plugin=True) as shop:
        yield shop


@pytest.fixture
def make_companion_hub(tmp_path: Path, companion_sandbox: Any, warehouse: Warehouse) -> Iterator[Callable[..., Hub]]:
    """Like ``make_loop_hub``, with the companion plugin in the shop, paired at onboarding."""
    pairing = "      pairing_code: ${TEST_PAIRING_CODE}"
    yield from _loop_hubs(tmp_path, companion_sandbox, warehouse, shop_extra=pairing)


def _loop_hubs(tmp_path: Path, shop: Any, warehouse: Warehouse, shop_extra: str = "") -> Iterator[Callable[..., Hub]]:
    started: list[Any] = []

    def start(*, at_start: bool = True, extra: str = "", more_shop: str = "") -> Hub:
        port = free_port()
        text = loop_yaml(
            account="acme", store=f"sqlite://{tmp_path}/hub.db", broker="memory://", port=port, shop=shop,
            warehouse_url=warehouse.url, at_start=at_start, extra=extra, shop_extra="\n".join(filter(None, [shop_extra, more_shop])),
        )
        file = tmp_path / "loop.yaml"
        file.write_text(text)
        runtime = Runtime(parse_config(text, file=str(file)), migrate=True)
        context = running_hub(runtime, port=port)
        process = context.__enter__()
        started.append(context)
        return Hub(process)

    yield start
    for context in reversed(started):
        context.__exit__(None, None, None)


class Processes:
    def __init__(self, config: Path, logs: Path):
        self.config, self.logs = config, logs
        self.env = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
        self.running: dict[str, subprocess.Popen] = {}

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "connect_hub.cli", *args], env=self.env, capture_output=True, text=True, timeout=120, check=False)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "connect_hub.cli", *args, "--config", str(self.config)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.running[name] = process
        return process

    def kill9(self, name: str) -> None:
        process = self.running.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()

    def log(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs.glob("*.log"))


class RemoteHub(Hub):
    def __init__(self, url: str):
        self.url = url


def is_ready(url: str) -> bool:
    """True once the hub's service at ``url`` answers ``/readyz`` with 200."""
    try:
        return httpx.get(f"{url}/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def wait_until_ready(url: str) -> None:
    wait_for(lambda: is_ready(url), timeout=90, what="the service to be ready")  # a cold start on a loaded machine


@contextmanager
def production_hub(tmp_path: Path, postgres: str, redis_url: str, warehouse: Warehouse, *, prefix: str = "prod", workers: int = 2) -> Iterator[tuple[Processes, RemoteHub]]:
    """The hub in production shape: ``serve`` and ``workers`` worker processes on PostgreSQL and
    Redis, under an account of this run only (its rows and queues are its own)."""
    port = free_port()
    text = account_yaml(account=f"{prefix}-{uuid.uuid4().hex[:8]}", store=postgres, broker=redis_url, warehouse_url=warehouse.url)
    config = tmp_path / "production.yaml"
    config.write_text(text.replace("port: 0", f"port: {port}"))
    procs = Processes(config, tmp_path)
    migrated = procs.cli("migrate", "--config", str(config))
    assert migrated.returncode == 0, migrated.stderr
    procs.start("service", "serve")
    for n in range(1, workers + 1):
        procs.start(f"worker-{n}", "worker")
    hub = RemoteHub(f"http://127.0.0.1:{port}")
    try:
        wait_until_ready(hub.url)
        yield procs, hub
    finally:
        procs.stop_all()

