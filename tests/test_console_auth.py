"""The console's doors: sign-in with the admin token, the session cookie, CSRF on every action,
and the token never shown. Over real HTTP against a running hub (the browser test drives pages)."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from support import ADMIN_TOKEN, Hub, Warehouse, order_body, wait_for

PAGES = ["/console/", "/console/search?q=1", "/console/records/1", "/console/events/1", "/console/failures", "/console/rules"]
ACTIONS = [("/console/replay", {"all": "1"}), ("/console/rules/dry-run", {"record": "1"}), ("/console/logout", {})]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(hub: Hub) -> httpx.Client:
    client = httpx.Client(base_url=hub.url)
    page = client.get("/console/login")
    response = client.post("/console/login", data={"csrf": csrf_of(page.text), "token": ADMIN_TOKEN, "next": "/console/failures"})
    assert response.status_code == 303 and response.headers["location"] == "/console/failures"
    return client


def failed_delivery(hub: Hub, warehouse: Warehouse) -> dict:
    warehouse.fault(status=422, count=1, path_prefix="/api/v1/orders", method="POST")
    assert hub.post_webhook(order_body()).status_code == 202
    return wait_for(lambda: next(iter(hub.deliveries(state="failed")), None), what="a failed delivery")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_sends_to_the_sign_in_page(make_hub, path: str) -> None:
    hub = make_hub()
    response = httpx.get(f"{hub.url}{path}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=")


@pytest.mark.parametrize(("path", "form"), ACTIONS)
def test_an_action_without_a_session_is_refused_with_401(make_hub, path: str, form: dict) -> None:
    hub = make_hub()
    assert httpx.post(f"{hub.url}{path}", data=form).status_code == 401


def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(make_hub, warehouse: Warehouse) -> None:
    hub = make_hub()
    delivery = failed_delivery(hub, warehouse)
    client = signed_in(hub)
    assert client.post("/console/replay", data={"delivery": str(delivery["id"])}).status_code == 403
    assert client.post("/console/replay", data={"delivery": str(delivery["id"]), "csrf": "forged"}).status_code == 403
    assert hub.api(f"deliveries/{delivery['id']}")["state"] == "failed"
    csrf = csrf_of(client.get("/console/failures").text)
    response = client.post("/console/replay", data={"delivery": str(delivery["id"]), "csrf": csrf, "next": "/console/failures"})
    assert response.status_code == 303 and "replayed%201%20delivery" in response.headers["location"]
    wait_for(lambda: hub.api(f"deliveries/{delivery['id']}")["state"] == "done", what="the replayed delivery")


def test_a_wrong_token_signs_nobody_in(make_hub) -> None:
    hub = make_hub()
    client = httpx.Client(base_url=hub.url)
    csrf = csrf_of(client.get("/console/login").text)
    response = client.post("/console/login", data={"csrf": csrf, "token": ADMIN_TOKEN + "x"})
    assert response.status_code == 401 and "not the admin token" in response.text
    assert client.get("/console/").status_code == 303


def test_the_session_cookie_is_http_only_strict_and_kept_to_the_console(make_hub) -> None:
    hub = make_hub()
    client = httpx.Client(base_url=hub.url)
    csrf = csrf_of(client.get("/console/login").text)
    response = client.post("/console/login", data={"csrf": csrf, "token": ADMIN_TOKEN})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert ADMIN_TOKEN.lower() not in cookie


def test_a_tampered_session_cookie_is_no_session(make_hub) -> None:
    hub = make_hub()
    client = signed_in(hub)
    name, value = next(iter(client.cookies.items()))
    forged = httpx.Client(base_url=hub.url, cookies={name: value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")})
    assert forged.get("/console/").status_code == 303


def test_signing_out_ends_the_session(make_hub) -> None:
    hub = make_hub()
    client = signed_in(hub)
    csrf = csrf_of(client.get("/console/").text)
    assert client.post("/console/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/console/").status_code == 303


def test_no_page_shows_the_admin_token_or_loads_anything_from_elsewhere(make_hub, warehouse: Warehouse, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hub = make_hub()
    delivery = failed_delivery(hub, warehouse)
    client = signed_in(hub)
    for path in [*PAGES, f"/console/records/{delivery['record_id']}", f"/console/events/{delivery['event_id']}", "/console/search?q=shop"]:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert ADMIN_TOKEN not in response.text and ADMIN_TOKEN not in str(response.headers)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert not re.search(r'(src|href|action)="(https?:)?//', response.text), path
    assert ADMIN_TOKEN not in caplog.text


def test_an_empty_admin_token_is_refused_so_nothing_opens_with_an_empty_password(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from connect_hub.config import parse_config
    from connect_hub.errors import ConfigError
    from support import account_yaml

    monkeypatch.setenv("TEST_ADMIN_TOKEN", "")
    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="admin_token: is empty"):
        parse_config(text, file=str(tmp_path / "account.yaml"))


def test_the_console_is_off_without_an_admin_token(tmp_path) -> None:
    from connect_hub.config import parse_config
    from connect_hub.embedded import running_hub
    from connect_hub.runtime import Runtime
    from support import account_yaml

    text = account_yaml(account="acme", store=f"sqlite://{tmp_path}/hub.db", warehouse_url="http://127.0.0.1:9")
    text = text.replace("admin_token: ${TEST_ADMIN_TOKEN}\n", "").replace("service: {host: 127.0.0.1, port: 0}", "service: {host: 127.0.0.1, port: 0}\nmaintenance: {at_start: false}")
    with running_hub(Runtime(parse_config(text, file=str(tmp_path / "account.yaml")), migrate=True), port=0) as hub:
        _console_is_off(hub)


def _console_is_off(hub) -> None:
    assert httpx.get(f"{hub.url}/console/").status_code == 403
    client = httpx.Client(base_url=hub.url)
    assert client.get("/console/login").status_code == 403
    assert client.post("/console/login", data={"token": ""}).status_code == 403
    assert client.post("/console/replay", data={"all": "1"}).status_code == 401


def test_the_console_without_a_trailing_slash_leads_to_the_sign_in_page(make_hub) -> None:
    hub = make_hub()
    response = httpx.get(f"{hub.url}/console", follow_redirects=True)
    assert response.status_code == 200 and response.url.path == "/console/login"
