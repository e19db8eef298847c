"""Under a burst the answer to a stored webhook waits while the actors catch up (service/pacing.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from connect_hub.config import parse_config
from connect_hub.embedded import running_hub
from connect_hub.runtime import Runtime
from connect_hub.service.pacing import Pace
from support import Hub, Warehouse, account_yaml, order_body, sign_headers, wait_for


def test_an_answer_is_not_held_while_the_backlog_is_within_the_limit():
    calls = []

    def backlog() -> int:
        calls.append(1)
        return 10

    asyncio.run(Pace(backlog, limit=10, longest=5).wait())
    assert len(calls) == 1


def test_an_answer_is_held_until_the_backlog_drops_to_the_limit():
    backlog = [40]

    async def main() -> bool:
        waiting = asyncio.ensure_future(Pace(lambda: backlog[0], limit=10, longest=30).wait())
        await asyncio.sleep(0.05)
        held = not waiting.done()
        backlog[0] = 10
        await asyncio.wait_for(waiting, timeout=5)
        return held

    assert asyncio.run(main()) is True


def test_an_answer_is_held_no_longer_than_the_longest_wait_when_the_backlog_stays_high():
    async def main() -> None:
        await asyncio.wait_for(Pace(lambda: 1000, limit=10, longest=0.05).wait(), timeout=5)

    asyncio.run(main())  # returns (the answer goes out) although the backlog never dropped


def test_a_broker_that_cannot_tell_its_backlog_is_never_paced():
    asyncio.run(asyncio.wait_for(Pace(None, limit=0, longest=1).wait(), timeout=1))


# --- through a real embedded hub, over HTTP, against the warehouse simulator -----------------

LIMIT, LONGEST = 2, 4.0
"""The hub's ``service.pacing`` here: answers held while more than 2 messages wait, at most 4 s."""
HELD = 2.5
"""Seconds the warehouse holds each of the first four order creations (its timeout is 10 s)."""


@pytest.fixture
def paced_hub(tmp_path: Path, warehouse: Warehouse) -> Iterator[Hub]:
    """An embedded hub with a small pacing limit and one actor of each kind (four exports at once);
    without the scheduler, so that only the webhooks' imports and exports are messages (no polls
    of the unreachable shop, no sweeper re-sends)."""
    text = account_yaml(account="paced", store=f"sqlite://{tmp_path}/hub.db", warehouse_url=warehouse.url)
    text = text.replace(
        "service: {host: 127.0.0.1, port: 0}",
        f"service: {{host: 127.0.0.1, port: 0, pacing: {{backlog_limit: {LIMIT}, longest_hold: {LONGEST}}}}}\n"
        "workers: {threads: 1}",
    )
    file = tmp_path / "paced.yaml"
    file.write_text(text)
    with running_hub(Runtime(parse_config(text, file=str(file)), migrate=True), port=0, scheduler=False) as process:
        yield Hub(process)


def stored_event_of(hub: Hub, order: int) -> int | None:
    """The id of the stored Event whose body is order ``order``, read from the store itself."""
    from connect_hub.store.models import Event

    async def find() -> int | None:
        for event_id, body in await Event.filter(account=hub.runtime.account.name).values_list("id", "body"):
            if json.loads(body)["id"] == order:
                return event_id
        return None

    return hub.runtime.run(find())


def test_a_stored_webhooks_answer_waits_while_the_actors_are_behind_and_every_order_arrives_once(
    paced_hub: Hub, warehouse: Warehouse
) -> None:
    hub = paced_hub
    backlog = hub.runtime.broker.backlog  # messages waiting for their actors (not yet running)
    warehouse.fault(delay=HELD, count=4, path_prefix="/api/v1/orders", method="POST")

    def post(order: int) -> tuple[httpx.Response, int, float]:
        """Post order ``order``'s signed webhook: the answer, the backlog and the time when it came."""
        body = order_body(id=order, number=str(order))
        response = httpx.post(f"{hub.url}/webhooks/shop", content=body, headers=sign_headers(body), timeout=30)
        return response, backlog(), time.monotonic()

    with ThreadPoolExecutor(max_workers=2) as pool:
        # given: four exports held at the warehouse, and three more waiting for a free export (one
        # webhook after the other, so that each is an import and an export of its own: webhooks
        # that come together are imported, then exported, together, as one message each)
        burst = pool.submit(lambda: [post(order) for order in range(101, 108)])
        wait_for(lambda: backlog() > LIMIT, what=f"more than {LIMIT} messages waiting for their actors")
        # when: one more webhook comes
        posted = time.monotonic()
        last = pool.submit(post, 108)
        held_while_stored = False
        while not last.done():
            stored, behind = stored_event_of(hub, 108), backlog() > LIMIT
            held_while_stored |= stored is not None and behind and not last.done()
            time.sleep(0.02)
        response, backlog_at_answer, answered = last.result(timeout=LONGEST + 10)
        answers = [answer for answer, _, _ in burst.result(timeout=2 * LONGEST + 10)]

    # then: it was stored at once, its answer waited while the actors were behind, and came 202
    assert response.status_code == 202
    assert response.json()["event"] == stored_event_of(hub, 108)
    assert held_while_stored, "the answer came before the test saw its event stored with the actors behind"
    assert backlog_at_answer <= LIMIT or answered - posted >= LONGEST, (
        f"answered with {backlog_at_answer} messages waiting after {answered - posted:.2f} s")
    assert [a.status_code for a in answers] == [202] * 7
    # and every order reached the warehouse exactly once
    wait_for(lambda: len([d for d in hub.deliveries(integration="warehouse") if d["state"] == "done"]) == 8,
             timeout=30, what="eight done deliveries")
    orders = warehouse.orders()
    assert sorted(o["reference"] for o in orders) == [f"shop-{order}" for order in range(101, 109)]
    assert [o["create_requests"] for o in orders] == [1] * 8
