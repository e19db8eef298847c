"""Console sign-in: the admin token once, then a signed session cookie and a CSRF token.

The session lives in a cookie signed (itsdangerous, through Starlette's SessionMiddleware) with a
key derived from the admin token, so changing the token signs everyone out, and no reader of the
cookie learns the token. The cookie is HttpOnly, SameSite=Strict, limited to ``/console`` and
Secure when the hub's public URL is https. Every action (a POST) carries the session's CSRF token
in a form field; a request without it, or with another one, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from starlette.requests import Request

COOKIE = "connect_hub_console"
MAX_AGE = 12 * 3600
"""A session lasts twelve hours."""
CSRF_FIELD = "csrf"


def session_key(admin_token: str) -> str:
    """The session-signing key: derived from the admin token, never the token itself."""
    return hmac.new(admin_token.encode(), b"connect-hub console session v1", hashlib.sha256).hexdigest()


def token_matches(given: str, admin_token: str) -> bool:
    """Constant-time comparison of what was typed with the admin token."""
    return hmac.compare_digest(given.encode(), admin_token.encode())


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def sign_in(request: Request) -> None:
    """Start a fresh session (a new CSRF token) for the browser that just gave the token."""
    request.session.clear()
    request.session.update({"signed_in": True, "csrf": new_csrf()})


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> bool:
    return request.session.get("signed_in") is True and bool(request.session.get("csrf"))


def csrf_token(request: Request) -> str:
    return str(request.session.get("csrf", ""))


def csrf_ok(request: Request, form: dict[str, Any]) -> bool:
    """The form carries this session's CSRF token."""
    expected = csrf_token(request)
    given = str(form.get(CSRF_FIELD, ""))
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def safe_next(value: str | None, default: str = "/console/") -> str:
    """Where to go after signing in or an action: only a path inside the console."""
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
