"""Maintenance: let each connector look after its integration, and keep what it reports."""

from __future__ import annotations

import logging

from connect_hub.account import Account
from connect_hub.contracts import Notice as NoticeData
from connect_hub.metrics import NOTICES
from connect_hub.secrets import redact
from connect_hub.store.models import Notice

log = logging.getLogger(__name__)


async def record_notices(account: Account, integration: str, notices: list[NoticeData]) -> None:
    """Log each notice loudly, count it, and store it for ``status`` and the API."""
    for notice in notices:
        message = redact(notice.message, *account.secrets())
        log.warning("%s: %s: %s", integration, notice.kind, message)
        NOTICES.labels(integration, notice.kind).inc()
        await Notice.create(account=account.name, integration=integration, kind=notice.kind, message=message)


async def maintain(account: Account, integration_name: str) -> None:
    """One maintenance pass of one integration (``hub_maintain``)."""
    integration = account.integration(integration_name)
    if integration is None:
        return
    try:
        notices = await account.plugins.maintain(integration)
    except Exception as exc:  # noqa: BLE001 - a failed pass is itself worth a notice
        notices = [NoticeData(kind="maintenance_failed", message=f"{type(exc).__name__}: {exc}")]
    await record_notices(account, integration_name, notices)


async def onboard(account: Account, integration_name: str) -> None:
    """Run the onboarding checks of one integration and keep every failed one as a notice."""
    integration = account.integration(integration_name)
    if integration is None:
        return
    try:
        checks = await account.plugins.onboard_check(integration)
    except Exception as exc:  # noqa: BLE001
        await record_notices(account, integration_name, [NoticeData(kind="onboarding_failed", message=f"{type(exc).__name__}: {exc}")])
        return
    failed = [NoticeData(kind="onboarding_failed", message=f"{c.name}: {c.message}") for c in checks if not c.ok]
    await record_notices(account, integration_name, failed)
