"""Conditions: every core operator, field paths into nested fields and lists, field-to-field and
relative-date comparisons, all / any / not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rules_support import holds, order


@pytest.mark.parametrize(("condition", "expected"), [
    ("{field: status, op: equals, value: processing}", True),
    ("{field: status, op: equals, value: completed}", False),
    ("{field: total, op: equals, value: 120.5}", True),
    ("{field: status, op: not_equals, value: completed}", True),
    ("{field: status, op: not_equals, value: processing}", False),
    ("{field: total, op: greater, value: 100}", True),
    ("{field: total, op: greater, value: '120.50'}", False),
    ("{field: total, op: less, value: 200}", True),
    ("{field: total, op: less, value: 120}", False),
    ("{field: created_at, op: greater, value: '2026-09-30T00:00:00Z'}", True),
    ("{field: created_at, op: less, value: '2026-09-30T00:00:00Z'}", False),
    ("{field: total, op: between, value: [100, 150]}", True),
    ("{field: total, op: between, value: [121, 150]}", False),
    ("{field: created_at, op: between, value: ['2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z']}", True),
    ("{field: billing.country, op: in, value: [DE, AT, CH]}", True),
    ("{field: billing.country, op: in, value: [FR]}", False),
    ("{field: billing.country, op: not_in, value: [FR, NL]}", True),
    ("{field: billing.country, op: not_in, value: [DE]}", False),
    ("{field: email, op: contains, value: '@shop'}", True),
    ("{field: email, op: contains, value: '@test'}", False),
    ("{field: email, op: starts_with, value: ann}", True),
    ("{field: email, op: starts_with, value: bob}", False),
    ("{field: email, op: ends_with, value: [.example, .test]}", True),
    ("{field: email, op: ends_with, value: '@test.example'}", False),
    ("{field: number, op: matches, value: '^10\\d\\d$'}", True),
    ("{field: number, op: matches, value: '^9'}", False),
    ("{field: note, op: exists}", True),
    ("{field: modified_at, op: exists}", True),
    ("{field: shipping.company, op: is_empty}", True),
    ("{field: billing.city, op: is_empty}", False),
    ("{field: billing.city, op: is_empty, value: false}", True),
    ("{field: created_at, op: older_than, value: 30d}", True),
    ("{field: created_at, op: older_than, value: 90 days}", False),
    ("{field: modified_at, op: newer_than, value: 2h}", True),
    ("{field: modified_at, op: newer_than, value: 30m}", False),
])
def test_every_core_operator(condition: str, expected: bool) -> None:
    assert holds(condition) is expected


def test_an_absent_value_exists_only_when_set() -> None:
    assert holds("{field: created_at, op: exists, value: false}", order(created_at=None))
    assert not holds("{field: created_at, op: exists}", order(created_at=None))
    assert not holds("{field: created_at, op: older_than, value: 1d}", order(created_at=None))


def test_a_list_path_holds_when_one_item_does() -> None:
    assert holds("{field: lines.sku, op: equals, value: TEE-S}")
    assert holds("{field: 'lines[].sku', op: starts_with, value: MUG}")
    assert holds("{field: lines.total, op: greater, value: 100}")
    assert not holds("{field: lines.sku, op: equals, value: NOPE}")
    assert holds("{not: {field: lines.sku, op: equals, value: NOPE}}")


def test_a_list_itself_can_be_empty_or_not() -> None:
    assert not holds("{field: lines, op: is_empty}")
    assert holds("{field: lines, op: is_empty}", order(lines=[]))
    assert not holds("{field: lines.sku, op: equals, value: MUG-1}", order(lines=[]))


def test_a_field_compares_with_another_field() -> None:
    assert holds("{field: shipping.country, op: equals, value_field: billing.country}")
    assert holds("{field: email, op: equals, value_field: billing.email}")
    moved = order(shipping={"country": "FR"})
    assert holds("{field: shipping.country, op: not_equals, value_field: billing.country}", moved)
    assert holds("{field: shipping_total, op: less, value_field: total}")


def test_a_date_compares_with_a_relative_date() -> None:
    assert holds("{field: created_at, op: less, value: 30 days ago}")
    assert not holds("{field: created_at, op: less, value: 60 days ago}")
    assert holds("{field: modified_at, op: less, value: now}")
    assert holds("{field: created_at, op: less, value: in 2 weeks}")
    recent = order(created_at=datetime(2026, 11, 26, tzinfo=UTC))
    assert not holds("{field: created_at, op: less, value: 30 days ago}", recent)


def test_all_any_and_not_combine() -> None:
    assert holds("{all: [{field: total, op: greater, value: 100}, {field: billing.country, op: equals, value: DE}]}")
    assert not holds("{all: [{field: total, op: greater, value: 100}, {field: billing.country, op: equals, value: FR}]}")
    assert holds("{any: [{field: total, op: greater, value: 1000}, {field: billing.country, op: equals, value: DE}]}")
    assert not holds("{any: [{field: total, op: greater, value: 1000}, {field: billing.country, op: equals, value: FR}]}")
    assert holds("{not: {any: [{field: status, op: equals, value: cancelled}, {field: total, op: less, value: 10}]}}")


def test_a_rule_without_a_condition_always_matches() -> None:
    from rules_support import engine, run

    rules = engine("- {name: always, stage: import, data_types: [orders], then: [{set: {field: note, value: x}}]}")
    assert run(rules).matched == ["always"]
