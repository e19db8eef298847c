"""Fixtures for the core tests; the helpers they use live in ``support.py``."""

from support import (  # noqa: F401
    _env,
    companion_sandbox,
    make_companion_hub,
    make_hub,
    make_loop_hub,
    postgres,
    redis_url,
    sandbox,
    simulator,
    store,
    warehouse,
)
