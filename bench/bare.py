"""The ingest baseline: a bare ASGI endpoint doing the hub's HMAC check, in a process of its own.

    .venv/bin/python bench/bare.py --secret SECRET     # prints its URL on the first line

``async def app(scope, receive, send)``: drains the body, checks ``X-WC-Webhook-Signature``
(base64 HMAC-SHA256 of the raw body, compared in constant time, as the WooCommerce connector
does) and answers 202 with a small JSON body, or 401. uvicorn runs it with the settings the hub
gives it (one process, ``lifespan=off``, ``log_level=warning``, no access log).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
from typing import Any

import uvicorn
from connect_hub.simulator.server import bind

UVICORN_SETTINGS: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}
"""The settings connect_hub.embedded.HubProcess gives uvicorn."""


def make_app(secret: bytes) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        given = next((v for k, v in scope["headers"] if k == b"x-wc-webhook-signature"), b"")
        expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
        ok = hmac.compare_digest(given, expected)
        answer = b'{"event":1}' if ok else b'{"error":"signature does not match"}'
        await send({"type": "http.response.start", "status": 202 if ok else 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    sock, url = bind("127.0.0.1", 0, "bare endpoint")
    print(url, flush=True)
    uvicorn.Server(uvicorn.Config(make_app(args.secret.encode()), **UVICORN_SETTINGS)).run(sockets=[sock])


if __name__ == "__main__":
    main()
