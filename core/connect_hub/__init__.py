"""connect-hub: a self-hosted hub that keeps e-commerce data in sync between systems.

Third-party connectors need only this module::

    from connect_hub import hookimpl, Manifest, DataType, ...
"""

import pluggy

__version__ = "0.1.0"

PROJECT = "connect_hub"
ENTRY_POINT_GROUP = "connect_hub.plugins"

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for hook implementations: ``@hookimpl def hub_connector_manifest(): ...``."""

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "__version__", "hookimpl"]
