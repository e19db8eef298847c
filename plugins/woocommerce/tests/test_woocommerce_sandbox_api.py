"""The WooCommerce sandbox's REST API over real HTTP: auth, pagination, batches, variations."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from connect_hub_woocommerce.sandbox import (
    ApiKey,
    RunningSandbox,
    authorization_header,
    running_sandbox,
    signed_url,
)
from connect_hub_woocommerce.sandbox.app import create_app
from connect_hub_woocommerce.sandbox.state import ShopState
from connect_hub_woocommerce.sandbox.values import utcnow

KEY = ApiKey("ck_test", "cs_test")
READ_ONLY = ApiKey("ck_read", "cs_read", "read")


@pytest.fixture(scope="module")
def sandbox():
    with running_sandbox(keys=[KEY, READ_ONLY], queue_interval=None) as running:
        yield running


@pytest.fixture
def shop(sandbox: RunningSandbox):
    """The sandbox reset and seeded, and a client that signs every request with OAuth."""
    sandbox.state.reset()
    sandbox.state.seed()
    with httpx.Client(timeout=5) as client:
        yield Shop(sandbox, client)


class Shop:
    """Signed REST calls: ``shop.get("/products", per_page=2)``."""

    def __init__(self, sandbox: RunningSandbox, client: httpx.Client, key: ApiKey = KEY):
        self.sandbox = sandbox
        self.client = client
        self.key = key

    def url(self, method: str, path: str, **params: object) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"{self.sandbox.url}/wp-json/wc/v3{path}" + (f"?{query}" if query else "")
        return signed_url(method, url, self.key.consumer_key, self.key.consumer_secret)

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.client.get(self.url("GET", path, **params))

    def post(self, path: str, json: object) -> httpx.Response:
        return self.client.post(self.url("POST", path), json=json)

    def put(self, path: str, json: object) -> httpx.Response:
        return self.client.put(self.url("PUT", path), json=json)

    def product_id(self, sku: str) -> int:
        [product] = self.get("/products", sku=sku).json()
        return product["id"]


# --- authentication ----------------------------------------------------------------------------


def test_oauth_sha256_sha1_and_header_are_accepted(shop: Shop):
    base = f"{shop.sandbox.url}/wp-json/wc/v3/products?per_page=1"
    for method in ("HMAC-SHA256", "HMAC-SHA1"):
        url = signed_url("GET", base, "ck_test", "cs_test", signature_method=method)
        assert shop.client.get(url).status_code == 200
    header = authorization_header("GET", base, "ck_test", "cs_test")
    assert shop.client.get(base, headers={"Authorization": header}).status_code == 200


def test_a_nonce_is_refused_for_fifteen_minutes_and_accepted_again_after() -> None:
    from datetime import timedelta

    from connect_hub_woocommerce.sandbox.keys import ApiKey, Keys

    keys, start = Keys([ApiKey("ck_a", "cs_a")]), datetime(2026, 12, 4, 12, 0, 0)
    assert keys.use_nonce("ck_a", "n1", start) and keys.use_nonce("ck_a", "n2", start + timedelta(minutes=10))
    assert not keys.use_nonce("ck_a", "n1", start + timedelta(minutes=14, seconds=59))
    assert keys.use_nonce("ck_a", "n1", start + timedelta(minutes=15, seconds=1)), "n1 has expired"
    assert not keys.use_nonce("ck_a", "n2", start + timedelta(minutes=15, seconds=1)), "n2 has not"
    assert keys.use_nonce("ck_b", "n2", start), "each key has nonces of its own"


def test_a_nonce_is_accepted_once(shop: Shop):
    url = shop.url("GET", "/products")
    assert shop.client.get(url).status_code == 200
    replay = shop.client.get(url)
    assert replay.status_code == 401
    assert replay.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Invalid nonce - nonce has already been used.",
        "data": {"status": 401},
    }


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [
        ("ck_test", "wrong", "Invalid signature - provided signature does not match."),
        ("ck_nobody", "cs_test", "Consumer key is invalid."),
    ],
)
def test_wrong_secret_or_unknown_key_is_401(shop: Shop, key: str, secret: str, message: str):
    url = signed_url("GET", f"{shop.sandbox.url}/wp-json/wc/v3/products", key, secret)
    response = shop.client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"
    assert response.json()["message"] == message
    assert "www-authenticate" not in response.headers


def test_old_timestamp_is_401(shop: Shop):
    url = signed_url(
        "GET", f"{shop.sandbox.url}/wp-json/wc/v3/products", "ck_test", "cs_test",
        timestamp=int(time.time()) - 16 * 60,
    )  # fmt: skip
    assert shop.client.get(url).json()["message"] == "Invalid timestamp."


def test_basic_auth_and_query_keys_over_http_are_refused(shop: Shop):
    url = f"{shop.sandbox.url}/wp-json/wc/v3/products"
    cannot_view = {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }
    for response in (
        shop.client.get(url, auth=("ck_test", "cs_test")),
        shop.client.get(url, params={"consumer_key": "ck_test", "consumer_secret": "cs_test"}),
        shop.client.get(url),
    ):
        assert response.status_code == 401
        assert response.json() == cannot_view


async def test_basic_auth_works_in_https_mode():
    state = ShopState(keys=[KEY], url="https://shop.example")
    transport = httpx.ASGITransport(app=create_app(state, https_mode=True, queue_interval=None))
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.example") as client:
        ok = await client.get("/wp-json/wc/v3/products", auth=("ck_test", "cs_test"))
        assert ok.status_code == 200
        query = await client.get(
            "/wp-json/wc/v3/products",
            params={"consumer_key": "ck_test", "consumer_secret": "cs_test"},
        )
        assert query.status_code == 200
        wrong = await client.get("/wp-json/wc/v3/products", auth=("ck_test", "nope"))
        assert wrong.status_code == 401
        assert wrong.json()["message"] == "Consumer secret is invalid."


def test_read_only_key_cannot_write(shop: Shop):
    reader = Shop(shop.sandbox, shop.client, READ_ONLY)
    assert reader.get("/products").status_code == 200
    response = reader.post("/products", {"name": "Nope"})
    assert response.status_code == 401
    assert response.json()["message"] == "The API key provided does not have write permissions."


def test_index_and_system_status(shop: Shop):
    index = shop.client.get(f"{shop.sandbox.url}/wp-json/wc/v3")
    assert index.status_code == 200
    assert "/wc/v3/products" in index.json()["routes"]
    assert shop.get("/system_status").json()["environment"]["version"] == "9.9.5"


# --- reading -----------------------------------------------------------------------------------


def test_pagination_headers_and_link_repeat_every_parameter(shop: Shop):
    first = shop.get("/products", per_page=2, page=1)
    assert first.headers["X-WP-Total"] == "4"
    assert first.headers["X-WP-TotalPages"] == "2"
    assert len(first.json()) == 2
    next_url = first.links["next"]["url"]
    params = dict(parse_qsl(urlsplit(next_url).query))
    assert params["page"] == "2"
    assert params["per_page"] == "2"
    sent = dict(parse_qsl(urlsplit(str(first.request.url)).query))
    assert params["oauth_nonce"] == sent["oauth_nonce"]
    assert params["oauth_signature"] == sent["oauth_signature"]
    assert shop.client.get(next_url).status_code == 401  # the nonce is spent: sign afresh

    second = shop.get("/products", per_page=2, page=2)
    assert "next" not in second.links
    assert dict(parse_qsl(urlsplit(second.links["prev"]["url"]).query))["page"] == "1"
    ids = {p["id"] for p in first.json()} | {p["id"] for p in second.json()}
    assert len(ids) == 4

    past = shop.get("/products", per_page=2, page=99)
    assert past.status_code == 200
    assert past.json() == []


def test_per_page_101_is_400(shop: Shop):
    response = shop.get("/products", per_page=101)
    assert response.status_code == 400
    assert response.json()["code"] == "rest_invalid_param"
    assert response.json()["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }


def test_sku_finds_a_variation_and_unknown_product_is_404(shop: Shop):
    [variation] = shop.get("/products", sku="TSHIRT-M").json()
    assert variation["type"] == "variation"
    assert variation["parent_id"] == shop.product_id("TSHIRT")
    missing = shop.get("/products/999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "woocommerce_rest_product_invalid_id"


def test_seeding_again_adds_only_the_extra_products_and_nothing_twice(shop: Shop):
    before = shop.sandbox.state.snapshot()["products"]
    answer = httpx.post(f"{shop.sandbox.url}/_sandbox/seed", json={"extra_products": 2})
    assert answer.status_code == 200, answer.text
    skus = sorted(p["sku"] for p in shop.sandbox.state.snapshot()["products"])
    assert len(skus) == len(before) + 2 and len(set(skus)) == len(skus)
    assert {"SBX-00001", "SBX-00002", "TSHIRT", "TSHIRT-S"} <= set(skus)


def test_modified_after_filters_products(shop: Shop):
    state = shop.sandbox.state
    state.reset()
    state.clock = lambda: datetime(2020, 1, 1, 12, 0, 0)
    try:
        state.seed()
    finally:
        state.clock = utcnow
    poster = shop.product_id("POSTER-1")
    shop.put(f"/products/{poster}", {"stock_quantity": 3})
    changed = shop.get("/products", modified_after="2021-01-01T00:00:00", dates_are_gmt="true")
    assert [p["id"] for p in changed.json()] == [poster]
    assert len(shop.get("/products", modified_after="2019-12-31T00:00:00Z").json()) == 4


# --- writing -----------------------------------------------------------------------------------


def test_duplicate_sku_and_put_unknown_id_are_400(shop: Shop):
    mug = shop.product_id("MUG-1")
    duplicate = shop.post("/products", {"name": "Another mug", "sku": "MUG-1"})
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "product_invalid_sku"
    assert duplicate.json()["data"]["resource_id"] == mug
    unknown = shop.put("/products/999999", {"stock_quantity": 1})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "woocommerce_rest_product_invalid_id"
    single = shop.put(f"/products/{mug}", {"stock_quantity": "abc"})
    assert single.status_code == 400
    assert single.json()["code"] == "rest_invalid_param"


def test_date_modified_is_not_bumped_by_meta_only_changes(shop: Shop):
    state = shop.sandbox.state
    state.reset()
    state.clock = lambda: datetime(2020, 1, 1, 12, 0, 0)
    try:
        state.seed()
    finally:
        state.clock = utcnow
    mug = shop.product_id("MUG-1")
    meta = shop.put(f"/products/{mug}", {"meta_data": [{"key": "note", "value": "x"}]}).json()
    assert meta["date_modified"] == "2020-01-01T12:00:00"
    assert meta["meta_data"][0]["key"] == "note"
    same = shop.put(f"/products/{mug}", {"stock_quantity": 40}).json()
    assert same["date_modified"] == "2020-01-01T12:00:00"
    changed = shop.put(f"/products/{mug}", {"stock_quantity": 39}).json()
    assert changed["date_modified"] != "2020-01-01T12:00:00"


def test_batch_of_101_is_413(shop: Shop):
    mug = shop.product_id("MUG-1")
    response = shop.post("/products/batch", {"update": [{"id": mug, "stock_quantity": 1}] * 101})
    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"


def test_batch_items_fail_on_their_own_and_bad_stock_becomes_zero(shop: Shop):
    mug, sticker = shop.product_id("MUG-1"), shop.product_id("STICKER-1")
    response = shop.post(
        "/products/batch",
        {"update": [
            {"id": mug, "stock_quantity": 101},
            {"id": 999999, "stock_quantity": 5},
            {"id": sticker, "stock_quantity": "not-a-number"},
            {"sku": "POSTER-1", "stock_quantity": 7},
        ]},
    )  # fmt: skip
    assert response.status_code == 200
    first, unknown, bad_stock, by_sku = response.json()["update"]
    assert first["stock_quantity"] == 101
    assert unknown == {
        "id": 999999,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    assert bad_stock["stock_quantity"] == 0
    assert bad_stock["stock_status"] == "outofstock"
    assert by_sku["id"] is None
    assert by_sku["error"]["code"] == "woocommerce_rest_product_invalid_id"


def test_variation_stock_goes_through_its_parent(shop: Shop):
    shirt, medium = shop.product_id("TSHIRT"), shop.product_id("TSHIRT-M")
    via_product = shop.put(f"/products/{medium}", {"stock_quantity": 8})
    assert via_product.status_code == 404
    wrong_parent = shop.put(
        f"/products/{shop.product_id('MUG-1')}/variations/{medium}", {"stock_quantity": 3}
    )
    assert wrong_parent.status_code == 404
    assert wrong_parent.json()["code"] == "woocommerce_rest_product_variation_invalid_id"
    right = shop.put(f"/products/{shirt}/variations/{medium}", {"stock_quantity": 8})
    assert right.status_code == 200
    assert right.json()["stock_quantity"] == 8
    assert right.json()["name"] == "M"
    batch = shop.post(
        f"/products/{shirt}/variations/batch",
        {"update": [{"id": medium, "stock_quantity": 11}, {"id": 999998, "stock_quantity": 1}]},
    ).json()["update"]
    assert batch[0]["stock_quantity"] == 11
    assert batch[1]["error"]["data"]["status"] == 404
    assert [v["id"] for v in shop.get(f"/products/{shirt}/variations").json()] == [
        medium + 1,
        medium,
        medium - 1,
    ]


def test_order_lines_are_filled_in_and_completion_is_idempotent(shop: Shop):
    mug, large = shop.product_id("MUG-1"), shop.product_id("TSHIRT-L")
    created = shop.post(
        "/orders",
        {"line_items": [{"product_id": mug, "quantity": 2}, {"variation_id": large, "quantity": 1}],
         "billing": {"email": "a@example.test"},
         "shipping_lines": [{"method_id": "flat_rate", "total": "5.00"}]},
    )  # fmt: skip
    assert created.status_code == 201
    order = created.json()
    assert order["status"] == "pending"
    assert order["total"] == "52.00"
    first_line = order["line_items"][0]
    assert (first_line["sku"], first_line["name"], first_line["price"]) == ("MUG-1", "Mug", 12.5)
    assert order["line_items"][1]["product_id"] == shop.product_id("TSHIRT")
    assert order["line_items"][1]["variation_id"] == large
    completed = shop.put(f"/orders/{order['id']}", {"status": "completed"})
    again = shop.put(f"/orders/{order['id']}", {"status": "completed"})
    assert completed.json()["status"] == again.json()["status"] == "completed"
    assert shop.get(f"/products/{mug}").json()["stock_quantity"] == 38  # reduced once
    bad = shop.put(f"/orders/{order['id']}", {"status": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "rest_invalid_param"


def test_order_notes_and_custom_status():
    with running_sandbox(
        keys=[KEY], queue_interval=None, custom_statuses=["awaiting-pickup"]
    ) as sb:
        sb.state.seed()
        with httpx.Client(timeout=5) as client:
            shop = Shop(sb, client)
            order = httpx.post(
                f"{sb.url}/_sandbox/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}]}
            ).json()
            assert order["status"] == "processing"
            note = shop.post(
                f"/orders/{order['id']}/notes", {"note": "Shipped: 1Z999", "customer_note": True}
            )
            assert note.status_code == 201
            assert note.json()["customer_note"] is True
            notes = shop.get(f"/orders/{order['id']}/notes").json()
            assert notes[0]["note"] == "Shipped: 1Z999"
            custom = shop.put(f"/orders/{order['id']}", {"status": "awaiting-pickup"})
            assert custom.json()["status"] == "awaiting-pickup"
            listed = shop.get("/orders", status="awaiting-pickup").json()
            assert [o["id"] for o in listed] == [order["id"]]


def test_customers_filter_by_email(shop: Shop):
    created = shop.post("/customers", {"email": "bob@example.test", "first_name": "Bob"})
    assert created.status_code == 201
    [found] = shop.get("/customers", email="bob@example.test").json()
    assert found["id"] == created.json()["id"]
    assert shop.post("/customers", {"email": "bob@example.test"}).status_code == 400
    assert shop.post("/customers", {"first_name": "NoEmail"}).json()["code"] == (
        "rest_missing_callback_param"
    )


def test_shipment_tracking_route_only_with_the_extension(shop: Shop):
    order = httpx.post(
        f"{shop.sandbox.url}/_sandbox/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}]}
    ).json()
    path = f"/wp-json/wc-shipment-tracking/v3/orders/{order['id']}/shipment-trackings"
    url = signed_url("POST", f"{shop.sandbox.url}{path}", "ck_test", "cs_test")
    response = shop.client.post(url, json={"tracking_provider": "UPS", "tracking_number": "1Z"})
    assert response.status_code == 404
    assert response.json()["code"] == "rest_no_route"

    with running_sandbox(keys=[KEY], queue_interval=None, shipment_tracking=True) as sb:
        sb.state.seed()
        order = httpx.post(
            f"{sb.url}/_sandbox/orders", json={"lines": [{"sku": "MUG-1", "quantity": 1}]}
        ).json()
        url = f"{sb.url}/wp-json/wc-shipment-tracking/v3/orders/{order['id']}/shipment-trackings"
        body = {
            "custom_tracking_provider": "Parcel Co",
            "custom_tracking_link": "https://parcel.example/1Z",
            "tracking_number": "1Z",
        }
        created = httpx.post(signed_url("POST", url, "ck_test", "cs_test"), json=body)
        assert created.status_code == 201
        assert created.json()["tracking_link"] == "https://parcel.example/1Z"
        listed = httpx.get(signed_url("GET", url, "ck_test", "cs_test")).json()
        assert [t["tracking_number"] for t in listed] == ["1Z"]


def test_faults_answer_before_auth(shop: Shop):
    faults = f"{shop.sandbox.url}/_sandbox/faults"
    httpx.post(faults, json={"status": 429, "retry_after": 3, "count": 1})
    httpx.post(faults, json={"status": 200, "body": "<html>oops", "count": 1})
    limited = shop.client.get(f"{shop.sandbox.url}/wp-json/wc/v3/products")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    garbage = shop.get("/products")
    assert garbage.status_code == 200
    assert garbage.text == "<html>oops"
    assert shop.get("/products").status_code == 200
