"""Maintenance: let each connector look after its integration, and keep what it reports.

Besides the connector's own checks, the hub looks after what no connector can see alone: which
SKUs sold in a shop its stock source does not carry (their stock is never set there).
"""

from __future__ import annotations

import hashlib
import logging

from connect_hub.account import Account
from connect_hub.contracts import Integration
from connect_hub.contracts import Notice as NoticeData
from connect_hub.manifest import DataType
from connect_hub.metrics import NOTICES
from connect_hub.secrets import redact
from connect_hub.store.models import Cursor, Link, Notice, Record

log = logging.getLogger(__name__)
LISTED_SKUS = 20
"""Most SKUs a notice names (it says how many more there are)."""


async def record_notices(account: Account, integration: str, notices: list[NoticeData]) -> None:
    """Log each notice loudly, count it, and store it for ``status`` and the API; a notice with a
    key already reported is dropped."""
    for notice in notices:
        if notice.key is not None and await Notice.exists(
            account=account.name, integration=integration, kind=notice.kind, key=notice.key
        ):
            continue
        message = redact(notice.message, *account.secrets())
        log.warning("%s: %s: %s", integration, notice.kind, message)
        NOTICES.labels(integration, notice.kind).inc()
        await Notice.create(account=account.name, integration=integration, kind=notice.kind, message=message, key=notice.key)


async def maintain(account: Account, integration_name: str) -> None:
    """One maintenance pass of one integration (``hub_maintain``, then the hub's own checks)."""
    integration = account.integration(integration_name)
    if integration is None:
        return
    try:
        notices = await account.plugins.maintain(integration)
    except Exception as exc:  # noqa: BLE001 - a failed pass is itself worth a notice
        notices = [NoticeData(kind="maintenance_failed", message=f"{type(exc).__name__}: {exc}")]
    notices += await uncarried_skus(account, integration)
    await record_notices(account, integration_name, notices)


async def uncarried_skus(account: Account, source: Integration) -> list[NoticeData]:
    """For a stock source that has listed its stock at least once: the SKUs of stock-managed
    products in the integrations it sets stock in that it does not carry. Their stock is left as it is there;
    the notice says so once for each new set of such SKUs."""
    if not source.stock_source:
        return []
    cursor = await Cursor.get_or_none(account=account.name, integration=source.name, data_type=str(DataType.STOCKS))
    if cursor is None or cursor.polled_at is None:
        return []  # no complete stock list yet: nothing is known about what it carries
    carried = set(await Record.filter(account=account.name, data_type=str(DataType.STOCKS)).values_list("key", flat=True))
    notices = []
    for name, target in account.integrations.items():
        if name == source.name or not target.exports(DataType.STOCKS):
            continue
        sold = await Link.filter(
            account=account.name, integration=name, data_type=str(DataType.PRODUCTS), alias=False
        ).values_list("record__key", "record__data")
        stocked = {key for key, data in sold if key.startswith("sku:") and (data or {}).get("manage_stock")}
        missing = sorted(stocked - carried)
        if missing:
            notices.append(_uncarried_notice(source.name, name, [key.removeprefix("sku:") for key in missing]))
    return notices


def _uncarried_notice(source: str, target: str, skus: list[str]) -> NoticeData:
    listed = ", ".join(skus[:LISTED_SKUS]) + (f" and {len(skus) - LISTED_SKUS} more" if len(skus) > LISTED_SKUS else "")
    return NoticeData(
        kind="stock_not_carried",
        message=(
            f"{len(skus)} SKU{'s' if len(skus) > 1 else ''} of {target} {'are' if len(skus) > 1 else 'is'} "
            f"not carried by {source}, so {'their' if len(skus) > 1 else 'its'} stock in {target} is left as it is: "
            f"{listed}. Add them to {source} if it should ship them."
        ),
        key=hashlib.sha256(f"{target}\n{chr(10).join(skus)}".encode()).hexdigest()[:64],
    )


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
