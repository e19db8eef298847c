"""The WooCommerce connector for connect-hub: webhook ingress and mapping to canonical objects."""
