"""Resources as the real shop renders them in REST answers and webhook bodies (see samples/).

Prices and totals are strings, a line item's ``price`` is a number, dates are local (the sandbox
runs in UTC, so ``date_x`` equals ``date_x_gmt``), and every object carries ``_links``. The
functions take the stored record and what the resource computed for it (a parent, a price), so
this module depends on no resource: ``url`` is the shop's address without a trailing slash.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from connect_hub_woocommerce.sandbox.topics import hooks_for
from connect_hub_woocommerce.sandbox.values import wc_date

Json = dict[str, Any]
ALLOW_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ADDRESS_FIELDS = (
    "first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
    "country",
)  # fmt: skip


def _dates(record: Json, *names: str) -> Json:
    shown: Json = {}
    for name in names:
        shown[name] = wc_date(record[name])
        shown[f"{name}_gmt"] = wc_date(record[name])
    return shown


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _links(url: str, path: str, collection: str, **extra: list[Json]) -> Json:
    return {
        "self": [{"href": f"{url}/wp-json/wc/v3/{path}", "targetHints": {"allow": ALLOW_ALL}}],
        "collection": [{"href": f"{url}/wp-json/wc/v3/{collection}"}],
        **extra,
    }


def address(data: Any, *, email: bool, fill: bool = True) -> Json:
    """A billing (``email=True``) or shipping address with every field the shop shows."""
    data = data if isinstance(data, dict) else {}
    names = (*ADDRESS_FIELDS, "email", "phone") if email else (*ADDRESS_FIELDS, "phone")
    if not fill:
        return {name: str(data[name] or "") for name in names if name in data}
    return {name: str(data.get(name) or "") for name in names}


def _price_html(price: Decimal | None) -> str:
    if price is None:
        return ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-'
        f'currencySymbol">&#36;</span>{price:.2f}</bdi></span>'
    )


def product(
    url: str,
    record: Json,
    *,
    parent: Json | None,
    name: str,
    price: Decimal | None,
    stock_status: str,
) -> Json:
    """``GET /products/{id}``: a product, or a variation in the product shape (webhook body);
    ``parent`` is a variation's parent product, ``price`` the active price."""
    variation = record["type"] == "variation"
    slug = record["slug"] or (
        f"{parent['slug']}-{'-'.join(a['option'].lower() for a in record['attributes'])}"
        if parent
        else ""
    )
    permalink = (
        f"{url}/product/{parent['slug']}/?"
        + "&".join(f"attribute_{a['slug']}={a['option']}" for a in record["attributes"])
        if parent
        else f"{url}/product/{slug}/"
    )
    extra = {"up": [{"href": f"{url}/wp-json/wc/v3/products/{parent['id']}"}]} if parent else {}
    return {
        "id": record["id"], "name": name, "slug": slug,
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
        "meta_data": list(record["meta_data"]), "stock_status": stock_status,
        "has_options": record["type"] == "variable", "post_password": "",
        "global_unique_id": record["global_unique_id"],
        "_links": _links(url, f"products/{record['id']}", "products", **extra),
    }  # fmt: skip


def variation(url: str, record: Json, *, parent: Json | None, price: Decimal | None) -> Json:
    """``GET /products/{parent}/variations/{id}``: the variation shape."""
    parent_id = record["parent_id"]
    query = "&".join(f"attribute_{a['slug']}={a['option']}" for a in record["attributes"])
    return {
        "id": record["id"], "type": "variation",
        **_dates(record, "date_created", "date_modified"),
        "description": record["description"],
        "permalink": f"{url}/product/{parent['slug'] if parent else ''}/?{query}",
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
            url, f"products/{parent_id}/variations/{record['id']}",
            f"products/{parent_id}/variations",
            up=[{"href": f"{url}/wp-json/wc/v3/products/{parent_id}"}],
        ),
    }  # fmt: skip


def order_total(record: Json) -> tuple[Decimal, Decimal]:
    """(total, shipping total) of an order."""
    shipping = sum((Decimal(s["total"]) for s in record["shipping_lines"]), Decimal(0))
    lines = sum((Decimal(line["total"]) for line in record["line_items"]), Decimal(0))
    return lines + shipping, shipping


def order(url: str, version: str, record: Json) -> Json:
    """``GET /orders/{id}``; ``version`` is the WooCommerce version that saved it."""
    total, shipping = order_total(record)
    status = record["status"]
    links: Json = {
        "email_templates": [{
            "embeddable": True,
            "href": f"{url}/wp-json/wc/v3/orders/{record['id']}/actions/email_templates",
        }],
    }  # fmt: skip
    if record["customer_id"]:
        links["customer"] = [{"href": f"{url}/wp-json/wc/v3/customers/{record['customer_id']}"}]
    return {
        "id": record["id"], "parent_id": 0, "status": status, "currency": record["currency"],
        "version": version, "prices_include_tax": False,
        "date_created": wc_date(record["date_created"]),
        "date_modified": wc_date(record["date_modified"]), "discount_total": "0.00",
        "discount_tax": "0.00", "shipping_total": _money(shipping), "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": _money(total), "total_tax": "0.00",
        "customer_id": record["customer_id"], "order_key": record["order_key"],
        "billing": dict(record["billing"]), "shipping": dict(record["shipping"]),
        "payment_method": record["payment_method"],
        "payment_method_title": record["payment_method_title"],
        "transaction_id": record["transaction_id"], "customer_ip_address": "",
        "customer_user_agent": "", "created_via": record["created_via"],
        "customer_note": record["customer_note"],
        "date_completed": wc_date(record["date_completed"]),
        "date_paid": wc_date(record["date_paid"]), "cart_hash": "", "number": str(record["id"]),
        "meta_data": list(record["meta_data"]),
        "line_items": [_line(line) for line in record["line_items"]],
        "tax_lines": [], "shipping_lines": [_shipping_line(s) for s in record["shipping_lines"]],
        "fee_lines": [], "coupon_lines": [],
        "refunds": [
            {"id": r["id"], "reason": r["reason"] or "", "total": f"-{r['amount']}"}
            for r in reversed(record["refunds"])
        ],
        "payment_url": f"{url}/checkout/order-pay/{record['id']}/?pay_for_order=true"
        f"&key={record['order_key']}",
        "is_editable": status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": status in ("pending", "failed") and total > 0,
        "needs_processing": True,
        "date_created_gmt": wc_date(record["date_created"]),
        "date_modified_gmt": wc_date(record["date_modified"]),
        "date_completed_gmt": wc_date(record["date_completed"]),
        "date_paid_gmt": wc_date(record["date_paid"]), "currency_symbol": "$",
        "_links": _links(url, f"orders/{record['id']}", "orders", **links),
    }  # fmt: skip


def line_price(line: Json) -> int | float:
    """A line's ``price`` as the REST API shows it: total / quantity, an int when whole."""
    price = Decimal(line["total"]) / line["quantity"] if line["quantity"] else Decimal(0)
    return int(price) if price == int(price) else float(price)


def _line(line: Json) -> Json:
    return {
        "id": line["id"], "name": line["name"], "product_id": line["product_id"],
        "variation_id": line["variation_id"], "quantity": line["quantity"], "tax_class": "",
        "subtotal": line["subtotal"], "subtotal_tax": "0.00", "total": line["total"],
        "total_tax": "0.00", "taxes": [],
        "meta_data": [
            {"display_key": m["key"], "display_value": m["value"], **m} for m in line["meta_data"]
        ],
        "sku": line["sku"], "price": line_price(line), "image": {"id": "", "src": ""},
        "parent_name": line["parent_name"],
    }  # fmt: skip


def _shipping_line(line: Json) -> Json:
    return {
        "id": line["id"], "method_title": line["method_title"], "method_id": line["method_id"],
        "instance_id": "", "total": line["total"], "total_tax": "0.00", "taxes": [],
        "tax_status": "taxable", "meta_data": [],
    }  # fmt: skip


def refund(url: str, order_id: int, record: Json) -> Json:
    """``GET /orders/{id}/refunds/{refund}``: the refunded lines carry negative quantities."""
    base = f"{url}/wp-json/wc/v3/orders/{order_id}"
    return {
        "id": record["id"], "date_created": wc_date(record["date_created"]),
        "date_created_gmt": wc_date(record["date_created"]), "amount": record["amount"],
        "reason": record["reason"] or "", "refunded_by": 1,
        "refunded_payment": record["refunded_payment"], "meta_data": [],
        "line_items": [
            {"id": line["id"], "name": line["name"], "product_id": line["product_id"],
             "variation_id": line["variation_id"], "quantity": -line["quantity"],
             "tax_class": "", "subtotal": f"-{line['total']}", "subtotal_tax": "0.00",
             "total": f"-{line['total']}", "total_tax": "0.00", "taxes": [],
             "meta_data": [{"id": line["meta_id"], "key": "_refunded_item_id",
                            "value": str(line["refunded_item_id"]),
                            "display_key": "_refunded_item_id",
                            "display_value": str(line["refunded_item_id"])}],
             "sku": line["sku"], "price": line_price(line)}
            for line in record["line_items"]
        ],
        "shipping_lines": [], "tax_lines": [], "fee_lines": [],
        "_links": {
            "self": [{"href": f"{base}/refunds/{record['id']}", "targetHints": {"allow": ["GET", "DELETE"]}}],
            "collection": [{"href": f"{base}/refunds"}],
            "up": [{"href": base}],
        },
    }  # fmt: skip


def note(url: str, order_id: int, record: Json) -> Json:
    """``GET /orders/{id}/notes/{note}``."""
    base = f"{url}/wp-json/wc/v3/orders/{order_id}"
    return {
        "id": record["id"], "author": record["author"],
        "date_created": wc_date(record["date_created"]),
        "date_created_gmt": wc_date(record["date_created"]), "note": record["note"],
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


def tracking(url: str, order_id: int, record: Json) -> Json:
    """A Shipment Tracking entry as the extension's REST API shows it."""
    provider = record["custom_tracking_provider"] or record["tracking_provider"]
    template = TRACKING_LINKS.get(record["tracking_provider"].lower().replace(" ", ""))
    link = record["custom_tracking_link"] or (
        template.format(number=record["tracking_number"]) if template else ""
    )
    base = f"{url}/wp-json/wc-shipment-tracking/v3/orders/{order_id}"
    return {
        "tracking_id": record["tracking_id"], "tracking_provider": provider,
        "tracking_link": link, "tracking_number": record["tracking_number"],
        "date_shipped": record["date_shipped"],
        "_links": {
            "self": [{"href": f"{base}/shipment-trackings/{record['tracking_id']}"}],
            "collection": [{"href": f"{base}/shipment-trackings"}],
            "up": [{"href": f"{url}/wp-json/wc/v3/orders/{order_id}"}],
        },
    }  # fmt: skip


def customer(url: str, record: Json) -> Json:
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
        "_links": _links(url, f"customers/{record['id']}", "customers"),
    }  # fmt: skip


def webhook(url: str, record: Json) -> Json:
    """``GET /webhooks/{id}``: never the secret, never the failure count."""
    resource, _, event = record["topic"].partition(".")
    return {
        "id": record["id"], "name": record["name"], "status": record["status"],
        "topic": record["topic"], "resource": resource, "event": event,
        "hooks": hooks_for(record["topic"]), "delivery_url": record["delivery_url"],
        **_dates(record, "date_created", "date_modified"),
        "_links": _links(url, f"webhooks/{record['id']}", "webhooks"),
    }  # fmt: skip
