"""MiniCRM's own behaviour: orders become one activity each, contacts keep their round trip."""

from __future__ import annotations

import asyncio

from conftest import API_KEY, an_order
from connect_hub.canonical import Contact
from connect_hub.contracts import ExportRequest
from connect_hub.manifest import DataType
from connect_hub_minicrm.client import MiniCrm
from connect_hub_minicrm.mapping import contact_from_minicrm, contact_to_minicrm
from connect_hub_minicrm.simulator import FakeMiniCrm
from connect_hub_minicrm.sync import export


def run_export(fake: FakeMiniCrm, obj: object, data_type: DataType) -> str:
    async def go() -> str:
        crm = MiniCrm(fake.url, API_KEY, name="acme/crm", timeout=5)
        try:
            request = ExportRequest(data_type=data_type, record_id=1, version=1, obj=obj, external_id=None, last_export_hash=None)
            return (await export(crm, request)).external_id or ""
        finally:
            await crm.aclose()

    return asyncio.run(go())


def test_an_order_is_one_activity_on_its_buyer_however_often_it_is_sent(fake: FakeMiniCrm) -> None:
    order = an_order(900)
    keys = {run_export(fake, order, DataType.ORDERS) for _ in range(3)}
    assert keys == {f"order-{order.reference}"}
    activity = fake.activities[f"order-{order.reference}"]
    buyer = next(c for c in fake.contacts.values() if c["email"] == order.email)
    assert activity["contact_id"] == buyer["id"]
    assert activity["title"] == "Order 900: 49.90 EUR, processing"


def test_an_order_of_a_known_contact_goes_on_that_contact(fake: FakeMiniCrm) -> None:
    contact_id = run_export(fake, Contact(email="known@example.test", first_name="Kim"), DataType.CONTACTS)
    order = an_order(901).model_copy(update={"email": "known@example.test"})
    run_export(fake, order, DataType.ORDERS)
    assert fake.activities[f"order-{order.reference}"]["contact_id"] == contact_id
    assert fake.contacts[contact_id]["name"]["first"] == "Kim"  # the order did not overwrite it


def test_a_contact_keeps_its_content_through_minicrm() -> None:
    contact = Contact(email="ada@example.test", first_name="Ada", last_name="Lovelace", company="Engines", phone="+44 20")
    back = contact_from_minicrm({"id": "c_1", "updated": "2024-05-01T10:00:00Z", **contact_to_minicrm(contact)})
    assert back.content_hash() == contact.content_hash()
