"""Products: master products by SKU, else barcode; a variation is a product with a parent SKU.

Identity: the match key is ``sku:<SKU>`` (``barcode:<code>`` without a SKU). In one integration a
product is linked by the system's id; a SKU changed under that id re-keys the master product (or
moves the link onto the product that already has the new SKU). A bare master product (SKU and
name from an order line) waits for a product import to fill it in.
"""

from __future__ import annotations

from connect_hub.canonical import Canonical, Product
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.manifest import DataType


class ProductPolicy(DataTypePolicy):
    data_type = DataType.PRODUCTS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Product)
        return f"product {obj.sku}" if obj.sku else f"product with barcode {obj.barcode}"
