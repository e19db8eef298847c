"""A WooCommerce sandbox: an HTTP service that behaves like a real shop where the hub depends on it.

``running_sandbox()`` runs one in a background thread (tests, benchmarks);
``python -m connect_hub_woocommerce.sandbox`` serves one (demo). See the plugin's README.
"""

from connect_hub_woocommerce.sandbox.auth import authorization_header, sign_request, signed_url
from connect_hub_woocommerce.sandbox.companion import SANDBOX_PAIRING_CODE
from connect_hub_woocommerce.sandbox.faults import Fault
from connect_hub_woocommerce.sandbox.keys import ApiKey
from connect_hub_woocommerce.sandbox.server import RunningSandbox, run_sandbox, running_sandbox
from connect_hub_woocommerce.sandbox.state import ShopState

__all__ = [
    "SANDBOX_PAIRING_CODE",
    "ApiKey",
    "Fault",
    "RunningSandbox",
    "ShopState",
    "authorization_header",
    "run_sandbox",
    "running_sandbox",
    "sign_request",
    "signed_url",
]
