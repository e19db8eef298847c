"""Actions, scopes, stages and ordering: set, unset, map, block_import, block_export; rules run in
the order written and the result is deterministic."""

from __future__ import annotations

from decimal import Decimal

from connect_hub.canonical import Contact, OrderStatus
from rules_support import engine, order, run


def test_set_changes_a_field_and_records_the_change() -> None:
    rules = engine("- {name: tag b2b, stage: import, then: [{set: {field: billing.company, value: B2B}}]}")
    decision = run(rules)
    assert decision.obj.billing.company == "B2B"
    assert decision.changes == [{"rule": "tag b2b", "field": "billing.company", "before": "", "after": "B2B"}]
    assert decision.notes == ["tag b2b: set billing.company to 'B2B'"]


def test_set_on_a_list_path_changes_every_item() -> None:
    rules = engine("- {name: rename, stage: import, data_types: [orders], then: [{set: {field: lines.name, value: Item}}]}")
    assert [line.name for line in run(rules).obj.lines] == ["Item", "Item"]


def test_unset_puts_a_field_back_to_its_default_or_empty() -> None:
    rules = engine("""
- {name: forget, stage: import, data_types: [orders], then: [{unset: billing.city}, {unset: {field: created_at}}]}
""")
    decision = run(rules)
    assert decision.obj.billing.city == "" and decision.obj.created_at is None


def test_map_uses_a_table_then_the_default_or_leaves_the_field() -> None:
    rules = engine("""
- name: custom statuses
  stage: import
  data_types: [orders]
  then:
    - map: {field: status, from: source_status, table: {wc-awaiting-pickup: processing, wc-shipped-partly: on_hold}}
""")
    assert run(rules, order(status=None, source_status="wc-awaiting-pickup")).obj.status is OrderStatus.PROCESSING
    assert run(rules, order(status=None, source_status="wc-shipped-partly")).obj.status is OrderStatus.ON_HOLD
    assert run(rules, order(status=None, source_status="wc-other")).obj.status is None
    with_default = engine("""
- {name: m, stage: import, data_types: [orders], then: [{map: {field: status, from: source_status, table: {a: processing}, default: on_hold}}]}
""")
    assert run(with_default, order(status=None, source_status="wc-other")).obj.status is OrderStatus.ON_HOLD


def test_block_import_stops_the_rules_and_names_the_rule() -> None:
    rules = engine("""
- {name: no tests, stage: import, when: {field: email, op: ends_with, value: '@shop.example'}, then: [{block_import: true}]}
- {name: later, stage: import, then: [{set: {field: note, value: never}}]}
""")
    decision = run(rules)
    assert decision.blocked_by == "no tests" and decision.matched == ["no tests"]
    assert decision.summary() == "blocked by rule 'no tests'"


def test_block_export_blocks_one_target_a_list_or_all() -> None:
    one = engine("- {name: w, stage: export, then: [{block_export: warehouse}]}")
    assert run(one, stage="export", integration="warehouse").blocked_by == "w"
    assert not run(one, stage="export", integration="crm").blocked
    some = engine("- {name: l, stage: export, then: [{block_export: [warehouse, crm]}]}")
    assert run(some, stage="export", integration="crm").blocked
    every = engine("- {name: a, stage: export, then: [{block_export: all}]}")
    assert run(every, stage="export", integration="crm").blocked and run(every, stage="export", integration="warehouse").blocked


def test_stages_run_only_their_own_rules() -> None:
    rules = engine("""
- {name: in, stage: import, then: [{set: {field: note, value: imported}}]}
- {name: out, stage: export, then: [{set: {field: note, value: exported}}]}
""")
    assert run(rules, stage="import").obj.note == "imported"
    assert run(rules, stage="export", integration="warehouse").obj.note == "exported"


def test_an_integration_scoped_rule_runs_only_for_that_integration() -> None:
    rules = engine("""
- {name: everywhere, scope: account, stage: export, then: [{set: {field: note, value: all}}]}
- {name: warehouse only, scope: warehouse, stage: export, then: [{set: {field: billing.company, value: W}}]}
""")
    to_warehouse = run(rules, stage="export", integration="warehouse")
    to_crm = run(rules, stage="export", integration="crm")
    assert to_warehouse.matched == ["everywhere", "warehouse only"] and to_warehouse.obj.billing.company == "W"
    assert to_crm.matched == ["everywhere"] and to_crm.obj.billing.company == ""


def test_rules_run_in_the_order_written_and_later_ones_see_earlier_changes() -> None:
    rules = engine("""
- {name: first, stage: import, then: [{set: {field: note, value: one}}]}
- {name: second, stage: import, when: {field: note, op: equals, value: one}, then: [{set: {field: note, value: two}}]}
- {name: third, stage: import, when: {field: note, op: equals, value: one}, then: [{set: {field: note, value: three}}]}
""")
    decision = run(rules)
    assert decision.matched == ["first", "second"] and decision.obj.note == "two"
    assert [run(rules).obj for _ in range(3)] == [decision.obj] * 3


def test_data_types_limit_a_rule_and_the_object_itself_is_not_changed() -> None:
    rules = engine("- {name: orders only, stage: import, data_types: [orders], then: [{set: {field: note, value: x}}]}")
    original = order()
    assert run(rules, original).obj.note == "x" and original.note == ""
    assert run(rules, Contact(email="a@b.example")).matched == []


def test_money_stays_exact_through_a_rule() -> None:
    rules = engine("- {name: s, stage: import, data_types: [orders], then: [{set: {field: shipping_total, value: '4.95'}}]}")
    assert run(rules).obj.shipping_total == Decimal("4.95")
