"""REST API authentication as WooCommerce does it: OAuth 1.0a one-legged, or Basic over https.

Over plain http only OAuth works: the signature base string is
``METHOD&enc(url without query)&enc(sorted enc(k)=enc(v) pairs)`` over every query parameter
plus the ``oauth_*`` ones (not ``oauth_signature``), the key ``consumer_secret&``, HMAC-SHA1 or
HMAC-SHA256, the parameters in the query string or an ``Authorization: OAuth`` header. The
timestamp must be within 15 minutes and every nonce is accepted once. Basic and query keys
count only in ``https_mode`` (as on an https shop); over http they leave the request anonymous.

:func:`sign_request`, :func:`signed_url` and :func:`authorization_header` sign requests the same
way for clients of the sandbox (tests, demos).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

from connect_hub_woocommerce.sandbox.errors import ShopError
from connect_hub_woocommerce.sandbox.keys import NONCE_WINDOW, READ, WRITE, ApiKey, Keys

SIGNATURE_METHODS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
OAUTH_REQUIRED = (
    "oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature",
    "oauth_signature_method",
)  # fmt: skip
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))')


def enc(text: str) -> str:
    """RFC 3986 percent-encoding (``rawurlencode``): only ``A-Z a-z 0-9 - . _ ~`` stay."""
    return quote(text, safe="-._~")


def base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The OAuth signature base string; ``url`` without its query, ``params`` decoded."""
    pairs = sorted((enc(k), enc(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return f"{method.upper()}&{enc(url)}&{enc(normalized)}"


def signature(base: str, consumer_secret: str, signature_method: str) -> str:
    digest = hmac.new(
        f"{consumer_secret}&".encode(), base.encode(), SIGNATURE_METHODS[signature_method]
    ).digest()
    return base64.b64encode(digest).decode()


def sign_request(
    method: str,
    url: str,
    consumer_key: str,
    consumer_secret: str,
    *,
    signature_method: str = "HMAC-SHA256",
    nonce: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The ``oauth_*`` parameters (signature included) for a request to ``url`` (query kept)."""
    parts = urlsplit(url)
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
    }
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    params = [*parse_qsl(parts.query, keep_blank_values=True), *oauth.items()]
    oauth["oauth_signature"] = signature(
        base_string(method, bare, params), consumer_secret, signature_method
    )
    return oauth


def signed_url(
    method: str, url: str, consumer_key: str, consumer_secret: str, **options: object
) -> str:
    """``url`` with the signed ``oauth_*`` parameters appended to its query string."""
    oauth = sign_request(method, url, consumer_key, consumer_secret, **options)  # type: ignore[arg-type]
    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in oauth.items())
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}"


def authorization_header(
    method: str, url: str, consumer_key: str, consumer_secret: str, **options: object
) -> str:
    """An ``Authorization: OAuth ...`` value signing a request to ``url``."""
    oauth = sign_request(method, url, consumer_key, consumer_secret, **options)  # type: ignore[arg-type]
    return "OAuth " + ", ".join(f'{k}="{enc(v)}"' for k, v in oauth.items())


# --- verification ------------------------------------------------------------------------------


def _auth_error(message: str, code: str = "woocommerce_rest_authentication_error") -> ShopError:
    return ShopError(401, code, message)


def authenticate(
    keys: Keys,
    *,
    method: str,
    url: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    https_mode: bool,
    now: datetime,
) -> ApiKey | None:
    """The key a request authenticates with, None when it brings none (anonymous).

    Raises :class:`ShopError` 401 for a bad key, signature, timestamp or nonce, or for a key
    without the permission the method needs. ``url`` is the request URL without its query.
    """
    key: ApiKey | None = None
    error: ShopError | None = None
    if https_mode:
        key, error = _basic(keys, query, headers)
    if key is None:
        oauth = _oauth(keys, method, url, query, headers, https_mode, now)
        if oauth is not None:
            key = oauth
    if key is None and error is not None:
        raise error
    if key is None:
        return None
    if method in ("GET", "HEAD") and key.permissions == WRITE:
        raise _auth_error("The API key provided does not have read permissions.")
    if method in ("POST", "PUT", "PATCH", "DELETE") and key.permissions == READ:
        raise _auth_error("The API key provided does not have write permissions.")
    return key


def _basic(
    keys: Keys, query: list[tuple[str, str]], headers: Mapping[str, str]
) -> tuple[ApiKey | None, ShopError | None]:
    """Basic auth or ``consumer_key``/``consumer_secret`` query parameters (https only)."""
    params = dict(query)
    consumer_key, consumer_secret = (
        params.get("consumer_key", ""),
        params.get("consumer_secret", ""),
    )
    authorization = headers.get("authorization", "")
    if not (consumer_key and consumer_secret) and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        consumer_key, _, consumer_secret = decoded.partition(":")
    if not consumer_key or not consumer_secret:
        return None, None
    key = keys.get(consumer_key)
    if key is None:
        return None, None
    if not hmac.compare_digest(key.consumer_secret.encode(), consumer_secret.encode()):
        return None, _auth_error("Consumer secret is invalid.")
    return key, None


def _oauth(
    keys: Keys,
    method: str,
    url: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    https_mode: bool,
    now: datetime,
) -> ApiKey | None:
    params = dict(query)
    authorization = headers.get("authorization", "").strip()
    if authorization.startswith("OAuth "):
        for name, quoted, bare in _HEADER_PARAM.findall(authorization):
            params[name] = unquote_plus(quoted or bare)
    missing = [name for name in OAUTH_REQUIRED if not params.get(name)]
    if len(missing) == len(OAUTH_REQUIRED):
        return None
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise _auth_error(
            f"Missing OAuth parameter{plural} {', '.join(missing)}",
            "woocommerce_rest_authentication_missing_parameter",
        )
    key = keys.get(params["oauth_consumer_key"])
    if key is None:
        raise _auth_error("Consumer key is invalid.")
    given = params.pop("oauth_signature").replace(" ", "+")
    signature_method = params["oauth_signature_method"]
    if signature_method not in SIGNATURE_METHODS:
        raise _auth_error("Invalid signature - signature method is invalid.")
    if https_mode:
        url = "https" + url[url.index(":") :]
    expected = signature(
        base_string(method, url, params.items()), key.consumer_secret, signature_method
    )
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise _auth_error("Invalid signature - provided signature does not match.")
    try:
        timestamp = int(params["oauth_timestamp"])
    except ValueError:
        raise _auth_error("Invalid timestamp.") from None
    window = NONCE_WINDOW.total_seconds()
    if abs(timestamp - now.timestamp()) > window:
        raise _auth_error("Invalid timestamp.")
    if not keys.use_nonce(key.consumer_key, params["oauth_nonce"], now):
        raise _auth_error("Invalid nonce - nonce has already been used.")
    return key
