"""The demo catalogue and customer the sandbox starts with on ``--seed`` or ``/_sandbox/seed``."""

from __future__ import annotations

from connect_hub_woocommerce.sandbox.customers import Customers
from connect_hub_woocommerce.sandbox.products import Products
from connect_hub_woocommerce.sandbox.values import Json

SEED_SIMPLE = (
    ("Mug", "MUG-1", "12.50", 40),
    ("Poster", "POSTER-1", "19.00", 15),
    ("Sticker Pack", "STICKER-1", "4.99", 200),
)
SEED_SIZES = (("S", "20.00", 10), ("M", "20.00", 12), ("L", "22.00", 3))
SEED_CUSTOMER: Json = {
    "email": "jane@example.test",
    "first_name": "Jane",
    "last_name": "Sandbox",
    "billing": {"first_name": "Jane", "last_name": "Sandbox", "address_1": "1 Loopback Way",
                "city": "San Francisco", "state": "CA", "postcode": "94107", "country": "US",
                "email": "jane@example.test", "phone": "+1-555-0100"},
    "shipping": {"first_name": "Jane", "last_name": "Sandbox", "address_1": "1 Loopback Way",
                 "city": "San Francisco", "state": "CA", "postcode": "94107", "country": "US"},
}  # fmt: skip


def seed(products: Products, customers: Customers, extra_products: int = 0) -> None:
    """Three simple products, a T-shirt in S/M/L and one customer, each unless already there;
    ``extra_products`` adds simple products ``SBX-00001``... (benchmarks). Call it with the
    webhooks muted: this is the shop as it was before anyone subscribed."""
    for name, sku, price, stock in SEED_SIMPLE:
        _simple(products, {"name": name, "sku": sku, "regular_price": price,
                           "manage_stock": True, "stock_quantity": stock})  # fmt: skip
    if products.by_sku("TSHIRT") is None:
        shirt = products.new(
            {"name": "T-Shirt", "type": "variable", "sku": "TSHIRT",
             "attributes": [{"name": "Size", "variation": True, "options": ["S", "M", "L"]}]},
            parent=None, strict=False,
        )  # fmt: skip
        for size, price, stock in SEED_SIZES:
            products.new(
                {"sku": f"TSHIRT-{size}", "regular_price": price, "manage_stock": True,
                 "stock_quantity": stock, "attributes": [{"name": "Size", "option": size}]},
                parent=shirt, strict=False,
            )  # fmt: skip
    for n in range(1, extra_products + 1):
        _simple(products, {"name": f"Sandbox product {n}", "sku": f"SBX-{n:05d}",
                           "regular_price": "9.99", "manage_stock": True,
                           "stock_quantity": 100})  # fmt: skip
    if customers.by_email(SEED_CUSTOMER["email"]) is None:
        customers.create(SEED_CUSTOMER)


def _simple(products: Products, data: Json) -> None:
    if products.by_sku(data["sku"]) is None:
        products.new(data, parent=None, strict=False)
