"""The companion WordPress plugin seen from the hub: is it there (cached), and pairing.

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
from connect_hub_woocommerce.watchdog import delivery_url

STATUS_TTL = 300.0
"""Seconds an answer of the plugin's status route is trusted (installing it takes effect then)."""
_CACHE = "companion_plugin"


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


async def pair(client: WooClient, integration: Integration) -> Check:
    """Give the plugin the hub's webhook address and the integration's webhook secret, with the
    ``pairing_code`` the plugin shows; one Check."""
    name = "companion plugin paired"
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
            "the code the plugin shows under WooCommerce > Connect Hub into pairing_code."
        ))  # fmt: skip
    except HubError as exc:
        return Check(name, False, f"Could not pair the companion plugin: {exc}")
    integration.resources[_CACHE] = (time.monotonic() + STATUS_TTL, True)
    return Check(name, True, f"The companion plugin sends checkouts and shipments to {url}.")
