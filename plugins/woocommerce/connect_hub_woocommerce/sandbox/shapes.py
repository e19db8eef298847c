"""Resources as the real shop renders them in REST answers and webhook bodies (see samples/).

Prices and totals are strings, a line item's ``price`` is a number, dates are local (the sandbox
runs in UTC, so ``date_x`` equals ``date_x_gmt``), and every object carries ``_links``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connect_hub_woocommerce.sandbox.webhooks import hooks_for

if TYPE_CHECKING:
    from connect_hub_woocommerce.sandbox.state import ShopState

Json = dict[str, Any]
ALLOW_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ADDRESS_FIELDS = (
    "first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
    "country",
)  # fmt: skip


def _date(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value is not None else None


def _dates(record: Json, *names: str) -> Json:
    shown: Json = {}
    for name in names:
        shown[name] = _date(record[name])
        shown[f"{name}_gmt"] = _date(record[name])
    return shown


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _links(state: ShopState, path: str, collection: str, **extra: list[Json]) -> Json:
    return {
        "self": [
            {"href": f"{state.url}/wp-json/wc/v3/{path}", "targetHints": {"allow": ALLOW_ALL}}
        ],
        "collection": [{"href": f"{state.url}/wp-json/wc/v3/{collection}"}],
        **extra,
    }


def address(data: Any, *, email: bool, fill: bool = True) -> Json:
    """A billing (``email=True``) or shipping address with every field the shop shows."""
    data = data if isinstance(data, dict) else {}
    names = (*ADDRESS_FIELDS, "email", "phone") if email else (*ADDRESS_FIELDS, "phone")
    if not fill:
        return {name: str(data[name] or "") for name in names if name in data}
    return {name: str(data.get(name) or "") for name in names}


def product_name(state: ShopState, product: Json) -> str:
    """A product's name; a variation's is ``Parent - S`` (its options joined)."""
    if product["type"] != "variation":
        return product["name"]
    parent = state.products.get(product["parent_id"])
    options = ", ".join(a["option"] for a in product["attributes"])
    base = parent["name"] if parent else ""
    return f"{base} - {options}" if options else base


def stock_status(state: ShopState, product: Json) -> str:
    """A variable product is in stock when one of its variations is."""
    if product["type"] == "variable" and product["variations"]:
        statuses = {stock_status(state, state.products[v]) for v in product["variations"]}
        return "instock" if "instock" in statuses else "outofstock"
    return product["stock_status"]


def _price_html(price: Decimal | None) -> str:
    if price is None:
        return ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-'
        f'currencySymbol">&#36;</span>{price:.2f}</bdi></span>'
    )


def product(state: ShopState, record: Json) -> Json:
    """``GET /products/{id}``: a product, or a variation in the product shape (webhook body)."""
    price = state.price_of(record)
    variation = record["type"] == "variation"
    parent = state.products.get(record["parent_id"]) if variation else None
    slug = record["slug"] or (
        f"{parent['slug']}-{'-'.join(a['option'].lower() for a in record['attributes'])}"
        if parent
        else ""
    )
    permalink = (
        f"{state.url}/product/{parent['slug']}/?"
        + "&".join(f"attribute_{a['slug']}={a['option']}" for a in record["attributes"])
        if parent
        else f"{state.url}/product/{slug}/"
    )
    extra = (
        {"up": [{"href": f"{state.url}/wp-json/wc/v3/products/{parent['id']}"}]} if parent else {}
    )
    return {
        "id": record["id"], "name": product_name(state, record), "slug": slug,
        "permalink": permalink,
        **_dates(record, "date_created", "date_modified"),
        "type": record["type"], "status": record["status"], "featured": False,
        "catalog_visibility": "visible", "description": record["description"],
        "short_description": record["short_description"], "sku": record["sku"],
        "price": _money(price), "regular_price": record["regular_price"],
        "sale_price": record["sale_price"], "date_on_sale_from": None,
        "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": bool(record["sale_price"]), "purchasable": price is not None,
        "total_sales": record["total_sales"], "virtual": False, "downloadable": False,
        "downloads": [], "download_limit": -1, "download_expiry": -1, "external_url": "",
        "button_text": "", "tax_status": "taxable", "tax_class": "",
        "manage_stock": record["manage_stock"], "stock_quantity": record["stock_quantity"],
        "backorders": "no", "backorders_allowed": False, "backordered": False,
        "low_stock_amount": None, "sold_individually": False, "weight": record["weight"],
        "dimensions": {"length": "", "width": "", "height": ""}, "shipping_required": True,
        "shipping_taxable": True, "shipping_class": "", "shipping_class_id": 0,
        "reviews_allowed": not variation, "average_rating": "0", "rating_count": 0,
        "upsell_ids": [], "cross_sell_ids": [], "parent_id": record["parent_id"],
        "purchase_note": "",
        "categories": [] if variation else [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
        "brands": [], "tags": [], "images": [], "attributes": record["attributes"],
        "default_attributes": [], "variations": list(record["variations"]),
        "grouped_products": [], "menu_order": record["menu_order"],
        "price_html": _price_html(price), "related_ids": [],
        "meta_data": list(record["meta_data"]), "stock_status": stock_status(state, record),
        "has_options": record["type"] == "variable", "post_password": "",
        "global_unique_id": record["global_unique_id"],
        "_links": _links(state, f"products/{record['id']}", "products", **extra),
    }  # fmt: skip


def variation(state: ShopState, record: Json) -> Json:
    """``GET /products/{parent}/variations/{id}``: the variation shape."""
    price = state.price_of(record)
    parent_id = record["parent_id"]
    parent = state.products.get(parent_id)
    query = "&".join(f"attribute_{a['slug']}={a['option']}" for a in record["attributes"])
    return {
        "id": record["id"], "type": "variation",
        **_dates(record, "date_created", "date_modified"),
        "description": record["description"],
        "permalink": f"{state.url}/product/{parent['slug'] if parent else ''}/?{query}",
        "sku": record["sku"], "global_unique_id": record["global_unique_id"],
        "price": _money(price), "regular_price": record["regular_price"],
        "sale_price": record["sale_price"], "date_on_sale_from": None,
        "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": bool(record["sale_price"]), "status": record["status"],
        "purchasable": price is not None, "virtual": False, "downloadable": False,
        "downloads": [], "download_limit": -1, "download_expiry": -1, "tax_status": "taxable",
        "tax_class": "parent", "manage_stock": record["manage_stock"],
        "stock_quantity": record["stock_quantity"], "stock_status": record["stock_status"],
        "backorders": "no", "backorders_allowed": False, "backordered": False,
        "low_stock_amount": None, "weight": record["weight"],
        "dimensions": {"length": "", "width": "", "height": ""}, "shipping_class": "",
        "shipping_class_id": 0, "image": None, "attributes": record["attributes"],
        "menu_order": record["menu_order"], "meta_data": list(record["meta_data"]),
        "name": ", ".join(a["option"] for a in record["attributes"]), "parent_id": parent_id,
        "_links": _links(
            state, f"products/{parent_id}/variations/{record['id']}",
            f"products/{parent_id}/variations",
            up=[{"href": f"{state.url}/wp-json/wc/v3/products/{parent_id}"}],
        ),
    }  # fmt: skip


def order(state: ShopState, record: Json) -> Json:
    """``GET /orders/{id}``."""
    total, shipping = state.order_total(record)
    status = record["status"]
    links: Json = {
        "email_templates": [{
            "embeddable": True,
            "href": f"{state.url}/wp-json/wc/v3/orders/{record['id']}/actions/email_templates",
        }],
    }  # fmt: skip
    if record["customer_id"]:
        links["customer"] = [
            {"href": f"{state.url}/wp-json/wc/v3/customers/{record['customer_id']}"}
        ]
    return {
        "id": record["id"], "parent_id": 0, "status": status, "currency": record["currency"],
        "version": state.version, "prices_include_tax": False,
        "date_created": _date(record["date_created"]),
        "date_modified": _date(record["date_modified"]), "discount_total": "0.00",
        "discount_tax": "0.00", "shipping_total": _money(shipping), "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": _money(total), "total_tax": "0.00",
        "customer_id": record["customer_id"], "order_key": record["order_key"],
        "billing": dict(record["billing"]), "shipping": dict(record["shipping"]),
        "payment_method": record["payment_method"],
        "payment_method_title": record["payment_method_title"],
        "transaction_id": record["transaction_id"], "customer_ip_address": "",
        "customer_user_agent": "", "created_via": record["created_via"],
        "customer_note": record["customer_note"],
        "date_completed": _date(record["date_completed"]),
        "date_paid": _date(record["date_paid"]), "cart_hash": "", "number": str(record["id"]),
        "meta_data": list(record["meta_data"]),
        "line_items": [_line(line) for line in record["line_items"]],
        "tax_lines": [], "shipping_lines": [_shipping_line(s) for s in record["shipping_lines"]],
        "fee_lines": [], "coupon_lines": [], "refunds": [],
        "payment_url": f"{state.url}/checkout/order-pay/{record['id']}/?pay_for_order=true"
        f"&key={record['order_key']}",
        "is_editable": status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": status in ("pending", "failed") and total > 0,
        "needs_processing": True,
        "date_created_gmt": _date(record["date_created"]),
        "date_modified_gmt": _date(record["date_modified"]),
        "date_completed_gmt": _date(record["date_completed"]),
        "date_paid_gmt": _date(record["date_paid"]), "currency_symbol": "$",
        "_links": _links(state, f"orders/{record['id']}", "orders", **links),
    }  # fmt: skip


def _line(line: Json) -> Json:
    return {
        "id": line["id"], "name": line["name"], "product_id": line["product_id"],
        "variation_id": line["variation_id"], "quantity": line["quantity"], "tax_class": "",
        "subtotal": line["subtotal"], "subtotal_tax": "0.00", "total": line["total"],
        "total_tax": "0.00", "taxes": [],
        "meta_data": [
            {"display_key": m["key"], "display_value": m["value"], **m} for m in line["meta_data"]
        ],
        "sku": line["sku"], "price": line["price"], "image": {"id": "", "src": ""},
        "parent_name": line["parent_name"],
    }  # fmt: skip


def _shipping_line(line: Json) -> Json:
    return {
        "id": line["id"], "method_title": line["method_title"], "method_id": line["method_id"],
        "instance_id": "", "total": line["total"], "total_tax": "0.00", "taxes": [],
        "tax_status": "taxable", "meta_data": [],
    }  # fmt: skip


def note(state: ShopState, order_record: Json, record: Json) -> Json:
    """``GET /orders/{id}/notes/{note}``."""
    base = f"{state.url}/wp-json/wc/v3/orders/{order_record['id']}"
    return {
        "id": record["id"], "author": record["author"],
        "date_created": _date(record["date_created"]),
        "date_created_gmt": _date(record["date_created"]), "note": record["note"],
        "customer_note": record["customer_note"],
        "_links": {
            "self": [{"href": f"{base}/notes/{record['id']}", "targetHints": {"allow": ["GET", "DELETE"]}}],
            "collection": [{"href": f"{base}/notes"}],
            "up": [{"href": base}],
        },
    }  # fmt: skip


TRACKING_LINKS = {
    "ups": "https://www.ups.com/track?loc=en_US&tracknum={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1={number}",
    "fedex": "https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers={number}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={number}&brand=DHL",
    "dpd": "https://tracking.dpd.de/parcelstatus?query={number}",
    "postnl": "https://postnl.nl/tracktrace/?B={number}",
}


def tracking(state: ShopState, order_record: Json, record: Json) -> Json:
    """A Shipment Tracking entry as the extension's REST API shows it."""
    provider = record["custom_tracking_provider"] or record["tracking_provider"]
    template = TRACKING_LINKS.get(record["tracking_provider"].lower().replace(" ", ""))
    link = record["custom_tracking_link"] or (
        template.format(number=record["tracking_number"]) if template else ""
    )
    base = f"{state.url}/wp-json/wc-shipment-tracking/v3/orders/{order_record['id']}"
    return {
        "tracking_id": record["tracking_id"], "tracking_provider": provider,
        "tracking_link": link, "tracking_number": record["tracking_number"],
        "date_shipped": record["date_shipped"],
        "_links": {
            "self": [{"href": f"{base}/shipment-trackings/{record['tracking_id']}"}],
            "collection": [{"href": f"{base}/shipment-trackings"}],
            "up": [{"href": f"{state.url}/wp-json/wc/v3/orders/{order_record['id']}"}],
        },
    }  # fmt: skip


def customer(state: ShopState, record: Json) -> Json:
    """``GET /customers/{id}``."""
    avatar = hashlib.sha256(record["email"].strip().lower().encode()).hexdigest()
    return {
        "id": record["id"], **_dates(record, "date_created", "date_modified"),
        "email": record["email"], "first_name": record["first_name"],
        "last_name": record["last_name"], "role": record["role"],
        "username": record["username"], "billing": dict(record["billing"]),
        "shipping": dict(record["shipping"]),
        "is_paying_customer": record["is_paying_customer"],
        "avatar_url": f"https://secure.gravatar.com/avatar/{avatar}?s=96&d=mm&r=g",
        "meta_data": list(record["meta_data"]),
        "_links": _links(state, f"customers/{record['id']}", "customers"),
    }  # fmt: skip


def webhook(state: ShopState, record: Json) -> Json:
    """``GET /webhooks/{id}``: never the secret, never the failure count."""
    resource, _, event = record["topic"].partition(".")
    return {
        "id": record["id"], "name": record["name"], "status": record["status"],
        "topic": record["topic"], "resource": resource, "event": event,
        "hooks": hooks_for(record["topic"]), "delivery_url": record["delivery_url"],
        **_dates(record, "date_created", "date_modified"),
        "_links": _links(state, f"webhooks/{record['id']}", "webhooks"),
    }  # fmt: skip
