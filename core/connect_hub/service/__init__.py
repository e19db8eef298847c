"""The headless HTTP service: webhooks in, health, metrics and the admin API."""
