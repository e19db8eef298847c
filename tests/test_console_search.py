"""Finding things in the console over HTTP: what has no record yet is found through its event."""

from __future__ import annotations

from support import order_body, wait_for
from test_console_auth import signed_in


def test_an_order_whose_import_failed_is_found_through_its_event(make_hub) -> None:
    hub = make_hub()
    hub.post_webhook(order_body(id=777, number="777", status="awaiting-pickup"))
    wait_for(lambda: [e for e in hub.events() if e["state"] == "failed"], what="the failed event")
    page = signed_in(hub).get("/console/search", params={"q": "777"})
    assert page.status_code == 200
    assert "Failed events that mention “777”" in page.text and "status_map" in page.text
