"""Secrets the hub makes itself, derived so that no reader of the store or the logs learns them.

A webhook secret is ``HMAC-SHA256(hub secret key, "webhook:{account}:{integration}")``: the hub
can recompute it at any time from the key it reads from the environment, so nothing secret is
stored, and two integrations never share one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from connect_hub.errors import ConfigError

if TYPE_CHECKING:
    from connect_hub.contracts import Integration


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


def webhook_secret_for(integration: Integration) -> str:
    """The secret that signs an integration's webhooks: its ``webhook_secret`` setting, else the
    one derived from the hub's secret key (nothing stored, nothing to leak).

    An empty setting counts as absent. Raises ConfigError when neither is available.
    """
    configured = integration.settings.get("webhook_secret")
    if configured:
        return str(configured)
    if not integration.secret_key:
        raise ConfigError(
            f"integration {integration.name!r} has no webhook_secret setting and the hub's "
            "secret key (CONNECT_HUB_SECRET_KEY) is not set: set one of them",
            path=f"integrations.{integration.name}.settings.webhook_secret",
        )
    return webhook_secret(integration.secret_key, integration.account, integration.name)


def redact(text: str, *secrets: str) -> str:
    """``text`` with every non-empty secret replaced by ``***`` (for error messages from peers)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
