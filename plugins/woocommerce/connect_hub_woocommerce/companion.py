"""The companion WordPress plugin seen from the hub: is it there (cached), is it paired with
this hub, and pairing.

The plugin sends checkouts and shop-entered shipments to the hub (parsed in :mod:`.webhooks`)
and takes the hub's shipments through ``/wp-json/connect-hub/v1`` (:mod:`.exports`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from connect_hub.contracts import Check, Integration
from connect_hub.errors import HubError
from connect_hub.secrets import webhook_secret_for

from connect_hub_woocommerce.client import WooApiError, WooClient
from connect_hub_woocommerce.resources import setting
from connect_hub_woocommerce.watchdog import delivery_url, secret_fingerprint

STATUS_TTL = 300.0
"""Seconds an answer of the plugin's status route is trusted (installing it takes effect then)."""
_CACHE = "companion_plugin"
SETTINGS_SCREEN = "WooCommerce > Settings > Advanced > Connect Hub"
"""Where the plugin shows its pairing code and takes the hub's URL and secret."""
CHECK = "companion plugin paired"


async def plugin_present(
    client: WooClient, integration: Integration, clock: Callable[[], float] = time.monotonic
) -> bool:
    """Whether the shop runs the companion plugin, asked at most every ``STATUS_TTL`` seconds."""
    cached = integration.resources.get(_CACHE)
    now = clock()
    if cached is not None and cached[0] > now:
        return cached[1]
    present = await client.companion_status() is not None
    integration.resources[_CACHE] = (now + STATUS_TTL, present)
    return present


def by_hand(integration: Integration) -> str:
    """How to pair without a code."""
    return (
        f"enter under {SETTINGS_SCREEN} the hub URL and shared secret that "
        f"'connect-hub wordpress-plugin --pairing {integration.name}' shows"
    )


def paired_here(status: dict, integration: Integration) -> str | None:
    """None when the plugin sends to this hub with this hub's secret, else what differs."""
    url = delivery_url(integration)
    if not status.get("paired"):
        return "is installed but not paired with a hub"
    theirs = str(status.get("hub_url") or "")
    if theirs and theirs.rstrip("/") != url.rstrip("/"):
        return f"sends to {theirs}, not to {url}"
    fingerprint = status.get("secret_fingerprint")
    if fingerprint is not None and fingerprint != secret_fingerprint(webhook_secret_for(integration)):
        return f"sends to {url}, but signs with another secret than this hub's, so the hub refuses its messages"
    return None


async def check(client: WooClient, integration: Integration) -> Check | None:
    """Look for the companion plugin: paired with this hub already (a used ``pairing_code`` left
    in the configuration is then ignored), paired now with ``pairing_code``, or one Check that
    says how to pair it. None when the shop has no plugin and no code is set."""
    code = setting(integration, "pairing_code")
    try:
        status = await client.companion_status()
    except HubError as exc:
        return Check(CHECK, False, f"Could not ask the shop about its companion plugin: {exc}")
    integration.resources[_CACHE] = (time.monotonic() + STATUS_TTL, status is not None)
    if status is None:
        if not code:
            return None
        return Check(CHECK, False, (
            "pairing_code is set, but the shop has no companion plugin (no connect-hub/v1 "
            "routes): install and activate the Connect Hub plugin, or remove pairing_code."
        ))  # fmt: skip
    differs = paired_here(status, integration)
    if differs is None:
        unused = " (pairing_code is no longer needed)" if code else ""
        return Check(CHECK, True, f"The companion plugin sends checkouts and shipments to {delivery_url(integration)}{unused}.")
    if code:
        return await pair(client, integration)
    return Check(CHECK, False, (
        f"The companion plugin {differs}: set pairing_code to the code it shows under "
        f"{SETTINGS_SCREEN} and onboard again, or {by_hand(integration)}."
    ))  # fmt: skip


async def pair(client: WooClient, integration: Integration) -> Check:
    """Give the plugin the hub's webhook address and the integration's webhook secret, with the
    ``pairing_code`` the plugin shows; one Check."""
    name = CHECK
    url = delivery_url(integration)
    body = {
        "code": str(setting(integration, "pairing_code")),
        "hub_url": url,
        "secret": webhook_secret_for(integration),
    }
    try:
        await client.pair_companion(body)
    except WooApiError as exc:
        integration.resources.pop(_CACHE, None)
        if exc.status == 404 and exc.code == "rest_no_route":
            return Check(name, False, (
                "pairing_code is set, but the shop has no companion plugin (no connect-hub/v1 "
                "routes): install and activate the Connect Hub plugin, or remove pairing_code."
            ))  # fmt: skip
        return Check(name, False, (
            f"The companion plugin refused to pair ({exc.status} {exc.code}: {exc.detail}): copy "
            f"the code the plugin shows under {SETTINGS_SCREEN} into pairing_code (a code "
            f"works once, for an hour), or {by_hand(integration)}."
        ))  # fmt: skip
    except HubError as exc:
        return Check(name, False, f"Could not pair the companion plugin: {exc}")
    integration.resources[_CACHE] = (time.monotonic() + STATUS_TTL, True)
    return Check(name, True, f"The companion plugin sends checkouts and shipments to {url}.")
