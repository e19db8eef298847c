"""Authentication: HTTP Basic over https, OAuth 1.0a (HMAC-SHA256) over http, signed afresh."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import unquote

import httpx
import pytest
from connect_hub_woocommerce.auth import WooAuth, percent_encode, sign, signature_base_string
from connect_hub_woocommerce.client import WooClient
from pytest_httpx import HTTPXMock

KEY = "ck_0123456789abcdef"
SECRET = "cs_fedcba9876543210"


def oauth_fields(request: httpx.Request) -> dict[str, str]:
    """The parameters of an ``Authorization: OAuth k="v", ...`` header, decoded."""
    header = request.headers["Authorization"]
    assert header.startswith("OAuth ")
    fields = (part.split("=", 1) for part in header[len("OAuth ") :].split(", "))
    return {name: unquote(value.strip('"')) for name, value in fields}


def test_the_base_string_is_method_url_and_sorted_encoded_params():
    url = httpx.URL("http://shop.test/wp-json/wc/v3/products?sku=A B&per_page=100&page=2")
    oauth = [("oauth_nonce", "n1"), ("oauth_consumer_key", KEY)]

    base = signature_base_string("get", url, oauth)

    params = f"oauth_consumer_key={KEY}&oauth_nonce=n1&page=2&per_page=100&sku=A%20B"
    assert base == (
        "GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Fproducts&" + percent_encode(params)
    )
    assert "%2520" in base  # the space is encoded twice, as in the shop's own string


def test_the_signature_is_base64_hmac_sha256_keyed_with_secret_and_ampersand():
    expected = hmac.new(f"{SECRET}&".encode(), b"GET&x&y", hashlib.sha256).digest()

    assert sign("GET&x&y", SECRET) == base64.b64encode(expected).decode()


def test_percent_encoding_is_rfc3986_like_rawurlencode():
    assert percent_encode("a b+c/~é:") == "a%20b%2Bc%2F~%C3%A9%3A"


async def test_http_requests_are_signed_with_a_fresh_nonce_each(httpx_mock: HTTPXMock):
    httpx_mock.add_response(json=[], is_reusable=True)
    auth = WooAuth(KEY, SECRET)
    async with httpx.AsyncClient(auth=auth) as client:
        await client.get("http://shop.test/wp-json/wc/v3/orders", params={"page": "1"})
        await client.get("http://shop.test/wp-json/wc/v3/orders", params={"page": "1"})

    first, second = (oauth_fields(r) for r in httpx_mock.get_requests())
    assert first["oauth_nonce"] != second["oauth_nonce"]
    for request, fields in zip(httpx_mock.get_requests(), (first, second), strict=True):
        assert fields["oauth_consumer_key"] == KEY
        assert fields["oauth_signature_method"] == "HMAC-SHA256"
        assert abs(int(fields["oauth_timestamp"]) - time.time()) < 60
        signed = [(k, v) for k, v in fields.items() if k != "oauth_signature"]
        base = signature_base_string(request.method, request.url, signed)
        assert fields["oauth_signature"] == sign(base, SECRET)
        assert KEY not in str(request.url) and "oauth" not in str(request.url)


async def test_https_requests_use_basic_auth_and_no_oauth(httpx_mock: HTTPXMock):
    httpx_mock.add_response(json=[])
    async with httpx.AsyncClient(auth=WooAuth(KEY, SECRET)) as client:
        await client.get("https://shop.test/wp-json/wc/v3/orders")

    (request,) = httpx_mock.get_requests()
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"
    assert "oauth" not in str(request.url)


async def test_every_page_and_every_retry_is_signed_afresh(httpx_mock: HTTPXMock):
    url = "http://shop.test/wp-json/wc/v3/products"
    headers = {"X-WP-TotalPages": "2"}
    httpx_mock.add_response(url=f"{url}?per_page=100&page=1", json=[{"id": 1}], headers=headers)
    httpx_mock.add_response(url=f"{url}?per_page=100&page=2", status_code=503)
    httpx_mock.add_response(url=f"{url}?per_page=100&page=2", json=[{"id": 2}], headers=headers)

    async def no_sleep(seconds: float) -> None:
        pass

    client = WooClient("http://shop.test", KEY, SECRET, sleep=no_sleep, requests_per_second=0)
    try:
        pages = [page async for page in client.iter_pages("/wp-json/wc/v3/products", {})]
    finally:
        await client.aclose()

    assert pages == [[{"id": 1}], [{"id": 2}]]
    nonces = [oauth_fields(r)["oauth_nonce"] for r in httpx_mock.get_requests()]
    assert len(nonces) == 3 and len(set(nonces)) == 3


def test_the_auth_never_shows_its_secrets():
    assert KEY not in repr(WooAuth(KEY, SECRET)) and SECRET not in repr(WooAuth(KEY, SECRET))


@pytest.mark.parametrize("url", ["http://shop.test:80/x", "http://shop.test/x"])
def test_the_default_port_is_left_out_of_the_signed_url(url):
    assert signature_base_string("GET", httpx.URL(url), []).startswith(
        "GET&http%3A%2F%2Fshop.test%2Fx&"
    )
