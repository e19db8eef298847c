"""The integrations' webhooks as their remote systems report them, asked at most once a minute."""

from __future__ import annotations

import asyncio
import time

from connect_hub.account import Account
from connect_hub.contracts import WebhookStatus
from connect_hub.secrets import redact

TTL = 60.0
TIMEOUT = 3.0

Answer = list[WebhookStatus] | str | None
"""The webhooks; a sentence when the remote system could not be asked; None when the connector cannot tell."""


class WebhookStatusCache:
    """Keeps each integration's last answer for ``ttl`` seconds, so a page refresh asks no one."""

    def __init__(self, account: Account, ttl: float = TTL, timeout: float = TIMEOUT):
        self.account, self.ttl, self.timeout = account, ttl, timeout
        self._answers: dict[str, tuple[float, Answer]] = {}

    async def get(self, name: str) -> Answer:
        kept = self._answers.get(name)
        if kept is not None and time.monotonic() - kept[0] < self.ttl:
            return kept[1]
        answer = await self._ask(name)
        self._answers[name] = (time.monotonic(), answer)
        return answer

    async def _ask(self, name: str) -> Answer:
        integration = self.account.integration(name)
        if integration is None:
            return None
        try:
            return await asyncio.wait_for(self.account.plugins.webhook_status(integration), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - the page shows why it could not ask
            return redact(f"could not ask: {exc}", *self.account.secrets())
