"""The WooCommerce connector for connect-hub: REST client, webhooks, polling, exports, watchdog."""
