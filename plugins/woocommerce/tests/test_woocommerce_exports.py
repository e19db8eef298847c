"""Exports: stock in batches, shipments once (note or tracking item), contacts update or create."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_hub.canonical import Canonical, Contact, Shipment, Stock
from connect_hub.contracts import ExportAction, ExportRequest, ExportResult
from connect_hub.errors import PermanentError, TransientError
from connect_hub.manifest import DataType
from connect_hub_woocommerce import hooks
from connect_hub_woocommerce.client import WooClient

API = "https://shop.example/wp-json/wc/v3"
TRACKING = "https://shop.example/wp-json/wc-shipment-tracking/v3/orders/19/shipment-trackings"
COMPANION = "https://shop.example/wp-json/connect-hub/v1"
COMPANION_STATUS = f"{COMPANION}/status"
SAMPLES = Path(__file__).parent / "samples" / "api"


def sample_body(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())["body"]


def request(obj: Canonical, *, version: int = 1, related: dict[str, str] | None = None):
    return ExportRequest(
        data_type=obj.data_type,
        record_id=1,
        version=version,
        obj=obj,
        external_id=None,
        last_export_hash=None,
        related=related or {},
    )


async def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
async def shop(integration):
    shop = replace(integration, resources={})
    shop.resources["client"] = WooClient(
        "https://shop.example",
        "ck_x",
        "cs_x",
        name="acme/shop",
        requests_per_second=0,
        sleep=no_sleep,
    )
    yield shop
    await shop.resources["client"].aclose()


def sku_lookup(httpx_mock, sku: str, product_id: int, parent_id: int = 0) -> None:
    """The shop has a product (or variation) with ``sku``: ``GET /products?sku=A,B,...`` finds it."""
    catalogue = getattr(httpx_mock, "catalogue", None)
    if catalogue is None:
        catalogue = httpx_mock.catalogue = {}

        def answer(request: httpx.Request) -> httpx.Response:
            asked = request.url.params["sku"].split(",")
            return httpx.Response(200, json=[catalogue[s] for s in asked if s in catalogue])

        httpx_mock.add_callback(answer, method="GET", url=re.compile(rf"{re.escape(API)}/products\?.*sku="), is_reusable=True)
    catalogue[sku] = {"id": product_id, "sku": sku, "parent_id": parent_id}


def sku_lookups(httpx_mock) -> list[list[str]]:
    """The SKUs of each lookup the export made, in order."""
    return [r.url.params["sku"].split(",") for r in httpx_mock.get_requests() if r.method == "GET" and "sku" in r.url.params]


def batch_answer(items: list[dict]) -> dict:
    return {"update": [{"id": i["id"], "stock_quantity": i["stock_quantity"]} for i in items]}


def posted(httpx_mock) -> list[tuple[str, list]]:
    return [
        (r.url.path, json.loads(r.content)["update"])
        for r in httpx_mock.get_requests()
        if r.method == "POST"
    ]


async def export_batch(shop, requests):
    return await hooks.hub_export_batch(integration=shop, requests=requests)


# --- Stocks -----------------------------------------------------------------------------------


async def test_stock_goes_by_id_through_the_products_batch(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    sku_lookup(httpx_mock, "VER-POSTER-001", 11)
    httpx_mock.add_response(
        method="POST", url=f"{API}/products/batch",
        json=batch_answer([{"id": 10, "stock_quantity": 101}, {"id": 11, "stock_quantity": 102}]),
    )  # fmt: skip

    results = await export_batch(
        shop, [request(Stock(sku="VER-MUG-001", quantity=101)),
               request(Stock(sku="VER-POSTER-001", quantity=102))],
    )  # fmt: skip

    assert results == [ExportResult(external_id="10", action=ExportAction.UPDATED), ExportResult(external_id="11", action=ExportAction.UPDATED)]
    assert posted(httpx_mock) == [
        ("/wp-json/wc/v3/products/batch", [
            {"id": 10, "manage_stock": True, "stock_quantity": 101},
            {"id": 11, "manage_stock": True, "stock_quantity": 102},
        ]),
    ]  # fmt: skip


async def test_each_export_asks_the_shop_for_its_skus_afresh(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    answer = batch_answer([{"id": 10, "stock_quantity": 5}])
    httpx_mock.add_response(method="POST", json=answer, is_reusable=True)

    for quantity in (5, 6):
        await export_batch(shop, [request(Stock(sku="VER-MUG-001", quantity=quantity))])

    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "POST", "GET", "POST"]  # a SKU may have moved


async def test_requests_for_one_sku_are_coalesced_to_the_newest(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    httpx_mock.add_response(method="POST", json=batch_answer([{"id": 10, "stock_quantity": 7}]))

    results = await export_batch(
        shop, [request(Stock(sku="VER-MUG-001", quantity=7), version=3),
               request(Stock(sku="VER-MUG-001", quantity=4), version=2)],
    )  # fmt: skip

    assert results == [ExportResult(external_id="10", action=ExportAction.UPDATED)] * 2
    assert posted(httpx_mock)[0][1] == [{"id": 10, "manage_stock": True, "stock_quantity": 7}]


async def test_101_items_go_in_two_requests(shop, httpx_mock):
    for n in range(101):
        sku_lookup(httpx_mock, f"SKU-{n}", 1000 + n)

    def answer(request):
        return httpx.Response(200, json=batch_answer(json.loads(request.content)["update"]))

    httpx_mock.add_callback(answer, method="POST", url=f"{API}/products/batch", is_reusable=True)

    results = await export_batch(
        shop, [request(Stock(sku=f"SKU-{n}", quantity=n)) for n in range(101)]
    )

    assert [len(items) for _, items in posted(httpx_mock)] == [100, 1]
    assert [r.external_id for r in results] == [str(1000 + n) for n in range(101)]


async def test_the_skus_of_a_batch_are_looked_up_in_one_request(shop, httpx_mock):
    for n in range(3):
        sku_lookup(httpx_mock, f"SKU-{n}", 10 + n)
    httpx_mock.add_response(method="POST", url=f"{API}/products/batch", json=batch_answer([{"id": 10 + n, "stock_quantity": n} for n in range(3)]))

    await export_batch(shop, [request(Stock(sku=f"SKU-{n}", quantity=n)) for n in range(3)])

    assert sku_lookups(httpx_mock) == [["SKU-0", "SKU-1", "SKU-2"]]


async def test_a_sku_renamed_in_the_shop_gets_no_stock_meant_for_its_old_sku(shop, httpx_mock):
    sku_lookup(httpx_mock, "POSTER-1", 11)
    httpx_mock.add_response(method="POST", url=f"{API}/products/batch", json=batch_answer([{"id": 11, "stock_quantity": 7}]))
    (first,) = await export_batch(shop, [request(Stock(sku="POSTER-1", quantity=7))])
    httpx_mock.catalogue["POSTER-2"] = {**httpx_mock.catalogue.pop("POSTER-1"), "sku": "POSTER-2"}  # renamed in wp-admin

    (second,) = await export_batch(shop, [request(Stock(sku="POSTER-1", quantity=3), version=2)])

    assert first.action == ExportAction.UPDATED
    assert second == ExportResult(skipped="no product or variation in the shop has the SKU POSTER-1")
    assert [items for _, items in posted(httpx_mock)] == [[{"id": 11, "manage_stock": True, "stock_quantity": 7}]]


async def test_a_variation_goes_through_its_parents_batch(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-TSHIRT-S", 14, parent_id=13)
    httpx_mock.add_response(
        method="POST", url=f"{API}/products/13/variations/batch",
        json={"update": sample_body("POST-products-id-variations-batch.json")["update"][:1]},
    )  # fmt: skip

    (result,) = await export_batch(shop, [request(Stock(sku="VER-TSHIRT-S", quantity=11))])

    assert result == ExportResult(external_id="14", action=ExportAction.UPDATED)
    assert posted(httpx_mock) == [
        ("/wp-json/wc/v3/products/13/variations/batch",
         [{"id": 14, "manage_stock": True, "stock_quantity": 11}]),
    ]  # fmt: skip


async def test_per_item_errors_come_back_per_item(shop, httpx_mock):
    answered = sample_body("POST-products-batch-stock.json")["update"]  # 10 ok, 11 ok, 999999 bad
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    sku_lookup(httpx_mock, "VER-POSTER-001", 11)
    sku_lookup(httpx_mock, "GONE-001", 999999)
    httpx_mock.add_response(method="POST", json={"update": answered[:3]})

    mug, poster, gone = await export_batch(
        shop,
        [request(Stock(sku=s, quantity=1)) for s in ("VER-MUG-001", "VER-POSTER-001", "GONE-001")],
    )

    assert mug == ExportResult(external_id="10", action=ExportAction.UPDATED) and poster == ExportResult(external_id="11", action=ExportAction.UPDATED)
    assert isinstance(gone, TransientError)
    assert "woocommerce_rest_product_invalid_id" in str(gone) and "GONE-001" in str(gone)


async def test_a_sku_the_shop_does_not_sell_is_skipped_alone(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    httpx_mock.add_response(method="POST", json=batch_answer([{"id": 10, "stock_quantity": 2}]))

    nope, mug = await export_batch(
        shop,
        [request(Stock(sku="NOPE", quantity=1)), request(Stock(sku="VER-MUG-001", quantity=2))],
    )

    assert nope == ExportResult(skipped="no product or variation in the shop has the SKU NOPE")
    assert mug == ExportResult(external_id="10", action=ExportAction.UPDATED)


async def test_a_quantity_that_is_no_whole_number_is_refused_before_sending(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    httpx_mock.add_response(method="POST", json=batch_answer([{"id": 10, "stock_quantity": 3}]))
    bad = Stock.model_construct(sku="VER-STICKER-001", quantity="not-a-number")

    refused, mug = await export_batch(
        shop, [request(bad), request(Stock(sku="VER-MUG-001", quantity=3))]
    )

    assert isinstance(refused, PermanentError)
    assert "'not-a-number', which is not a whole number" in str(refused)
    assert posted(httpx_mock)[0][1] == [{"id": 10, "manage_stock": True, "stock_quantity": 3}]
    assert all("VER-STICKER-001" not in str(r.url) for r in httpx_mock.get_requests())
    assert mug == ExportResult(external_id="10", action=ExportAction.UPDATED)


async def test_a_failed_batch_request_fails_its_items(shop, httpx_mock):
    sku_lookup(httpx_mock, "VER-MUG-001", 10)
    for _ in range(3):
        httpx_mock.add_response(method="POST", status_code=502, text="Bad gateway")

    (result,) = await export_batch(shop, [request(Stock(sku="VER-MUG-001", quantity=3))])

    assert isinstance(result, TransientError)


async def test_a_single_stock_export_of_a_sku_the_shop_does_not_sell_is_skipped(shop, httpx_mock):
    httpx_mock.add_response(method="GET", json=[])

    result = await hooks.hub_export(integration=shop, request=request(Stock(sku="NOPE", quantity=1)))

    assert result.skipped == "no product or variation in the shop has the SKU NOPE"


async def test_a_single_stock_export_raises_its_error(shop, httpx_mock):
    with pytest.raises(PermanentError, match="not a whole number"):
        await hooks.hub_export(integration=shop, request=request(Stock.model_construct(sku="NOPE", quantity="7")))


# --- Shipments --------------------------------------------------------------------------------

SHIPMENT = Shipment(
    order_reference="shop-19", carrier="UPS", tracking_code="1Z999",
    tracking_url="https://ups.example/track/1Z999",
)  # fmt: skip


async def export(shop, obj, related=None, external_id=None):
    return await hooks.hub_export(integration=shop, request=replace(request(obj, related=related), external_id=external_id))


def without_tracking_extension(httpx_mock) -> None:
    without_companion_plugin(httpx_mock)
    no_route = sample_body("404-no-route.json")
    httpx_mock.add_response(url=TRACKING, status_code=404, json=no_route, is_reusable=True)


def without_companion_plugin(httpx_mock) -> None:
    no_route = sample_body("404-no-route.json")
    httpx_mock.add_response(url=COMPANION_STATUS, status_code=404, json=no_route)


async def test_a_shipment_adds_a_customer_note_then_completes(shop, httpx_mock):
    without_tracking_extension(httpx_mock)
    httpx_mock.add_response(method="GET", url=f"{API}/orders/19/notes?type=any", json=[])
    httpx_mock.add_response(
        method="POST", url=f"{API}/orders/19/notes", status_code=201,
        json=sample_body("POST-orders-id-notes-customer_note.json"),
    )  # fmt: skip
    httpx_mock.add_response(
        method="PUT", url=f"{API}/orders/19", json=sample_body("PUT-orders-id-completed.json")
    )

    result = await export(shop, SHIPMENT, {"order": "19"})

    assert result == ExportResult(external_id="19/notes/6", action=ExportAction.CREATED)
    note, complete = [json.loads(r.content) for r in httpx_mock.get_requests() if r.content]
    assert note == {
        "note": "Your order has been shipped with UPS. Tracking code: 1Z999. "
        "Track your parcel: https://ups.example/track/1Z999",
        "customer_note": True,
    }
    assert complete == {"status": "completed"}


async def test_a_replayed_shipment_adds_no_second_note(shop, httpx_mock):
    without_tracking_extension(httpx_mock)
    notes = sample_body("GET-orders-id-notes.json")  # note 6 mentions tracking 1Z999
    httpx_mock.add_response(method="GET", url=f"{API}/orders/19/notes?type=any", json=notes)
    httpx_mock.add_response(method="PUT", url=f"{API}/orders/19", json={"id": 19})

    result = await export(shop, SHIPMENT, {"order": "19"})

    assert result == ExportResult(external_id="19/notes/6", action=ExportAction.UNCHANGED)
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "GET", "GET", "PUT"]


async def test_with_shipment_tracking_an_item_is_created_once(shop, httpx_mock):
    without_companion_plugin(httpx_mock)  # asked once: the answer is kept for a few minutes
    httpx_mock.add_response(method="GET", url=TRACKING, json=[])
    httpx_mock.add_response(
        method="POST", url=TRACKING, status_code=201, json={"tracking_id": "abc", "tracking_number": "1Z999"}
    )  # fmt: skip
    httpx_mock.add_response(method="PUT", url=f"{API}/orders/19", json={"id": 19}, is_reusable=True)
    httpx_mock.add_response(
        method="GET", url=TRACKING, json=[{"tracking_id": "abc", "tracking_number": "1Z999"}]
    )

    first = await export(shop, SHIPMENT, {"order": "19"})
    again = await export(shop, SHIPMENT, {"order": "19"})

    assert first == ExportResult(external_id="19/trackings/abc", action=ExportAction.CREATED)
    assert again == ExportResult(external_id="19/trackings/abc", action=ExportAction.UNCHANGED)
    creates = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert len(creates) == 1
    assert json.loads(creates[0].content) == {
        "custom_tracking_provider": "UPS",
        "custom_tracking_link": "https://ups.example/track/1Z999",
        "tracking_number": "1Z999",
    }
    assert not any("/notes" in r.url.path for r in httpx_mock.get_requests())


async def test_a_shipment_for_an_order_unknown_in_the_shop_is_permanent(shop, httpx_mock):
    with pytest.raises(PermanentError, match="order shop-19 is unknown in this shop"):
        await export(shop, SHIPMENT)


# --- Contacts ---------------------------------------------------------------------------------

CONTACT = Contact(email="Jane.Verify@example.test", first_name="Jane", last_name="Verify")
SHOP_CUSTOMER = json.loads((SAMPLES / "POST-customers.json").read_text())["body"]
"""Customer 2 as the real shop answered its creation (billing phone +1-555-0100)."""


def customer_after(body: dict[str, Any]) -> dict[str, Any]:
    """Customer 2 as the real shop answers a PUT of ``body`` (addresses merged field by field)."""
    answer = {**SHOP_CUSTOMER, **{k: v for k, v in body.items() if k not in ("billing", "shipping")}}
    for part in ("billing", "shipping"):
        answer[part] = {**SHOP_CUSTOMER[part], **body.get(part, {})}
    return answer


async def test_a_known_contact_updates_the_customer_with_that_email(shop, httpx_mock):
    changed = CONTACT.model_copy(update={"first_name": "Janet"})
    httpx_mock.add_response(method="GET", url=re.compile(f"{API}/customers\\?.*"), json=[SHOP_CUSTOMER])
    httpx_mock.add_response(
        method="PUT", url=f"{API}/customers/2", json=customer_after({"first_name": "Janet", "last_name": "Verify"})
    )  # fmt: skip

    result = await export(shop, changed)

    assert (result.external_id, result.action) == ("2", ExportAction.UPDATED)
    assert result.stored.first_name == "Janet" and result.stored.phone == "+1-555-0100"  # as the shop keeps it
    lookup, update = httpx_mock.get_requests()
    assert dict(lookup.url.params) == {"email": "Jane.Verify@example.test", "role": "all"}
    assert json.loads(update.content) == {
        "email": "Jane.Verify@example.test", "first_name": "Janet", "last_name": "Verify"
    }  # fmt: skip


async def test_a_contact_the_hub_knows_by_customer_id_takes_its_new_email_there(shop, httpx_mock):
    moved = CONTACT.model_copy(update={"email": "jane.new@example.test"})
    httpx_mock.add_response(method="GET", url=f"{API}/customers/2", json=SHOP_CUSTOMER)
    httpx_mock.add_response(method="PUT", url=f"{API}/customers/2", json=customer_after({"email": "jane.new@example.test"}))

    result = await export(shop, moved, external_id="2")

    assert (result.external_id, result.action) == ("2", ExportAction.UPDATED)
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "PUT"]  # no lookup by the new e-mail


async def test_a_phone_changed_elsewhere_goes_to_the_billing_phone(shop, httpx_mock):
    phoned = Contact(email="jane.verify@example.test", first_name="Jane", last_name="Verify", phone="+31 20 555 0199")
    httpx_mock.add_response(method="GET", url=f"{API}/customers/2", json=SHOP_CUSTOMER)
    httpx_mock.add_response(method="PUT", url=f"{API}/customers/2", json=customer_after({"billing": {"phone": "+31 20 555 0199"}}))

    result = await export(shop, phoned, external_id="2")

    assert json.loads(httpx_mock.get_requests()[-1].content)["billing"] == {"phone": "+31 20 555 0199"}
    assert result.stored.phone == "+31 20 555 0199" and result.stored.billing.city == "San Francisco"


async def test_a_contact_the_shop_already_holds_is_left_alone(shop, httpx_mock):
    held = Contact(email="jane.verify@example.test", first_name="Jane", last_name="Verify", phone="+1-555-0100")
    httpx_mock.add_response(method="GET", url=f"{API}/customers/2", json=SHOP_CUSTOMER)

    result = await export(shop, held, external_id="2")

    assert (result.external_id, result.action) == ("2", ExportAction.UNCHANGED)
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]


async def test_a_new_contact_creates_a_customer(shop, httpx_mock):
    httpx_mock.add_response(method="GET", json=[])
    httpx_mock.add_response(method="POST", url=f"{API}/customers", status_code=201, json={**SHOP_CUSTOMER, "id": 9})

    result = await export(shop, CONTACT)

    assert (result.external_id, result.action) == ("9", ExportAction.CREATED)
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "POST"]


async def test_a_customer_deleted_in_the_shop_is_found_again_by_email_or_made_anew(shop, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{API}/customers/2", status_code=404, json={"code": "woocommerce_rest_invalid_id"})
    httpx_mock.add_response(method="GET", url=re.compile(f"{API}/customers\\?.*"), json=[])
    httpx_mock.add_response(method="POST", url=f"{API}/customers", status_code=201, json={**SHOP_CUSTOMER, "id": 11})

    result = await export(shop, CONTACT, external_id="2")

    assert (result.external_id, result.action) == ("11", ExportAction.CREATED)


async def test_other_data_types_are_not_exported(shop, httpx_mock):
    order_like = request(Stock(sku="X", quantity=1))
    with pytest.raises(PermanentError, match="exports no orders"):
        await hooks.hub_export(
            integration=shop, request=replace(order_like, data_type=DataType.ORDERS)
        )
