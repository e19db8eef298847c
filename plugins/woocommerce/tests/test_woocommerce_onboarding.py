"""Onboarding checks: each failure a sentence; webhook registration as the key's write check."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub_woocommerce.client import WooClient
from connect_hub_woocommerce.onboarding import onboard
from connect_hub_woocommerce.watchdog import TOPICS, webhook_name

SAMPLES = Path(__file__).parent / "samples" / "api"
HUB = "https://hub.example"
SHOP = "https://shop.example"
NO_ROUTE = {"code": "rest_no_route", "message": "No route was found matching the URL and request method.", "data": {"status": 404}}  # fmt: skip
INDEX = {"namespace": "wc/v3", "routes": {"/wc/v3": {}}}
_HOP_HEADERS = {"host", "connection", "content-length", "transfer-encoding", "content-encoding"}


def sample(name: str) -> dict[str, Any]:
    """A captured answer as ``add_response`` arguments: status, headers, JSON body."""
    captured = json.loads((SAMPLES / name).read_text())
    headers = {k: v for k, v in captured["headers"].items() if k.lower() not in _HOP_HEADERS}
    return {"status_code": captured["status"], "headers": headers, "json": captured["body"]}


def status_with_version(version: str) -> dict[str, Any]:
    answer = sample("GET-system_status.json")
    answer["json"]["environment"]["version"] = version
    return answer


def route(url: str, path: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"{url}{path}") + r"(\?.*)?$")


@pytest.fixture
def shop(integration):
    return replace(integration, public_url=HUB, resources={})


async def run(shop, url: str = "https://shop.example") -> dict[str, tuple[bool, str]]:
    async def no_sleep(seconds: float) -> None:
        pass

    client = WooClient(url, "ck_x", "cs_x", name="acme/shop", sleep=no_sleep, requests_per_second=0)
    try:
        return {c.name: (c.ok, c.message) for c in await onboard(client, shop)}
    finally:
        await client.aclose()


def failed(checks: dict[str, tuple[bool, str]]) -> tuple[str, str]:
    """The one failed check (the last one made)."""
    (name,) = [name for name, (ok, _) in checks.items() if not ok]
    assert name == list(checks)[-1]
    return name, checks[name][1]


async def test_an_unreachable_shop(shop, httpx_mock):
    for _ in range(3):
        httpx_mock.add_exception(httpx.ConnectError("Name or service not known"))

    name, message = failed(await run(shop))

    assert name == "shop reachable"
    assert message.startswith("Cannot reach the shop at https://shop.example: ")
    assert "Check the url setting" in message


@pytest.mark.parametrize(
    "answer",
    [sample("404-no-route.json"), {"text": "<html>Welcome to nginx</html>"}],
    ids=["wordpress-without-woocommerce", "not-wordpress"],
)
async def test_a_site_that_is_not_woocommerce(shop, httpx_mock, answer):
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", **answer)

    checks = await run(shop)

    assert checks["shop reachable"][0] is True
    name, message = failed(checks)
    assert name == "is WooCommerce"
    assert "has no WooCommerce REST API at https://shop.example/wp-json/wc/v3" in message


async def test_a_woocommerce_too_old(shop, httpx_mock):
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("3.4.7"))

    name, message = failed(await run(shop))

    assert name == "woocommerce version"
    assert message == (
        "The shop runs WooCommerce 3.4.7; the hub needs 3.5 or newer: update WooCommerce."
    )


@pytest.mark.parametrize(
    ("url", "answer", "says"),
    [
        ("https://shop.example", "401-bad-key-basic-https.json", "does not know the api_key"),
        ("http://shop.example", "401-bad-key-oauth1.json", "does not know the api_key"),
        ("https://shop.example", "401-wrong-secret-basic-https.json", "api_secret does not belong"),
        ("http://shop.example", "401-wrong-secret-oauth1.json", "api_secret does not belong"),
    ],
    ids=["wrong-key-basic", "wrong-key-oauth", "wrong-secret-basic", "wrong-secret-oauth"],
)
async def test_wrong_key_and_wrong_secret_are_told_apart(shop, httpx_mock, url, answer, says):
    httpx_mock.add_response(url=f"{url}/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(url=route(url, "/wp-json/wc/v3/system_status"), **sample(answer))

    name, message = failed(await run(shop, url))

    assert name == "api key accepted"
    assert says in message
    assert "WooCommerce > Settings > Advanced > REST API" in message
    assert "cs_x" not in message and "ck_x" not in message


async def test_a_key_refused_already_at_the_index_is_still_a_shop(shop, httpx_mock):
    httpx_mock.add_response(**sample("401-wrong-secret-basic-https.json"))
    httpx_mock.add_response(**sample("401-wrong-secret-basic-https.json"))

    checks = await run(shop)

    assert checks["is WooCommerce"][0] is True
    assert "api_secret does not belong" in failed(checks)[1]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("woocommerce_rest_authentication_error", "The API key provided does not have write permissions."),
        ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    ],
)  # fmt: skip
async def test_a_read_only_key(shop, httpx_mock, code, text):
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("9.9.5"))
    httpx_mock.add_response(method="GET", json=[])
    httpx_mock.add_response(
        method="POST",
        status_code=401,
        json={"code": code, "message": text, "data": {"status": 401}},
    )

    name, message = failed(await run(shop))

    assert name == "api key can write"
    assert message.startswith("The api_key can only read")
    assert "give it Read/Write permissions" in message


async def test_all_good_registers_the_six_webhooks(shop, httpx_mock):
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("9.9.5"))
    httpx_mock.add_response(**sample("GET-webhooks-list.json"))  # another app's webhooks
    created = sample("POST-webhooks-response.json")
    httpx_mock.add_response(method="POST", is_reusable=True, **created)
    httpx_mock.add_response(method="GET", url=f"{SHOP}/wp-json/connect-hub/v1/status", status_code=404, json=NO_ROUTE)

    checks = await run(shop)

    assert all(ok for ok, _ in checks.values()), checks
    assert list(checks) == [
        "shop reachable",
        "is WooCommerce",
        "api key accepted",
        "woocommerce version",
        "api key can write",
        "webhooks registered",
    ]
    posts = [json.loads(r.content) for r in httpx_mock.get_requests() if r.method == "POST"]
    assert [p["topic"] for p in posts] == list(TOPICS)
    for post in posts:
        assert post["delivery_url"] == "https://hub.example/webhooks/shop"
        assert post["secret"] == "verify-secret-123"
        assert post["name"] == webhook_name(shop, post["topic"], "verify-secret-123")
    assert "verify-secret-123" not in checks["webhooks registered"][1]


async def test_webhooks_in_place_get_a_harmless_write_as_the_write_check(shop, httpx_mock):
    ours = [
        {"id": n, "topic": topic, "status": "active", "delivery_url": f"{HUB}/webhooks/shop",
         "name": webhook_name(shop, topic, "verify-secret-123")}
        for n, topic in enumerate(TOPICS, start=1)
    ]  # fmt: skip
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("9.9.5"))
    httpx_mock.add_response(method="GET", json=ours)
    httpx_mock.add_response(method="PUT", json=ours[0])
    httpx_mock.add_response(method="GET", url=f"{SHOP}/wp-json/connect-hub/v1/status", status_code=404, json=NO_ROUTE)

    checks = await run(shop)

    assert all(ok for ok, _ in checks.values()), checks
    [put] = [r for r in httpx_mock.get_requests() if r.method == "PUT"]
    assert put.url.path == "/wp-json/wc/v3/webhooks/1"
    assert json.loads(put.content) == {"name": ours[0]["name"]}
    assert "all were in place" in checks["webhooks registered"][1]


async def test_onboarding_looks_for_the_companion_plugin_without_a_pairing_code(shop, httpx_mock):
    """Issue 10: an installed, unpaired plugin drops every checkout; onboarding says so."""
    ours = [
        {"id": n, "topic": topic, "status": "active", "delivery_url": f"{HUB}/webhooks/shop",
         "name": webhook_name(shop, topic, "verify-secret-123")}
        for n, topic in enumerate(TOPICS, start=1)
    ]  # fmt: skip
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("9.9.5"))
    httpx_mock.add_response(method="GET", json=ours)
    httpx_mock.add_response(method="PUT", json=ours[0])
    httpx_mock.add_response(method="GET", url=f"{SHOP}/wp-json/connect-hub/v1/status", json={"version": "1.0.0", "paired": False, "hub_url": "", "secret_fingerprint": ""})

    name, message = failed(await run(shop))

    assert name == "companion plugin paired"
    assert "not paired" in message and "--pairing shop" in message


async def test_without_public_url_nothing_is_registered(shop, httpx_mock):
    httpx_mock.add_response(url="https://shop.example/wp-json/wc/v3", json=INDEX)
    httpx_mock.add_response(**status_with_version("9.9.5"))

    name, message = failed(await run(replace(shop, public_url="")))

    assert name == "webhooks registered"
    assert "service.public_url is not set" in message
