"""The connector as the hub sees it: loaded from its entry point, called through the hooks."""

from __future__ import annotations

import json

import pluggy
import pytest
from connect_hub import ENTRY_POINT_GROUP, PROJECT, hookspecs
from connect_hub.canonical import Contact, Order, OrderStatus, Product
from connect_hub.contracts import Verdict, WebhookRequest
from connect_hub.errors import ConfigError, MappingError
from connect_hub.manifest import DataType, Direction
from connect_hub.secrets import webhook_secret
from connect_hub_woocommerce.manifest import MANIFEST
from connect_hub_woocommerce.webhooks import sign


@pytest.fixture
def hook() -> pluggy.HookRelay:
    """The hooks of a plugin manager that loaded only this connector, checked against the specs."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    assert manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name="woocommerce") == 1
    manager.check_pending()
    return manager.hook


def parse(hook, integration, event) -> list:
    (incoming,) = hook.hub_webhook_parse(integration=integration, event=event)
    return incoming


# --- Manifest ---------------------------------------------------------------------------------


def test_the_manifest_comes_through_the_hook(hook):
    assert hook.hub_connector_manifest() == [MANIFEST]
    assert MANIFEST.name == "woocommerce"
    assert MANIFEST.title == "WooCommerce"


def test_always_on_flows_and_their_timeframes():
    flows = {(f.data_type, f.direction): (f.timeframe, f.reconcile) for f in MANIFEST.flows}

    assert flows == {
        (DataType.ORDERS, Direction.IMPORT): ("realtime", "5m"),
        (DataType.PRODUCTS, Direction.IMPORT): ("5m", None),
        (DataType.CHECKOUTS, Direction.IMPORT): ("realtime", None),
        (DataType.SHIPMENTS, Direction.IMPORT): ("realtime", None),
        (DataType.CONTACTS, Direction.IMPORT): ("realtime", "1h"),
        (DataType.CONTACTS, Direction.EXPORT): ("realtime", None),
    }


def test_the_efulfillment_preset_is_the_default_and_exports_stock_and_shipments():
    added = set(MANIFEST.flows_for(None)) - set(MANIFEST.flows)

    assert MANIFEST.default_preset == "shop-with-efulfillment"
    assert {(f.data_type, f.direction, f.timeframe, f.batch_size) for f in added} == {
        (DataType.STOCKS, Direction.EXPORT, "realtime", 100),
        (DataType.SHIPMENTS, Direction.EXPORT, "realtime", None),
    }


def test_the_marketing_preset_adds_nothing():
    assert MANIFEST.flows_for("shop-with-marketing-automation") == MANIFEST.flows


def test_settings_which_are_secret_and_their_defaults():
    settings = {s.name: (s.required, s.secret, s.read(s.default) if s.default is not None else None) for s in MANIFEST.settings}

    assert settings == {
        "url": (True, False, None),
        "api_key": (True, True, None),
        "api_secret": (True, True, None),
        "webhook_secret": (False, True, None),
        "status_map": (False, False, None),
        "barcode_meta_key": (False, False, None),
        "abandoned_after_minutes": (False, False, 30),
        "pairing_code": (False, True, None),
        "max_concurrency": (False, False, 4),
        "requests_per_second": (False, False, 10),
        "timeout": (False, False, 30),
    }


def test_every_connector_hook_is_implemented(hook):
    implemented = {
        name
        for name in dir(hook)
        if name.startswith("hub_") and getattr(hook, name).get_hookimpls()
    }

    assert implemented >= {
        "hub_integration_start", "hub_integration_stop", "hub_onboard_check",
        "hub_webhook_verify", "hub_webhook_parse", "hub_poll", "hub_export",
        "hub_export_batch", "hub_maintain",
    }  # fmt: skip


# --- Verify -----------------------------------------------------------------------------------


def test_a_delivery_is_accepted_through_the_hook(hook, integration, load_received):
    headers, body = load_received("0011")

    (verdict,) = hook.hub_webhook_verify(
        integration=integration, request=WebhookRequest(headers=headers, body=body)
    )

    assert verdict.verdict is Verdict.ACCEPT
    assert verdict.topic == "order.created"


def test_a_ping_is_a_ping_through_the_hook(hook, integration, load_received):
    headers, body = load_received("0001")

    (verdict,) = hook.hub_webhook_verify(
        integration=integration, request=WebhookRequest(headers=headers, body=body)
    )

    assert verdict.verdict is Verdict.PING


def test_without_webhook_secret_the_derived_secret_verifies(hook, with_settings, load_received):
    shop = with_settings()
    del shop.settings["webhook_secret"]
    shop.secret_key = "hub-key"
    headers, body = load_received("0011")
    derived = webhook_secret("hub-key", "acme", "shop")

    def check(signature: str) -> Verdict:
        request = WebhookRequest(
            headers={**headers, "x-wc-webhook-signature": signature}, body=body
        )
        (verdict,) = hook.hub_webhook_verify(integration=shop, request=request)
        return verdict.verdict

    assert check(sign(derived, body)) is Verdict.ACCEPT
    assert check(headers["x-wc-webhook-signature"]) is Verdict.REJECT


def test_with_no_secret_at_all_verify_is_a_config_error(hook, with_settings, load_received):
    shop = with_settings(webhook_secret=None)
    headers, body = load_received("0011")

    with pytest.raises(ConfigError):
        hook.hub_webhook_verify(integration=shop, request=WebhookRequest(headers, body))


# --- Parse ------------------------------------------------------------------------------------


def test_a_registered_customers_order_links_the_contact_by_customer_id(hook, integration, make_event):
    order, contact = parse(hook, integration, make_event("0011"))  # captured: customer_id 4

    assert isinstance(order.obj, Order)
    assert order.external_id == "22"
    assert order.obj.reference == "shop-22"
    assert order.data_type is DataType.ORDERS
    assert isinstance(contact.obj, Contact)
    assert contact.obj.email == "hook.1795817631@example.test"
    assert (contact.external_id, contact.alias) == ("4", False)  # as a customer webhook links it


def test_a_guests_order_links_the_contact_by_an_email_alias(hook, integration, make_event, load_received):
    _, body = load_received("0011")
    guest = json.dumps({**json.loads(body), "customer_id": 0}).encode()
    _, contact = parse(hook, integration, make_event(topic="order.created", body=guest))

    assert (contact.external_id, contact.alias) == ("email:hook.1795817631@example.test", True)


def test_created_and_updated_hash_the_same_through_the_hooks(hook, integration, make_event):
    created = parse(hook, integration, make_event("0011"))
    updated = parse(hook, integration, make_event("0012"))

    assert [i.obj.content_hash() for i in created] == [i.obj.content_hash() for i in updated]


def test_order_restored_is_parsed_like_an_update(hook, integration, make_event):
    (order, _) = parse(hook, integration, make_event("0013", topic="order.restored"))

    assert order.obj.status is OrderStatus.PROCESSING


def test_the_status_map_setting_is_used(hook, with_settings, make_event):
    body = make_event("0011").body.replace(b'"status":"pending"', b'"status":"awaiting-pickup"')
    event = make_event(topic="order.updated", body=body)

    assert parse(hook, with_settings(), event)[0].obj.status is None
    shop = with_settings(status_map={"awaiting-pickup": "processing"})
    assert parse(hook, shop, event)[0].obj.status is OrderStatus.PROCESSING


def test_a_status_map_that_is_no_mapping_is_a_config_error(hook, with_settings, make_event):
    with pytest.raises(ConfigError, match="status_map"):
        parse(hook, with_settings(status_map="awaiting-pickup"), make_event("0011"))


def test_a_checkout_draft_gives_nothing(hook, integration, make_event):
    body = make_event("0011").body.replace(b'"status":"pending"', b'"status":"checkout-draft"')

    assert parse(hook, integration, make_event(topic="order.updated", body=body)) == []


def test_an_order_without_email_gives_only_the_order(hook, integration, make_event):
    body = make_event("0011").body.replace(b"hook.1795817631@example.test", b"")

    (order,) = parse(hook, integration, make_event(topic="order.created", body=body))

    assert isinstance(order.obj, Order)


def test_a_customer_gives_a_contact_linked_by_customer_id(hook, integration, make_event):
    (contact,) = parse(hook, integration, make_event("0019"))

    assert isinstance(contact.obj, Contact)
    assert contact.external_id == "4"
    assert contact.obj.last_name == "Tester-Updated"


def test_a_product_and_a_variation_are_linked_by_their_own_ids(hook, integration, make_event):
    (product,) = parse(hook, integration, make_event("0014"))
    (variation,) = parse(hook, integration, make_event("0017"))

    assert isinstance(product.obj, Product) and product.external_id == "10"
    assert variation.external_id == "14"
    assert variation.obj.attributes == {"Size": "S"}


def test_product_created_is_parsed(hook, integration, make_event):
    (product,) = parse(hook, integration, make_event("0014", topic="product.created"))

    assert product.obj.sku == "VER-MUG-001"


@pytest.mark.parametrize(
    "topic",
    [
        "order.deleted",
        "product.deleted",
        "customer.deleted",
        "action.woocommerce_x",
        "coupon.created",
    ],
)
def test_topics_without_objects_give_nothing_whatever_the_body(
    hook, integration, make_event, topic
):
    assert parse(hook, integration, make_event(topic=topic, body=b"not json")) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b""])
def test_a_body_that_is_no_json_object_is_a_mapping_error(hook, integration, make_event, body):
    with pytest.raises(MappingError, match="body is not JSON"):
        parse(hook, integration, make_event(topic="order.updated", body=body))


def test_a_body_without_id_is_a_mapping_error(hook, integration, make_event):
    with pytest.raises(MappingError, match="no id"):
        parse(hook, integration, make_event(topic="product.updated", body=b'{"sku": "X"}'))
