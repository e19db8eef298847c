"""Webhook verification against the requests a real shop sent, and the webhook secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from connect_hub.contracts import Verdict
from connect_hub.errors import ConfigError
from connect_hub.secrets import webhook_secret, webhook_secret_for
from connect_hub_woocommerce.webhooks import sign, signing_key, verify

SECRET = "verify-secret-123"
RECEIVED = Path(__file__).parent / "samples" / "received"
PINGS = sorted(p.name[:4] for p in RECEIVED.glob("*-ping.json"))
DELIVERIES = sorted(p.name[:4] for p in RECEIVED.glob("*.json") if "ping" not in p.name)

# Stage 10 of the capture re-created webhooks with other secrets (experiment-results.json):
# 0035 with raw special characters, 0036 with the entity "x&amp;y" (signed as "x&y"), and 0037
# with none given, so WooCommerce made one nobody can read.
OTHER_SECRETS = {"0035": "a&b<c>\"d'e", "0036": "x&amp;y", "0037": None}
SIGNED_WITH_SECRET = [name for name in DELIVERIES if name not in OTHER_SECRETS]


def test_the_samples_are_all_there():
    assert len(PINGS) == 8
    assert len(SIGNED_WITH_SECRET) == 27


@pytest.mark.parametrize("name", SIGNED_WITH_SECRET)
def test_every_signed_delivery_is_accepted_with_its_topic(load_received, name):
    headers, body = load_received(name)

    verdict = verify(SECRET, headers, body)

    assert verdict.verdict is Verdict.ACCEPT
    assert verdict.topic == headers["x-wc-webhook-topic"]


@pytest.mark.parametrize("name", PINGS)
def test_every_creation_ping_is_a_ping(load_received, name):
    headers, body = load_received(name)

    assert verify(SECRET, headers, body).verdict is Verdict.PING


@pytest.mark.parametrize("name", ["0035", "0036"])
def test_secrets_with_special_characters_verify_as_woocommerce_signs(load_received, name):
    headers, body = load_received(name)

    assert verify(OTHER_SECRETS[name], headers, body).verdict is Verdict.ACCEPT
    assert verify(SECRET, headers, body).verdict is Verdict.REJECT


def test_an_entity_in_the_secret_signs_as_the_character(load_received):
    headers, body = load_received("0036")

    assert verify("x&y", headers, body).verdict is Verdict.ACCEPT


def test_a_delivery_signed_with_an_unknown_secret_is_rejected(load_received):
    headers, body = load_received("0037")

    for secret in (SECRET, *filter(None, OTHER_SECRETS.values())):
        assert verify(secret, headers, body).verdict is Verdict.REJECT


def test_a_flipped_byte_in_the_body_is_rejected(load_received):
    headers, body = load_received("0011")
    tampered = bytearray(body)
    tampered[len(tampered) // 2] ^= 0x01

    assert verify(SECRET, headers, bytes(tampered)).verdict is Verdict.REJECT


def test_a_wrong_secret_is_rejected_without_revealing_anything(load_received):
    headers, body = load_received("0011")

    verdict = verify("wrong-secret", headers, body)

    assert verdict.verdict is Verdict.REJECT
    assert verdict.reason
    for secret_text in ("wrong-secret", SECRET, sign("wrong-secret", body), sign(SECRET, body)):
        assert secret_text not in verdict.reason


def test_a_missing_signature_is_rejected(load_received):
    headers, body = load_received("0011")
    del headers["x-wc-webhook-signature"]

    verdict = verify(SECRET, headers, body)

    assert verdict.verdict is Verdict.REJECT
    assert "signature" in verdict.reason.lower()
    assert SECRET not in verdict.reason


def test_a_ping_shaped_body_with_webhook_headers_is_no_ping(load_received):
    headers, body = load_received("0001")
    headers["x-wc-webhook-topic"] = "order.created"

    assert verify(SECRET, headers, body).verdict is Verdict.REJECT


def test_a_ping_shaped_body_with_a_bad_signature_is_rejected(load_received):
    headers, body = load_received("0001")
    headers["x-wc-webhook-signature"] = "bm90IGEgc2lnbmF0dXJl"

    assert verify(SECRET, headers, body).verdict is Verdict.REJECT


def test_an_unsigned_json_body_is_rejected(load_received):
    headers, _ = load_received("0001")

    assert verify(SECRET, headers, b'{"id": 1}').verdict is Verdict.REJECT


def test_an_empty_secret_rejects_even_a_matching_signature(load_received):
    headers, body = load_received("0011")
    headers["x-wc-webhook-signature"] = sign("", body)

    assert verify("", headers, body).verdict is Verdict.REJECT


def test_a_signed_delivery_without_topic_is_rejected(load_received):
    headers, body = load_received("0011")
    del headers["x-wc-webhook-topic"]

    verdict = verify(SECRET, headers, body)

    assert verdict.verdict is Verdict.REJECT
    assert "topic" in verdict.reason.lower()


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ("plain", "plain"),
        ("x&amp;y", "x&y"),
        ("&lt;&gt;&quot;", '<>"'),
        ("&#039;&#39;&#0039;&#x27;&#X0027;", "'''''"),
        ("&#38;&#038;&#x26;", "&&&"),
        ("&amp;lt;", "&lt;"),  # one pass, like PHP's strtr
        ("&AMP;&amp&copy;&#65;", "&AMP;&amp&copy;&#65;"),  # not decoded by WordPress
        ("a&b<c>\"d'e", "a&b<c>\"d'e"),
    ],
)
def test_the_signing_key_decodes_what_wordpress_decodes(secret, key):
    assert signing_key(secret) == key.encode()


def test_the_webhook_secret_setting_comes_first(integration):
    assert webhook_secret_for(integration) == SECRET


def test_without_the_setting_the_secret_is_derived(with_settings):
    shop = with_settings(webhook_secret=None)
    shop.secret_key = "hub-key"

    assert webhook_secret_for(shop) == webhook_secret("hub-key", "acme", "shop")


def test_without_setting_or_hub_key_the_error_says_what_to_set(with_settings):
    shop = with_settings(webhook_secret="")

    with pytest.raises(ConfigError, match="webhook_secret") as error:
        webhook_secret_for(shop)
    assert "CONNECT_HUB_SECRET_KEY" in str(error.value)
