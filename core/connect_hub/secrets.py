"""Secrets the hub makes itself, derived so that no reader of the store or the logs learns them.

A webhook secret is ``HMAC-SHA256(hub secret key, "webhook:{account}:{integration}")``: the hub
can recompute it at any time from the key it reads from the environment, so nothing secret is
stored, and two integrations never share one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def derive_secret(secret_key: str, *parts: str) -> str:
    """A URL-safe secret bound to ``parts``; without ``secret_key`` nothing can be derived."""
    if not secret_key:
        raise ValueError("the hub's secret key is not set (CONNECT_HUB_SECRET_KEY)")
    message = ":".join(parts).encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def webhook_secret(secret_key: str, account: str, integration: str) -> str:
    """The secret the hub registers for an integration's webhooks."""
    return derive_secret(secret_key, "webhook", account, integration)


def redact(text: str, *secrets: str) -> str:
    """``text`` with every non-empty secret replaced by ``***`` (for error messages from peers)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
