"""Decisions are stored with what they touched, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from connect_hub.account import build_account
from connect_hub.config import parse_config
from connect_hub.contracts import Incoming, RuleContext
from connect_hub.pipeline import importing
from connect_hub.plugins import Plugins
from connect_hub.store.database import close_store, open_store
from connect_hub.store.models import Delivery, RuleDecision
from rules_support import order
from support import ENV, account_yaml

RULES = """
rules:
  - {name: tag, stage: import, data_types: [orders], then: [{set: {field: note, value: tagged}}]}
  - {name: no warehouse, stage: export, data_types: [orders], when: {field: note, op: equals, value: tagged}, then: [{block_export: warehouse}]}
"""


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    url = f"sqlite://{tmp_path}/store.db" if request.param == "sqlite" else request.getfixturevalue("postgres")
    await open_store(url, apply_migrations=True)
    yield request.param
    await close_store()


async def test_import_and_export_decisions_are_stored_with_record_and_delivery(store: str) -> None:
    text = account_yaml(account=f"t-{uuid.uuid4().hex[:10]}", store="sqlite://unused", warehouse_url="http://127.0.0.1:9", extra=RULES)
    account = build_account(parse_config(text, environ=ENV), Plugins.load())
    context = RuleContext(account=account.name, stage="import", integration="shop", data_type=order().data_type)
    decision = account.rules.apply(order(), context)
    item = Incoming(decision.obj, "1042")

    assert await importing.merge(account, "shop", item, None, decision) == []

    imported, exported = await RuleDecision.filter(account=account.name).order_by("id")
    [delivery] = await Delivery.filter(account=account.name)
    assert imported.stage == "import" and imported.matched == ["tag"] and imported.record_id == delivery.record_id
    assert imported.changes == [{"rule": "tag", "field": "note", "before": "", "after": "tagged"}]
    assert exported.delivery_id == delivery.id and exported.blocked_by == "no warehouse"
    assert delivery.state == "skipped" and delivery.blocked_by == "no warehouse"
