"""Fixtures for the core tests; the helpers they use live in ``support.py``."""

from support import _env, make_hub, postgres, redis_url, simulator, warehouse  # noqa: F401
