"""The console's replay action: one delivery or event, a group of failures with one cause, or all.

Replay itself is :mod:`connect_hub.pipeline.replay`; this reads the form, picks the ids, and
wakes a worker for each (the sweeper would pick them up anyway).
"""

from __future__ import annotations

from connect_hub.pipeline import replay as replay_work
from connect_hub.queries.failures import failures
from connect_hub.runtime import Runtime


async def replay(runtime: Runtime, form: dict[str, str]) -> str:
    """Replay what the form names; a sentence saying what was replayed."""
    name = runtime.account.name
    deliveries: list[int] = []
    events: list[int] = []
    if form.get("delivery", "").isdigit():
        delivery_id = int(form["delivery"])
        deliveries = [delivery_id] if await replay_work.replay_delivery(name, delivery_id) else []
    elif form.get("event", "").isdigit():
        event_id = int(form["event"])
        events = [event_id] if await replay_work.replay_event(name, event_id) else []
    elif form.get("group"):
        group = (await failures(name)).group(form["group"])
        if group is not None and group.kind == "delivery":
            deliveries = [i for i in group.ids if await replay_work.replay_delivery(name, i)]
        elif group is not None:
            events = [i for i in group.ids if await replay_work.replay_event(name, i)]
    elif form.get("all") == "1":
        deliveries = await replay_work.replay_failed_deliveries(name)
        events = await replay_work.replay_failed_events(name)
    for delivery_id in deliveries:
        runtime.actors.send_export(delivery_id)
    for event_id in events:
        runtime.actors.send_import(event_id)
    return describe(deliveries, events)


def describe(deliveries: list[int], events: list[int]) -> str:
    if not deliveries and not events:
        return "nothing to replay: it is no longer failed (see its state below)"
    parts = []
    if deliveries:
        parts.append(f"{len(deliveries)} {'delivery' if len(deliveries) == 1 else 'deliveries'} ({', '.join(map(str, deliveries[:20]))}{'...' if len(deliveries) > 20 else ''})")
    if events:
        parts.append(f"{len(events)} {'event' if len(events) == 1 else 'events'} ({', '.join(map(str, events[:20]))}{'...' if len(events) > 20 else ''})")
    return "replayed " + " and ".join(parts) + ": they run again with fresh tries"
