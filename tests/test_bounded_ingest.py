"""A request costs at most its size limit before it is authenticated (DESIGN.md, invariant 8):
twenty unsigned 100 MB posts at once against a real ``connect-hub serve`` process get 413 and
leave its peak memory under 150 MB."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from connect_hub.service.webhooks import MAX_BODY
from support import (
    Processes,
    Warehouse,
    account_yaml,
    free_port,
    order_body,
    sign_headers,
    wait_until_ready,
)

pytestmark = pytest.mark.slow
HUNDRED_MB = 100 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)
RSS_LIMIT_MB = 150


@pytest.fixture
def serve(tmp_path: Path, warehouse: Warehouse) -> Iterator[tuple[Processes, int, str]]:
    port = free_port()
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url=warehouse.url)
    config = tmp_path / "account.yaml"
    config.write_text(text.replace("port: 0", f"port: {port}"))
    procs = Processes(config, tmp_path)
    process = procs.start("service", "serve")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url)
        yield procs, process.pid, url
    finally:
        procs.stop_all()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


def post_huge(port: int, *, chunked: bool, size: int = HUNDRED_MB) -> tuple[int, bytes]:
    """POST ``size`` bytes of garbage, unsigned, to the shop's webhook; the status of the answer
    and what was read of it.

    Sends until the hub answers (it answers before reading it all), on a raw socket: an HTTP
    client library would keep writing and report the closed connection instead of the answer.
    """
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = f"POST /webhooks/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    piece = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(head.encode())
        answer = b""
        sock.setblocking(False)
        sent, pending, deadline = 0, memoryview(b""), time.monotonic() + 120
        while b"}" not in answer and time.monotonic() < deadline:
            try:
                answer += sock.recv(4096)
                continue
            except BlockingIOError:
                pass
            except ConnectionError:
                break
            if not pending and sent < size:
                pending, sent = memoryview(piece), sent + len(CHUNK)
            if not pending:
                time.sleep(0.01)
                continue
            try:
                pending = pending[sock.send(pending):]
            except BlockingIOError:
                time.sleep(0.01)
            except ConnectionError:
                sock.setblocking(True)
                answer += sock.recv(4096)
                break
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer.split()[1]), answer


def test_twenty_unsigned_100_mb_posts_get_413_and_memory_stays_bounded(serve: tuple[Processes, int, str]) -> None:
    procs, pid, url = serve
    port = int(url.rsplit(":", 1)[1])
    before = peak_rss_mb(pid)
    statuses: list[int] = []

    def one(chunked: bool) -> None:
        statuses.append(post_huge(port, chunked=chunked)[0])

    threads = [threading.Thread(target=one, args=(n % 2 == 1,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    peak = peak_rss_mb(pid)
    print(f"serve: peak RSS {before:.0f} MB before, {peak:.0f} MB after 20 concurrent 100 MB posts")
    assert statuses == [413] * 20, statuses
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB (was {before:.0f} MB before the posts)"
    signed = order_body()
    assert httpx.post(f"{url}/webhooks/shop", content=signed, headers=sign_headers(signed)).status_code == 202, procs.log()


def test_a_body_over_the_limit_is_refused_with_a_sentence_said_or_not(serve: tuple[Processes, int, str]) -> None:
    _, _, url = serve
    port = int(url.rsplit(":", 1)[1])
    for chunked in (False, True):
        status, answer = post_huge(port, chunked=chunked, size=MAX_BODY + 1024 * 1024)
        assert status == 413
        assert answer.endswith(b'{"error":"the body is larger than 10 MB"}'), answer


async def test_a_body_waits_for_its_share_of_the_budget_and_gives_up_with_503() -> None:
    import asyncio

    from connect_hub.service.bodies import BodyBudget, BodyRefused

    budget = BodyBudget(10, wait=0.2)
    order: list[str] = []
    first_in = asyncio.Event()

    async def first() -> None:
        async with budget.share(8):
            first_in.set()
            order.append("first in")
            await asyncio.sleep(0.05)
        order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with budget.share(8):
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]
    assert budget.held == 0
    async with budget.share(10):
        with pytest.raises(BodyRefused) as refused:
            async with budget.share(1):
                pass
    assert (refused.value.status, refused.value.retry_after) == (503, 2)
    assert budget.held == 0
