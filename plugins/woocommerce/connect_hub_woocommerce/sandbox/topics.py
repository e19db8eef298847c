"""Webhook topics the shop knows, and the WordPress hooks behind each (as ``GET /webhooks`` shows)."""

from __future__ import annotations

TOPIC_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "order.restored": ["untrashed_post"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product",
                        "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product",
                        "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}  # fmt: skip


def valid_topic(topic: str) -> bool:
    """A resource topic the shop knows, or any ``action.<hook>``."""
    return topic in TOPIC_HOOKS or (topic.startswith("action.") and len(topic) > len("action."))


def hooks_for(topic: str) -> list[str]:
    """The WordPress hooks a topic listens to, as ``GET /webhooks`` shows them."""
    if topic.startswith("action."):
        return [topic.removeprefix("action.")]
    return list(TOPIC_HOOKS.get(topic, []))
