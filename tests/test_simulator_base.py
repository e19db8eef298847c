"""The simulator base authors build their fakes on: a local server, faults, signed webhooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from connect_hub.simulator import (
    Fault,
    FaultInjector,
    FaultQueue,
    WebhookSender,
    base64_hmac_sha256,
    hex_hmac_sha256,
    running_app,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@pytest.fixture
def fake() -> Iterator[tuple[str, FaultQueue[Fault], list[str]]]:
    """A one-route API under /api/ that records what it handled, behind a fault injector."""
    handled: list[str] = []

    async def contacts(request: Request) -> Response:
        handled.append(request.method)
        return JSONResponse({"id": 7})

    faults: FaultQueue[Fault] = FaultQueue()
    app = FaultInjector(Starlette(routes=[Route("/api/contacts", contacts, methods=["GET", "POST"]), Route("/health", contacts)]), faults, path_prefix="/api/")
    with running_app(app, name="fake CRM") as url:
        yield url, faults, handled


def test_the_app_answers_on_a_free_local_port(fake: Any) -> None:
    url, _, handled = fake
    assert url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{url}/api/contacts").json() == {"id": 7}
    assert handled == ["GET"]


def test_a_server_error_repeats_until_the_faults_are_cleared(fake: Any) -> None:
    url, faults, handled = fake
    faults.add(Fault.server_error(503))
    assert [httpx.get(f"{url}/api/contacts").status_code for _ in range(3)] == [503, 503, 503]
    faults.clear()
    assert httpx.get(f"{url}/api/contacts").status_code == 200
    assert handled == ["GET"]


def test_a_rate_limit_says_when_to_come_back_and_counts_down(fake: Any) -> None:
    url, faults, _ = fake
    faults.add(Fault.rate_limited(retry_after=7, count=2))
    answers = [httpx.get(f"{url}/api/contacts") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["retry-after"] == "7"
    assert answers[0].json()["error"]["code"] == "simulated_fault"


def test_a_slow_answer_makes_a_short_timeout_give_up_and_is_then_handled(fake: Any) -> None:
    url, faults, handled = fake
    faults.add(Fault.timeout(1.0, count=1))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/api/contacts", timeout=0.3)
    deadline = time.monotonic() + 5
    while not handled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handled == ["POST"]  # a slow server still does the work: retries must be idempotent


def test_garbage_is_a_200_that_is_no_json(fake: Any) -> None:
    url, faults, _ = fake
    faults.add(Fault.garbage(count=1))
    answer = httpx.get(f"{url}/api/contacts")
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_faults_apply_to_their_path_and_method_only(fake: Any) -> None:
    url, faults, _ = fake
    faults.add(Fault(status=500, count=-1, path_prefix="/api/contacts", method="POST"))
    assert httpx.get(f"{url}/api/contacts").status_code == 200
    assert httpx.post(f"{url}/api/contacts").status_code == 500
    assert httpx.get(f"{url}/health").status_code == 200  # outside the injector's prefix


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]], list[int]]]:
    """A webhook receiver that answers the statuses queued in ``answers`` (then 200)."""
    caught: list[tuple[dict[str, str], bytes]] = []
    answers: list[int] = []

    async def hook(request: Request) -> Response:
        caught.append((dict(request.headers), await request.body()))
        return Response(status_code=answers.pop(0) if answers else 200)

    with running_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])]), name="receiver") as url:
        yield f"{url}/hook", caught, answers


def signer(secret: str, body: bytes) -> dict[str, str]:
    return {"X-Signature": hex_hmac_sha256(secret, body)}


def test_webhooks_are_signed_and_arrive_in_the_order_of_events(receiver: Any) -> None:
    url, caught, _ = receiver
    sender = WebhookSender(sign=signer, event_header="X-Crm-Event")
    sender.subscribe(url, "s3cr3t")
    try:
        for n in range(5):
            sender.emit("contact.updated", {"id": n})
        assert sender.wait_idle(10)
    finally:
        sender.close()
    assert [json.loads(body)["id"] for _, body in caught] == [0, 1, 2, 3, 4]
    headers, body = caught[0]
    assert headers["x-signature"] == hex_hmac_sha256("s3cr3t", body)
    assert headers["x-crm-event"] == "contact.updated"
    assert [d["state"] for d in sender.deliveries()] == ["delivered"] * 5


def test_a_refused_delivery_is_retried_then_marked_failed(receiver: Any) -> None:
    url, caught, answers = receiver
    answers += [500, 503]
    sender = WebhookSender(sign=signer, retry_delays=(0.05, 0.05))
    sender.subscribe(url, "s3cr3t")
    try:
        sender.emit("contact.created", {"id": 1})
        assert sender.wait_idle(10)
        answers += [500, 500, 500]
        sender.emit("contact.created", {"id": 2})
        assert sender.wait_idle(10)
    finally:
        sender.close()
    first, second = sender.deliveries()
    assert first["state"] == "delivered" and [a["status"] for a in first["attempts"]] == [500, 503, 200]
    assert second["state"] == "failed" and len(second["attempts"]) == 3
    assert len({h["x-delivery"] for h, _ in caught[:3]}) == 1  # one delivery id over its retries


def test_a_subscription_gets_only_the_events_it_asked_for(receiver: Any) -> None:
    url, caught, _ = receiver
    sender = WebhookSender(sign=lambda secret, body: {"X-Wc-Webhook-Signature": base64_hmac_sha256(secret, body)})
    sender.subscribe(url, "s3cr3t", events=["order.updated"])
    try:
        sender.emit("contact.updated", {"id": 1})
        sender.emit("order.updated", {"id": 2})
        assert sender.wait_idle(10)
    finally:
        sender.close()
    assert [json.loads(body)["id"] for _, body in caught] == [2]


def test_an_unreachable_subscriber_fails_without_blocking_the_sender() -> None:
    sender = WebhookSender(sign=signer, retry_delays=(0.01,), timeout=1)
    sender.subscribe("http://127.0.0.1:9/hook", "s3cr3t")
    done = threading.Event()
    try:
        sender.emit("contact.updated", {"id": 1})
        done.set()
        assert sender.wait_idle(10)
    finally:
        sender.close()
    [delivery] = sender.deliveries()
    assert done.is_set() and delivery["state"] == "failed"
    assert "ConnectError" in delivery["attempts"][0]["error"]


def test_a_removed_subscription_gets_nothing_more_and_its_retries_stop_at_once(receiver: Any) -> None:
    url, caught, _answers = receiver
    sender = WebhookSender(sign=signer, retry_delays=(30.0, 30.0))
    sender.subscribe("http://127.0.0.1:9/gone", "s3cr3t")  # a receiver from an earlier test, gone
    try:
        sender.emit("contact.updated", {"id": 1})  # refused at once, then a retry in 30 s
        sender.unsubscribe("http://127.0.0.1:9/gone")
        assert sender.wait_idle(5), "the retries to a removed subscription kept the sender busy"
        sender.subscribe(url, "s3cr3t")
        sender.emit("contact.updated", {"id": 2})
        assert sender.wait_idle(5)
    finally:
        sender.close()
    assert [json.loads(body)["id"] for _, body in caught] == [2]
    assert [d["state"] for d in sender.deliveries()] == ["dropped", "delivered"]


def test_a_reset_sender_is_as_new(receiver: Any) -> None:
    url, _caught, answers = receiver
    answers += [500]
    sender = WebhookSender(sign=signer, retry_delays=(30.0,))
    sender.subscribe(url, "s3cr3t")
    try:
        sender.emit("contact.updated", {"id": 1})  # answered 500: waits 30 s for its retry
        sender.reset()
        assert sender.wait_idle(5)
        assert sender.subscriptions() == [] and sender.deliveries() == []
        sender.emit("contact.updated", {"id": 2})  # nobody subscribed: nothing sent
        assert sender.wait_idle(5) and sender.deliveries() == []
    finally:
        sender.close()


def test_subscribing_again_with_the_same_secret_keeps_what_is_under_way(receiver: Any) -> None:
    url, _caught, answers = receiver
    answers += [500]
    sender = WebhookSender(sign=signer, retry_delays=(0.2,))
    sender.subscribe(url, "s3cr3t")
    try:
        sender.emit("contact.updated", {"id": 1})
        sender.subscribe(url, "s3cr3t")  # onboarding run twice
        assert sender.wait_idle(10)
    finally:
        sender.close()
    assert [d["state"] for d in sender.deliveries()] == ["delivered"]
