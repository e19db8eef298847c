"""Under a burst the answer to a stored webhook waits while the actors catch up (service/pacing.py)."""

from __future__ import annotations

import asyncio

from connect_hub.service.pacing import Pace


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
    asyncio.run(asyncio.wait_for(Pace(None, limit=0).wait(), timeout=1))
