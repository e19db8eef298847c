"""WooCommerce REST authentication: HTTP Basic over https, OAuth 1.0a one-legged over plain http.

A shop over plain http refuses Basic and query-string keys (401 ``woocommerce_rest_cannot_view``)
and takes only OAuth 1.0a, "one-legged": no token, the signing key is ``consumer_secret&``. The
signature base string is::

    METHOD & enc(url without query) & enc(k1=v1&k2=v2...)

over every query parameter plus ``oauth_consumer_key``, ``oauth_nonce``,
``oauth_signature_method`` and ``oauth_timestamp``, each key and value percent-encoded (RFC 3986)
and the pairs sorted by (unencoded) key, as the shop sorts them. The shop accepts every nonce once, so each request, each retry and
each page is signed afresh; the ``Link`` header repeats the used nonce, so pages are never
followed from it.

The OAuth parameters travel in an ``Authorization: OAuth ...`` header (the shop reads it as
well as the query string): the consumer key and the signature then stay out of URLs, and so out
of access logs and httpx's request log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Generator, Iterable
from urllib.parse import quote

import httpx

SIGNATURE_METHOD = "HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as PHP's ``rawurlencode``: only letters, digits and ``-._~`` stay."""
    return quote(value, safe="~")


def base_url(url: httpx.URL) -> str:
    """The URL as the signature covers it: scheme, host, port (if not the default) and path."""
    return str(url.copy_with(query=None, fragment=None))


def signature_base_string(method: str, url: httpx.URL, params: Iterable[tuple[str, str]]) -> str:
    """``METHOD&enc(url)&enc(sorted encoded pairs)`` for the request's query plus ``params``."""
    pairs = sorted([*url.params.multi_items(), *params])
    normalized = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)
    return "&".join((method.upper(), percent_encode(base_url(url)), percent_encode(normalized)))


def sign(base_string: str, consumer_secret: str) -> str:
    """Base64 HMAC-SHA256 of the base string with the key ``consumer_secret&`` (as the shop
    builds it: the secret is not encoded)."""
    key = f"{consumer_secret}&".encode()
    return base64.b64encode(hmac.new(key, base_string.encode(), hashlib.sha256).digest()).decode()


class WooAuth(httpx.Auth):
    """Authenticates each request by its scheme: Basic over https, a fresh OAuth 1.0a over http."""

    def __init__(self, consumer_key: str, consumer_secret: str):
        self._key = consumer_key
        self._secret = consumer_secret
        self._basic = httpx.BasicAuth(consumer_key, consumer_secret)

    def __repr__(self) -> str:  # never show the key or the secret
        return "WooAuth(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.scheme == "https":
            yield from self._basic.auth_flow(request)
            return
        request.headers["Authorization"] = self.oauth_header(request)
        yield request

    def oauth_header(self, request: httpx.Request) -> str:
        """``OAuth k="v", ...`` with a new nonce and timestamp, signed for this request."""
        params = [
            ("oauth_consumer_key", self._key),
            ("oauth_nonce", secrets.token_hex(16)),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_timestamp", str(int(time.time()))),
        ]
        signature = sign(signature_base_string(request.method, request.url, params), self._secret)
        fields = [*params, ("oauth_signature", signature)]
        return "OAuth " + ", ".join(f'{k}="{percent_encode(v)}"' for k, v in fields)
