"""The connectors' HTTP transport (httpx on aiohttp's pool), against real local servers: plain and
TLS, connections kept, reused and limited, a connection the server closed while idle, exactly the
request httpx built, answers chunked and compressed, and the errors httpx callers classify
(refused, timed out, an untrusted certificate, a malformed or cut answer)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub import http
from connect_hub.http_pool import AiohttpPool, pool_of


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class Server:
    """A tiny HTTP/1.1 server: answers each request with its connection's number and keeps the
    connection; ``/echo`` answers with the request as it came (head and body), ``/gzip`` with a
    chunked, gzip-compressed body, ``/garbage`` with no HTTP at all, ``/cut`` with half its body
    before closing, ``/slow`` after 0.2 s, and ``/silent`` never."""

    def __init__(self) -> None:
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        number = self.connections
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b"\r\n", 1)[0].split(b" ")[1].split(b"?")[0]
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                if path == b"/silent":
                    await asyncio.sleep(30)
                if path == b"/slow":
                    await asyncio.sleep(0.2)
                if path == b"/garbage":
                    writer.write(b"this is not HTTP\r\n\r\n")
                    await writer.drain()
                    return
                if path == b"/cut":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly half")
                    await writer.drain()
                    return
                if path == b"/gzip":
                    packed = gzip.compress(b"kept " * 1000)
                    chunks = b"".join(b"%x\r\n%s\r\n" % (len(packed[i:i + 500]), packed[i:i + 500]) for i in range(0, len(packed), 500))
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
                    await writer.drain()
                    continue
                answer = head + body if path == b"/echo" else str(number).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def close_idle_connections(self) -> None:
        for writer in self.writers:
            writer.close()


@pytest.fixture
async def plain() -> AsyncIterator[tuple[Server, str]]:
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    yield server, f"http://127.0.0.1:{port}"
    listening.close()


@pytest.fixture
def plain_port() -> Iterator[int]:
    """The server on an event loop of its own, in a thread: for a test that runs loops itself."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        holder["server"] = await asyncio.start_server(Server().handle, "127.0.0.1", 0)
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(serve()), loop.run_forever()), daemon=True)
    thread.start()
    started.wait(5)
    yield holder["server"].sockets[0].getsockname()[1]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
async def tls(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[Server, str]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=context)
    port = listening.sockets[0].getsockname()[1]
    yield server, f"https://localhost:{port}"
    listening.close()


def test_the_transport_the_connectors_use_sends_through_aiohttp_with_the_limits_given() -> None:
    pool = pool_of(http.transport(limits=httpx.Limits(max_connections=3, keepalive_expiry=7)))
    assert isinstance(pool, AiohttpPool)
    assert (pool._max_connections, pool._keepalive_expiry) == (3, 7)


async def test_requests_share_a_kept_connection_and_a_connection_the_server_closed_while_idle_is_replaced(
    plain: tuple[Server, str],
) -> None:
    server, url = plain
    async with httpx.AsyncClient(transport=http.transport()) as client:
        assert [(await client.get(f"{url}/a")).text for _ in range(3)] == ["1", "1", "1"]
        server.close_idle_connections()
        await asyncio.sleep(0.05)
        assert (await client.get(f"{url}/b")).text == "2"
        answers = await asyncio.gather(*(client.get(f"{url}/c") for _ in range(5)))
        assert all(a.status_code == 200 for a in answers)


async def test_tls_is_verified_against_the_trusted_certificate_and_an_untrusted_one_is_refused(
    tls: tuple[Server, str], certificate: tuple[Path, Path],
) -> None:
    _, url = tls
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    async with httpx.AsyncClient(transport=http.transport(verify=trusted)) as client:
        assert [(await client.get(f"{url}/a")).text for _ in range(2)] == ["1", "1"]
    async with httpx.AsyncClient(transport=http.transport()) as client:
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await client.get(f"{url}/a")


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_refused_connection_and_a_silent_server_raise_the_errors_httpx_callers_classify(plain: tuple[Server, str]) -> None:
    _, url = plain
    async with httpx.AsyncClient(transport=http.transport(), timeout=httpx.Timeout(0.3)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{_refused_port()}/")
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{url}/silent")
        assert (await client.get(f"{url}/after")).status_code == 200



async def test_the_server_gets_exactly_the_request_httpx_built_and_nothing_of_aiohttp(plain: tuple[Server, str]) -> None:
    _, url = plain
    async with httpx.AsyncClient(transport=http.transport(), headers={"Authorization": "Bearer k"}) as client:
        answer = await client.post(f"{url}/echo?page=2&q=a%20b", content=b'{"order": 1}', headers={"Content-Type": "application/json"})
    head, body = answer.content.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /echo?page=2&q=a%20b HTTP/1.1"
    names = sorted(line.split(b":", 1)[0].lower() for line in lines[1:])
    assert names == sorted([b"host", b"accept", b"accept-encoding", b"connection", b"user-agent", b"authorization",
                            b"content-type", b"content-length"])
    assert b"user-agent: python-httpx" in head.lower()
    assert body == b'{"order": 1}'


async def test_a_chunked_compressed_answer_is_decoded_by_httpx_and_the_connection_kept(plain: tuple[Server, str]) -> None:
    server, url = plain
    async with httpx.AsyncClient(transport=http.transport()) as client:
        answer = await client.get(f"{url}/gzip")
        assert answer.text == "kept " * 1000
        assert (await client.get(f"{url}/a")).text == "1"
    assert server.connections == 1


async def test_no_more_connections_are_open_at_once_than_the_limit(plain: tuple[Server, str]) -> None:
    server, url = plain
    async with httpx.AsyncClient(transport=http.transport(limits=httpx.Limits(max_connections=2))) as client:
        answers = await asyncio.gather(*(client.get(f"{url}/slow") for _ in range(6)))
    assert all(a.status_code == 200 for a in answers)
    assert server.most_open == 2


async def test_a_malformed_or_cut_answer_is_an_httpx_transport_error_and_the_next_request_goes(plain: tuple[Server, str]) -> None:
    _, url = plain
    async with httpx.AsyncClient(transport=http.transport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{url}/garbage")
        with pytest.raises(httpx.TransportError):
            await client.get(f"{url}/cut")
        assert (await client.get(f"{url}/after")).status_code == 200


def test_the_transport_serves_one_event_loop_after_another(plain_port: int) -> None:
    transport = http.transport()

    async def ask() -> int:
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(f"http://127.0.0.1:{plain_port}/a")).status_code

    assert [asyncio.run(ask()), asyncio.run(ask())] == [200, 200]


async def test_pytest_httpx_still_answers_for_the_connectors_transport(httpx_mock: Any) -> None:
    httpx_mock.add_response(url="http://warehouse.test/orders", json={"id": 7})
    async with httpx.AsyncClient(transport=http.transport()) as client:
        assert (await client.get("http://warehouse.test/orders")).json() == {"id": 7}
