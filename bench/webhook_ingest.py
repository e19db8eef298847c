"""Webhook ingest rate of the embedded hub, as a ratio against a bare ASGI endpoint, same run.

    .venv/bin/python bench/webhook_ingest.py [--requests 2000] [--concurrency 16] [--rounds 3]

Two servers run in this process, each uvicorn with the same settings (one process,
``log_level=warning``, ``access_log=False``, ``lifespan=off``, h11/asyncio as installed) on
127.0.0.1 in a background thread:

* **baseline**: ``async def app(scope, receive, send)`` that drains the body and answers 200;
* **hub**: the embedded hub (``running_hub``: service, workers and scheduler on one loop), SQLite
  in WAL mode in a temp dir, ``memory://`` broker, a WooCommerce integration ``shop`` and an
  e-fulfilment integration ``warehouse`` pointing at a running warehouse simulator, so every
  accepted order is imported and exported in the background while the load runs.

The load comes from a separate OS process (spawned, so it shares no GIL with the servers): by
default a minimal HTTP/1.1 keep-alive client on asyncio streams (``--client raw``; httpx's
client saturates a core well below the bare endpoint's rate here, so with ``--client httpx``
the ratio measures the client), with ``--concurrency`` connections posting the real
``order.updated`` sample (plugins/woocommerce/tests/samples/received/0013-order_updated.json)
with its real headers, each request a distinct order (id and number changed, body re-signed).
Rounds alternate baseline, hub, baseline, hub, ...; before each baseline round the hub's
background work is waited for, so it does not slow the baseline down.

The figure to quote is the ratio (hub/baseline) printed on the last line; the absolute
requests/second depend on the machine. Performance claims come from this script, never from
a timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "plugins/woocommerce/tests/samples/received/0013-order_updated.json"
HOST = "127.0.0.1"
ORDER_ID_BASE = 100_000
DRAIN_TIMEOUT = 45.0

UVICORN_SETTINGS = {"log_level": "warning", "access_log": False, "lifespan": "off"}
"""The settings connect_hub.embedded.HubProcess gives uvicorn; the baseline gets the same."""

ENV = {
    "BENCH_HUB_SECRET_KEY": "bench-secret-key-0123456789abcdef",
    "BENCH_HUB_ADMIN_TOKEN": "bench-admin-token",
    "BENCH_SHOP_API_KEY": "ck_bench",
    "BENCH_SHOP_API_SECRET": "cs_bench",
    "BENCH_SHOP_WEBHOOK_SECRET": "bench-webhook-secret",
    "BENCH_WAREHOUSE_API_KEY": "bench-warehouse-key",
}

CONFIG_TEMPLATE = """\
account: bench
store: sqlite://{db}
broker: memory://
secret_key: ${{BENCH_HUB_SECRET_KEY}}
admin_token: ${{BENCH_HUB_ADMIN_TOKEN}}
service:
  host: 127.0.0.1
  port: 0
sweeper:
  interval: 5
  stale_after: 30
maintenance:
  at_start: false  # no shop to onboard: the benchmark measures ingest, not onboarding
integrations:
  shop:
    connector: woocommerce
    preset: shop-with-efulfillment
    flows: {{products: {{import: false}}, contacts: {{import: false}}}}  # nothing to poll
    settings:
      url: http://127.0.0.1:9
      api_key: ${{BENCH_SHOP_API_KEY}}
      api_secret: ${{BENCH_SHOP_API_SECRET}}
      webhook_secret: ${{BENCH_SHOP_WEBHOOK_SECRET}}
  warehouse:
    connector: efulfillment
    preset: fulfilment
    settings:
      url: {warehouse_url}
      api_key: ${{BENCH_WAREHOUSE_API_KEY}}
"""


# --- The load generator (runs in a spawned process) --------------------------------------------


def _sample() -> tuple[list[tuple[str, str]], str]:
    import json

    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return [(k, v) for k, v in data["headers"]], data["body_raw"]


def _requests(first_id: int, count: int, secret: str) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` distinct signed order webhooks, order ids ``first_id``, ``first_id + 1``, ..."""
    import uuid

    from connect_hub_woocommerce.webhooks import sign

    raw_headers, body_raw = _sample()
    prefix, number = '{"id":22,', '"number":"22"'
    assert body_raw.startswith(prefix) and body_raw.count(number) == 1, "the sample changed"
    # Host, Content-Length and Connection (it says "close") are the client's business.
    base = {k: v for k, v in raw_headers if k.lower() not in ("host", "content-length", "connection")}
    out = []
    for order_id in range(first_id, first_id + count):
        body = body_raw.replace(prefix, f'{{"id":{order_id},', 1).replace(number, f'"number":"{order_id}"', 1)
        body_bytes = body.encode()
        headers = dict(base)
        headers["X-WC-Webhook-Signature"] = sign(secret, body_bytes)
        headers["X-WC-Webhook-Delivery-ID"] = uuid.uuid4().hex
        out.append((body_bytes, headers))
    return out


def load(client: str, url: str, first_id: int, warmup: int, count: int, concurrency: int, secret: str) -> dict[str, Any]:
    """Post ``warmup`` then ``count`` webhooks over ``concurrency`` connections; time the latter."""
    import asyncio

    prepared = _requests(first_id, warmup + count, secret)
    run = _raw_phase if client == "raw" else _httpx_phase

    async def main() -> dict[str, Any]:
        async with _connections(client, url, concurrency) as conns:
            warm = await run(conns, url, prepared[:warmup])
            measured = await run(conns, url, prepared[warmup:])
        measured["warmup_statuses"] = warm["statuses"]
        return measured

    return asyncio.run(main())


def _connections(client: str, url: str, concurrency: int) -> Any:
    """An httpx AsyncClient, or ``concurrency`` raw keep-alive sockets."""
    import contextlib
    from urllib.parse import urlsplit

    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return _HttpxPool(httpx.AsyncClient(limits=limits, timeout=30.0, trust_env=False), concurrency)

    @contextlib.asynccontextmanager
    async def raw() -> Any:
        import asyncio

        parts = urlsplit(url)
        conns = [await asyncio.open_connection(parts.hostname, parts.port) for _ in range(concurrency)]
        try:
            yield conns
        finally:
            for _, writer in conns:
                writer.close()

    return raw()


class _HttpxPool:
    def __init__(self, client: Any, concurrency: int):
        self.client, self.concurrency = client, concurrency

    async def __aenter__(self) -> _HttpxPool:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.__aexit__(*exc)


async def _drive(workers: int, items: list[Any], send: Any) -> dict[str, Any]:
    """Run ``send(worker_index, item) -> status`` over ``items`` with ``workers`` tasks."""
    import asyncio

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    position = 0

    async def worker(index: int) -> None:
        nonlocal position
        while position < len(items):
            item = items[position]
            position += 1
            started = time.perf_counter()
            try:
                status = await send(index, item)
            except Exception as exc:  # noqa: BLE001 - counted and shown
                errors.append(f"{type(exc).__name__}: {exc}")
                status = 0
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"wall": wall, "cpu": cpu, "latencies": latencies, "statuses": statuses, "errors": errors[:3]}


async def _httpx_phase(pool: _HttpxPool, url: str, items: list[tuple[bytes, dict[str, str]]]) -> dict[str, Any]:
    async def send(index: int, item: tuple[bytes, dict[str, str]]) -> int:
        response = await pool.client.post(url, content=item[0], headers=item[1])
        await response.aread()
        return response.status_code

    return await _drive(pool.concurrency, items, send)


async def _raw_phase(conns: list[Any], url: str, items: list[tuple[bytes, dict[str, str]]]) -> dict[str, Any]:
    """HTTP/1.1 keep-alive by hand: the request bytes are built before the clock starts."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}"
    wire = []
    for body, headers in items:
        head = [f"POST {parts.path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        wire.append(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    async def send(index: int, request: bytes) -> int:
        reader, writer = conns[index]
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            elif line.lower().startswith(b"transfer-encoding:"):
                raise RuntimeError("chunked answers are not supported by the raw client")
        if length:
            await reader.readexactly(length)
        return status

    return await _drive(len(conns), wire, send)


# --- The servers -------------------------------------------------------------------------------


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The baseline: drain the request body, answer 200 with a tiny body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


class BareServer:
    """uvicorn serving :func:`bare_app` on a fresh asyncio loop in a thread, like the hub's."""

    def __init__(self) -> None:
        import asyncio
        import threading

        import uvicorn

        self.loop = asyncio.new_event_loop()
        self.server = uvicorn.Server(uvicorn.Config(bare_app, host=HOST, port=0, **UVICORN_SETTINGS))
        self.thread = threading.Thread(target=self._run, name="bare-asgi", daemon=True)

    def _run(self) -> None:
        self.loop.run_until_complete(self.server.serve())
        self.loop.close()

    def __enter__(self) -> BareServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the bare ASGI server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{HOST}:{port}/webhooks/shop"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def store_counts(db: Path) -> dict[str, Any]:
    """Rows in the store, read with a separate read-only SQLite connection."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=15)
    try:
        events = dict(con.execute("SELECT state, COUNT(*) FROM hub_event GROUP BY state").fetchall())
        deliveries = dict(con.execute("SELECT state, COUNT(*) FROM hub_delivery GROUP BY state").fetchall())
        journal = con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()
    return {"events": events, "deliveries": deliveries, "journal_mode": journal}


def busy(counts: dict[str, Any]) -> int:
    """Work the hub has still to do in the background."""
    return counts["events"].get("pending", 0) + sum(
        counts["deliveries"].get(state, 0) for state in ("pending", "running")
    )


def wait_for_drain(db: Path, timeout: float) -> tuple[float, int]:
    started = time.monotonic()
    while True:
        left = busy(store_counts(db))
        if left == 0 or time.monotonic() - started > timeout:
            return time.monotonic() - started, left
        time.sleep(0.2)


# --- Report ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def summarise(kind: str, round_no: int, result: dict[str, Any], server_cpu: float) -> dict[str, Any]:
    lat = sorted(result["latencies"])
    n = len(lat)
    return {
        "kind": kind, "round": round_no, "n": n, "rps": n / result["wall"], "wall": result["wall"],
        "p50": percentile(lat, 50) * 1000, "p99": percentile(lat, 99) * 1000,
        "client_cpu": result["cpu"] / result["wall"], "server_cpu": server_cpu / result["wall"],
        "statuses": result["statuses"], "warmup_statuses": result["warmup_statuses"], "errors": result["errors"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per round (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests before each round (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each server, alternating (default 3)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="load generator: hand-written HTTP/1.1 keep-alive over asyncio streams (default), or "
                        "an httpx AsyncClient (too slow to saturate even the bare endpoint on a small machine)")
    args = parser.parse_args()
    if min(args.requests, args.concurrency, args.rounds) < 1 or args.warmup < 0:
        parser.error("--requests, --concurrency and --rounds must be at least 1, --warmup at least 0")

    import logging
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.update(ENV)
    from connect_hub.config import parse_config
    from connect_hub.embedded import running_hub
    from connect_hub.runtime import Runtime
    from connect_hub_efulfillment.simulator.server import running_simulator

    cpus = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    print(f"machine: {cpus} CPUs ({usable} usable by this process), Python {sys.version.split()[0]}")
    if usable == 2:
        print("note: this is a 2-core machine: the load generator, the server thread, the hub's workers")
        print("      and the warehouse simulator share 2 cores, so absolute figures are low; quote the ratio.")
    print(f"load: {args.requests} requests per round (+{args.warmup} warm-up), {args.concurrency} keep-alive "
          f"connections ({args.client} client in a separate process), {args.rounds} rounds each, alternating; "
          "127.0.0.1 only")
    print()

    rows: list[dict[str, Any]] = []
    hub_accepted = 0
    hub_sent = 0
    notes: list[str] = []
    next_id = ORDER_ID_BASE
    t_start = time.monotonic()
    secret = ENV["BENCH_SHOP_WEBHOOK_SECRET"]

    with tempfile.TemporaryDirectory(prefix="connect-hub-bench-") as tmp, \
            ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        db = Path(tmp) / "hub.db"
        # Start the load process now so its start-up is not in the first round's way.
        pool.submit(_sample).result(timeout=60)
        with running_simulator(port=0, api_key=ENV["BENCH_WAREHOUSE_API_KEY"]) as simulator:
            config = parse_config(CONFIG_TEMPLATE.format(db=db, warehouse_url=simulator.url), file="<bench>")
            runtime = Runtime(config, migrate=True)
            with running_hub(runtime, service=True, workers=True, scheduler=True, port=0) as hub, BareServer() as bare:
                hub_url = f"{hub.url}/webhooks/shop"
                for round_no in range(1, args.rounds + 1):
                    for kind, url in (("baseline", bare.url), ("hub", hub_url)):
                        if kind == "baseline":
                            waited, left = wait_for_drain(db, DRAIN_TIMEOUT)
                            if left:
                                notes.append(f"baseline round {round_no} ran with {left} hub jobs still pending "
                                             f"after waiting {waited:.0f}s (the baseline is then too low)")
                        cpu0 = time.process_time()
                        result = pool.submit(load, args.client, url, next_id, args.warmup, args.requests, args.concurrency,
                                             secret).result(timeout=600)
                        server_cpu = time.process_time() - cpu0
                        next_id += args.warmup + args.requests
                        row = summarise(kind, round_no, result, server_cpu)
                        rows.append(row)
                        if kind == "hub":
                            hub_sent += args.warmup + args.requests
                            hub_accepted += row["statuses"].get(202, 0) + row["warmup_statuses"].get(202, 0)
                        print(f"  round {round_no} {kind:8s} {row['rps']:8.0f} req/s  p50 {row['p50']:6.1f} ms  "
                              f"p99 {row['p99']:6.1f} ms  statuses {row['statuses']}", flush=True)
                t_load = time.monotonic()
                drained_in, left = wait_for_drain(db, DRAIN_TIMEOUT)
                counts = store_counts(db)
            orders_at_warehouse = len(simulator.state.orders)
    t_total = time.monotonic() - t_start

    # --- The table and the checks ---
    print()
    header = f"{'round':>5}  {'server':8}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'client CPU':>10}  {'server CPU':>10}  statuses"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['round']:>5}  {row['kind']:8}  {row['rps']:8.0f}  {row['p50']:7.2f}  {row['p99']:7.2f}  "
              f"{row['client_cpu']:9.0%}   {row['server_cpu']:9.0%}   {row['statuses']}")
    print("-" * len(header))
    medians = {}
    for kind in ("baseline", "hub"):
        own = [r for r in rows if r["kind"] == kind]
        medians[kind] = {k: statistics.median(r[k] for r in own) for k in ("rps", "p50", "p99")}
        m = medians[kind]
        print(f"{'median':>5}  {kind:8}  {m['rps']:8.0f}  {m['p50']:7.2f}  {m['p99']:7.2f}")
    print("(client CPU: the load process's CPU time / wall time, 100% = one core saturated;")
    print(" server CPU: this process's, all threads: server, hub workers, warehouse simulator)")
    print()

    ok = True
    baseline_bad = [r for r in rows if r["kind"] == "baseline" and set(r["statuses"]) != {200}]
    hub_bad = [r for r in rows if r["kind"] == "hub" and (set(r["statuses"]) != {202} or set(r["warmup_statuses"]) - {202})]
    stored = sum(counts["events"].values())
    print(f"check: every baseline request got 200 ........ {'yes' if not baseline_bad else 'NO'}")
    print(f"check: every hub request got 202 ............. {'yes' if not hub_bad else 'NO'} "
          f"({hub_accepted} of {hub_sent} accepted, warm-ups included)")
    print(f"check: stored events == accepted requests .... {'yes' if stored == hub_accepted else 'NO'} "
          f"({stored} rows in hub_event, journal_mode={counts['journal_mode']})")
    ok = not baseline_bad and not hub_bad and stored == hub_accepted
    for row in baseline_bad + hub_bad:
        print(f"  round {row['round']} {row['kind']}: statuses {row['statuses']} warm-up {row['warmup_statuses']} "
              f"errors {row['errors']}")
    print(f"background: events by state {counts['events']}, deliveries by state {counts['deliveries']}, "
          f"{orders_at_warehouse} orders at the warehouse simulator "
          f"({'all done' if not left else f'{left} still pending'} {drained_in:.1f}s after the last round)")
    client_bound = [r for r in rows if r["kind"] == "baseline" and r["client_cpu"] >= 0.9]
    if client_bound:
        notes.append(f"the load process used >= 90% of a core in {len(client_bound)} baseline round(s): the client, "
                     "not the bare server, may be the limit there, so the ratio overstates the hub")
    for note in notes:
        print(f"note: {note}")
    print(f"run took {t_total:.0f}s (load phase {t_load - t_start:.0f}s)")
    print()
    hub_rps, base_rps = medians["hub"]["rps"], medians["baseline"]["rps"]
    print(f"webhook ingest: hub {hub_rps:.0f} req/s = {hub_rps / base_rps:.2f}x bare ASGI ({base_rps:.0f} req/s), same run"
          f" [{args.requests} req x {args.rounds} rounds, concurrency {args.concurrency}, {usable} cores]"
          + ("" if ok else "  CHECKS FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
