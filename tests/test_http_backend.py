"""The connectors' HTTP transport on asyncio's own streams, against real local servers: plain and
TLS, connections kept and reused, a connection the server closed while idle, and the errors
httpx callers classify (refused, timed out, an untrusted certificate)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from connect_hub import http
from connect_hub.http_backend import AsyncioBackend


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
    """A tiny HTTP/1.1 server: answers each request with its connection's number, keeps the
    connection unless told to close it, or never answers (``/silent``)."""

    def __init__(self) -> None:
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if b"/silent" in head.split(b"\r\n", 1)[0]:
                    await asyncio.sleep(30)
                body = str(number).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
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
async def tls(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[Server, str]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=context)
    port = listening.sockets[0].getsockname()[1]
    yield server, f"https://localhost:{port}"
    listening.close()


def test_the_transport_the_connectors_use_runs_on_the_asyncio_backend() -> None:
    assert isinstance(http.transport()._pool._network_backend, AsyncioBackend)


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

