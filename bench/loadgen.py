"""The load generator: signed WooCommerce order webhooks over HTTP/1.1 keep-alive, in its own process.

    echo '{"url": ..., "mode": "closed", "connections": 10, "first_id": 1, "count": 1000}' \\
        | .venv/bin/python bench/loadgen.py            # one JSON report on stdout

Each request is a real captured ``order.updated`` body
(plugins/woocommerce/tests/samples/received/0013-order_updated.json) with its real headers,
made a distinct order (its own id and number) and signed again with ``secret``. The bytes of
every request are built before the clock starts; the client is a minimal HTTP/1.1 keep-alive
one on asyncio streams, because httpx's client saturates a core well below what the servers
here answer.

- ``closed``: ``connections`` connections, each sending its next request once the last is
  answered, until ``count`` are sent (the faster the server answers, the more load it gets).
- ``open``: ``rate`` requests a second for ``duration`` seconds, each sent at its planned time
  on an idle connection (a new one when all are busy), so a slow answer never delays the next
  request; a latency counts from the planned time.
- ``post_json``: instead of webhooks, POST the JSON bodies given in ``bodies`` (the direct
  baseline: orders straight to the warehouse) with the headers in ``headers``.

The report: ``results`` as ``[order_id, t_planned, t_answered, status]`` (``time.monotonic()``,
one clock for all processes of this machine; status 0: no answer), the first few ``errors``, and
the process's own CPU seconds and wall time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "plugins/woocommerce/tests/samples/received/0013-order_updated.json"
MAX_OPEN_CONNECTIONS = 512
IDLE_REUSE = 2.0
"""Seconds an idle connection is reused for: servers close idle keep-alive connections (uvicorn
after 5 s), and a request sent on one they closed gets no answer."""
ERRORS: list[str] = []
"""The first few failures, as ``Type: message`` (a status 0 in the results)."""


def failed(exc: BaseException) -> int:
    if len(ERRORS) < 5:
        ERRORS.append(f"{type(exc).__name__}: {exc}")
    return 0


def order_webhooks(first_id: int, count: int, secret: str) -> list[tuple[int, bytes, dict[str, str]]]:
    """``count`` distinct signed order webhooks, order ids ``first_id``, ``first_id + 1``, ..."""
    from connect_hub_woocommerce.webhooks import sign

    captured = json.loads(SAMPLE.read_text(encoding="utf-8"))
    body_raw: str = captured["body_raw"]
    prefix, number = '{"id":22,', '"number":"22"'
    assert body_raw.startswith(prefix) and body_raw.count(number) == 1, "the sample changed"
    # Host, Content-Length and Connection (it says "close") are the client's business.
    base = {k: v for k, v in captured["headers"] if k.lower() not in ("host", "content-length", "connection")}
    out = []
    for order_id in range(first_id, first_id + count):
        body = body_raw.replace(prefix, f'{{"id":{order_id},', 1).replace(number, f'"number":"{order_id}"', 1).encode()
        headers = dict(base)
        headers["X-WC-Webhook-Signature"] = sign(secret, body)
        headers["X-WC-Webhook-Delivery-ID"] = uuid.uuid4().hex
        out.append((order_id, body, headers))
    return out


def wire(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection: send a request, read the status and the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        return cls(*await asyncio.open_connection(parts.hostname, parts.port))

    async def request(self, data: bytes) -> int:
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            elif line.lower().startswith(b"transfer-encoding:"):
                raise RuntimeError("chunked answers are not supported by this client")
        if length:
            await self.reader.readexactly(length)
        self.idle_since = time.monotonic()
        return status

    def close(self) -> None:
        self.writer.close()


async def closed_loop(url: str, requests: list[tuple[int, bytes]], connections: int) -> list[list[Any]]:
    conns = [await Connection.open(url) for _ in range(connections)]
    results: list[list[Any]] = []
    position = 0

    async def worker(conn: Connection) -> None:
        nonlocal position
        while position < len(requests):
            order_id, data = requests[position]
            position += 1
            started = time.monotonic()
            try:
                status = await conn.request(data)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status = failed(exc)
                conn.close()
                conn = await Connection.open(url)
            results.append([order_id, started, time.monotonic(), status])
        conn.close()

    await asyncio.gather(*(worker(c) for c in conns))
    return results


async def open_loop(url: str, requests: list[tuple[int, bytes]], rate: float) -> list[list[Any]]:
    idle: list[Connection] = [await Connection.open(url) for _ in range(8)]
    opened = len(idle)
    results: list[list[Any]] = []

    async def one(order_id: int, data: bytes, planned: float) -> None:
        nonlocal opened
        while idle and time.monotonic() - idle[-1].idle_since > IDLE_REUSE:
            idle.pop().close()
            opened -= 1
        if idle:
            conn = idle.pop()
        elif opened < MAX_OPEN_CONNECTIONS:
            opened += 1
            conn = await Connection.open(url)
        else:
            while not idle:
                await asyncio.sleep(0.001)
            conn = idle.pop()
        try:
            status = await conn.request(data)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = failed(exc)
            conn.close()
            opened -= 1
        else:
            idle.append(conn)
        results.append([order_id, planned, time.monotonic(), status])

    start = time.monotonic() + 0.05
    tasks = []
    for n, (order_id, data) in enumerate(requests):
        planned = start + n / rate
        delay = planned - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(order_id, data, planned)))
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.close()
    return results


def main() -> None:
    job = json.loads(sys.stdin.read())
    url = job["url"]
    if job.get("bodies") is not None:
        requests = [(i, wire(url, json.dumps(b).encode(), job["headers"])) for i, b in job["bodies"]]
    else:
        requests = [(i, wire(url, body, headers)) for i, body, headers in order_webhooks(job["first_id"], job["count"], job["secret"])]
    cpu0, wall0 = time.process_time(), time.monotonic()
    if job["mode"] == "closed":
        results = asyncio.run(closed_loop(url, requests, job["connections"]))
    else:
        results = asyncio.run(open_loop(url, requests, job["rate"]))
    report = {"results": results, "cpu": time.process_time() - cpu0, "wall": time.monotonic() - wall0, "errors": ERRORS}
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
