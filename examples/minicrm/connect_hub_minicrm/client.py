"""MiniCRM's REST API (``/v1``): the key, errors, pages; plain JSON, no canonical objects.

Errors, in the hub's tree::

    TransientError    timeouts, network errors, 429 (with Retry-After), 5xx, a body that is no JSON
    PermanentError    any other 4xx (401: the api_key is wrong)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from connect_hub.errors import PermanentError, TransientError
from connect_hub.http import parse_retry_after

Json = dict[str, Any]


class MiniCrm:
    """One per integration; ``name`` (``account/integration``) starts every error message."""

    def __init__(self, url: str, api_key: str, *, name: str, timeout: float):
        self.name = name
        self._http = httpx.AsyncClient(base_url=f"{url}/v1", timeout=timeout, headers={"X-Api-Key": api_key})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, *, missing_ok: bool = False, **options: Any) -> Any:
        """The JSON answer; None for a 404 when ``missing_ok``. Raises the hub's errors."""
        try:
            response = await self._http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise TransientError(f"{self.name}: {method} {path} failed: {type(exc).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientError(f"{self.name}: {method} {path} answered {status}", retry_after=parse_retry_after(response))
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            hint = "; check the api_key setting" if status in (401, 403) else ""
            raise PermanentError(f"{self.name}: {method} {path} answered {status}: {_message(response)}{hint}")
        try:
            return response.json()
        except ValueError:
            raise TransientError(f"{self.name}: {method} {path} answered {status} with a body that is no JSON") from None

    async def contact(self, contact_id: str) -> Json | None:
        return await self.call("GET", f"/contacts/{contact_id}", missing_ok=True)

    async def contact_by_email(self, email: str) -> Json | None:
        return await self.call("GET", "/contacts/lookup", params={"email": email}, missing_ok=True)

    async def create_contact(self, body: Json) -> Json:
        return await self.call("POST", "/contacts", json=body)

    async def update_contact(self, contact_id: str, body: Json) -> Json:
        return await self.call("PATCH", f"/contacts/{contact_id}", json=body)

    async def activity(self, key: str) -> Json | None:
        return await self.call("GET", f"/activities/{key}", missing_ok=True)

    async def put_activity(self, key: str, body: Json) -> Json:
        """Create or replace the activity ``key`` (MiniCRM keys activities by the caller's key)."""
        return await self.call("PUT", f"/activities/{key}", json=body)

    async def contact_pages(self, updated_since: str, page_token: str | None, limit: int) -> AsyncIterator[tuple[list[Json], str | None]]:
        """(contacts, the token of the next page) per page, one request per page, made only when
        the page before has been taken."""
        while True:
            params: dict[str, Any] = {"updated_since": updated_since, "limit": limit}
            if page_token:
                params["page_token"] = page_token
            page = await self.call("GET", "/contacts", params=params)
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise TransientError(f"{self.name}: GET /contacts answered without a data list")
            page_token = page.get("next_page_token") or None
            yield page["data"], page_token
            if page_token is None:
                return

    async def hooks(self) -> list[Json]:
        found = await self.call("GET", "/hooks")
        return found if isinstance(found, list) else []

    async def add_hook(self, target: str, secret: str) -> Json:
        return await self.call("POST", "/hooks", json={"target": target, "secret": secret})


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return " ".join(response.text[:120].split()) or response.reason_phrase
