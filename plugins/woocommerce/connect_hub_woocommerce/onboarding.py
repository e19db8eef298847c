"""Onboarding: is the shop there, is it WooCommerce, recent enough, does the key work and
write; then register the webhooks. Every failure is one sentence a person can act on."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from connect_hub.contracts import Check, Integration
from connect_hub.errors import ConfigError, HubError, TransientError

from connect_hub_woocommerce import companion
from connect_hub_woocommerce.client import AuthenticationError, WooApiError, WooClient
from connect_hub_woocommerce.resources import describe
from connect_hub_woocommerce.watchdog import TOPICS, delivery_url, ensure_webhooks

MIN_VERSION = (3, 5)
"""REST API v3 with ``modified_after`` in its later form; older shops are refused."""
KEYS_PAGE = "WooCommerce > Settings > Advanced > REST API"


async def onboard(client: WooClient, integration: Integration) -> list[Check]:
    """Run the checks in order, stopping at the first one that leaves nothing to check after."""
    url = client.url
    answer = ""
    try:
        index = await client.index()
    except TransientError as exc:
        return [Check("shop reachable", False, f"Cannot reach the shop at {url}: {exc}. Check "
                      "the url setting and that the shop is up.")]  # fmt: skip
    except WooApiError as exc:
        # WooCommerce's own authentication may refuse a bad key already here: that is a shop.
        woocommerce = isinstance(exc, AuthenticationError) and exc.code.startswith("woocommerce_")
        index = {"namespace": "wc/v3"} if woocommerce else None
        answer = f" (it answered: {exc})"
    checks = [Check("shop reachable", True, f"The shop at {url} answers.")]
    if not index or index.get("namespace") != "wc/v3":
        checks.append(Check("is WooCommerce", False, (
            f"{url} answers, but has no WooCommerce REST API at {url}/wp-json/wc/v3{answer}: is "
            "url the shop's address, is WooCommerce active and are pretty permalinks on?"
        )))  # fmt: skip
        return checks
    checks.append(Check("is WooCommerce", True, f"{url} runs WooCommerce (REST API v3)."))

    try:
        status = await client.system_status()
    except AuthenticationError as exc:
        checks.append(Check("api key accepted", False, auth_problem(exc)))
        return checks
    except HubError as exc:
        checks.append(Check("api key accepted", False, f"Could not read the shop's system "
                            f"status with the key: {exc}"))  # fmt: skip
        return checks
    checks.append(Check("api key accepted", True, "The shop accepts the api_key and api_secret."))

    version = str((status.get("environment") or {}).get("version") or "")
    if parse_version(version) < MIN_VERSION:
        checks.append(Check("woocommerce version", False, (
            f"The shop runs WooCommerce {version or 'of an unknown version'}; the hub needs "
            f"{'.'.join(map(str, MIN_VERSION))} or newer: update WooCommerce."
        )))  # fmt: skip
        return checks
    checks.append(Check("woocommerce version", True, f"WooCommerce {version}."))
    registered = await register(client, integration)
    if all(check.ok for check in registered):
        plugin = await companion.check(client, integration)
        if plugin is not None:
            registered.append(plugin)
    return checks + registered


async def register(client: WooClient, integration: Integration) -> list[Check]:
    """Register the webhooks; the first write to the shop doubles as the key's write check."""
    if not integration.public_url:
        return [Check("webhooks registered", False, (
            "service.public_url is not set, so the shop cannot be told where to send webhooks: "
            "set it to the address at which the shop reaches this hub, then onboard again."
        ))]  # fmt: skip
    try:
        repairs = await ensure_webhooks(client, integration)
        if not repairs.notices and repairs.kept:  # nothing was written yet: a harmless write
            first = repairs.kept[0]
            await client.update_webhook(first["id"], {"name": first["name"]})
    except AuthenticationError as exc:
        return [Check("api key can write", False, auth_problem(exc))]
    except ConfigError as exc:
        return [Check("webhooks registered", False, f"{describe(integration)}: {exc}")]
    except HubError as exc:
        return [
            Check("api key can write", True, "The key can write."),
            Check("webhooks registered", False, f"Could not register the webhooks: {exc}"),
        ]
    url = delivery_url(integration)
    done = "; ".join(n.message for n in repairs.notices) or "all were in place"
    return [
        Check("api key can write", True, "The key has read/write permissions."),
        Check("webhooks registered", True, (
            f"The shop sends {', '.join(TOPICS)} to {url} ({done}).{loopback_warning(url)}"
        )),
    ]  # fmt: skip


def auth_problem(exc: AuthenticationError) -> str:
    """What a refused key means, told apart as the shop tells it (see FACTS: Authentication)."""
    detail = exc.detail.lower()
    said = f"(the shop answered {exc.status} {exc.code}: {exc.detail})"
    if "write permission" in detail or exc.code.endswith(("cannot_create", "cannot_edit")):
        return (
            f"The api_key can only read {said}: edit the key in {KEYS_PAGE} and give it "
            "Read/Write permissions."
        )
    if "consumer secret is invalid" in detail or "invalid signature" in detail:
        return (
            f"The shop knows the api_key, but the api_secret does not belong to it {said}: copy "
            f"the consumer secret (cs_...) shown when the key was made, or make a new key in "
            f"{KEYS_PAGE}."
        )
    if "consumer key is invalid" in detail or exc.code == "woocommerce_rest_cannot_view":
        return (
            f"The shop does not know the api_key {said}: copy the consumer key (ck_...) from "
            f"{KEYS_PAGE}, or make a new key there for a user who may manage WooCommerce."
        )
    if "timestamp" in detail:
        return f"The shop refused the request's time {said}: set this machine's clock right."
    return f"The shop refused the api_key {said}: check the key in {KEYS_PAGE}."


def parse_version(text: str) -> tuple[int, ...]:
    """``"9.9.5"`` -> ``(9, 9, 5)``; text without a leading number is ``()``."""
    match = re.match(r"\d+(?:\.\d+)*", text.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def loopback_warning(url: str) -> str:
    """A warning when the shop would have to deliver to a loopback or private address."""
    host = urlsplit(url).hostname or ""
    try:
        private = host == "localhost" or ipaddress.ip_address(host).is_private
    except ValueError:
        private = False
    if not private:
        return ""
    return (
        f" Note: {host} is a loopback or private address, to which WordPress delivers only when "
        "a filter allows it."
    )
