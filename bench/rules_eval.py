"""Cost of evaluating 200 rules on an order with 50 lines, as a ratio against loading and hashing
the same record, both measured in the same run.

    .venv/bin/python bench/rules_eval.py [--rules 200] [--lines 50] [--rounds 5] [--number 200]

* **baseline**: what the hub does with every stored record anyway: ``canonical.load("orders",
  data)`` (pydantic validation of the stored JSON) and ``content_hash()`` (canonical JSON and
  SHA-256);
* **rules**: ``RuleEngine.apply`` of 200 import rules, compiled once as at load, on the same
  order: a mix of every core operator over plain fields, nested fields, the 50 lines
  (``lines.sku``, ``lines.total``), regular expressions, relative dates, ``all`` / ``any`` /
  ``not``; about one rule in ten matches and sets or maps a field, so the engine also dumps the
  object and validates the changed one, as it does in the hub.

Rounds alternate baseline and rules; each figure is the best round's time per call. The figure
to quote is the ratio (rules/baseline) on the last line; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import timeit
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from connect_hub.canonical import Order, OrderLine, load
from connect_hub.config import RuleConfig
from connect_hub.contracts import RuleContext
from connect_hub.manifest import DataType
from connect_hub.plugins import get_plugin_manager
from connect_hub.rules import build_engine

TEMPLATES: list[dict[str, Any]] = [
    {"field": "email", "op": "ends_with", "value": "@test{i}.example"},
    {"field": "lines.sku", "op": "equals", "value": "SKU-NONE-{i}"},
    {"field": "total", "op": "greater", "value": "{big}"},
    {"field": "billing.country", "op": "in", "value": ["X{i}", "Y{i}"]},
    {"field": "number", "op": "matches", "value": "^9{i}[0-9]+$"},
    {"field": "created_at", "op": "older_than", "value": "{days}d"},
    {"any": [{"field": "lines.total", "op": "greater", "value": "{big}"}, {"field": "note", "op": "contains", "value": "rush-{i}"}]},
    {"all": [{"field": "status", "op": "equals", "value": "processing"}, {"field": "lines.sku", "op": "starts_with", "value": "ZZ{i}"}]},
    {"not": {"field": "shipping.country", "op": "equals", "value_field": "billing.country"}},
    {"field": "source_status", "op": "in", "value": ["wc-a{i}", "wc-b{i}"]},
]


def make_rules(count: int) -> list[RuleConfig]:
    rules = []
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        values = {"i": str(i), "big": str(100000 + i), "days": str(3650 + i)}
        when = _fill(template, values)
        matching = i % 10 == 0
        if matching:
            when = {"field": "lines.sku", "op": "starts_with", "value": "SKU-"}
        then: list[dict[str, Any]] = [{"set": {"field": "note", "value": f"rule {i}"}}] if i % 20 == 0 else [
            {"map": {"field": "status", "from": "source_status", "table": {"wc-processing": "processing"}}}
        ]
        rules.append(RuleConfig(name=f"rule {i}", stage="import", data_types=[DataType.ORDERS], when=when, then=then))
    return rules


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value.format(**values) if isinstance(value, str) else value


def make_order(lines: int) -> Order:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    return Order(
        reference="shop-1042", source="shop", number="1042", status="processing", source_status="wc-processing",
        currency="EUR", total=Decimal("1234.50"), email="ann@customer.example",
        billing={"email": "ann@customer.example", "country": "DE", "city": "Berlin", "line1": "Hauptstr. 1"},
        shipping={"country": "DE", "city": "Berlin", "line1": "Hauptstr. 1"},
        lines=[OrderLine(sku=f"SKU-{n:04d}", name=f"Item {n}", quantity=n % 5 + 1, unit_price=Decimal("12.34"), total=Decimal("24.68")) for n in range(lines)],
        note="", created_at=now - timedelta(days=3), modified_at=now,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--number", type=int, default=200, help="calls per round")
    args = parser.parse_args()

    engine = build_engine(make_rules(args.rules), get_plugin_manager(load_entry_points=False))
    order = make_order(args.lines)
    data = order.model_dump(mode="json")
    context = RuleContext(account="bench", stage="import", integration="shop", data_type=DataType.ORDERS)
    decision = engine.apply(order, context)
    print(f"{args.rules} rules on an order with {args.lines} lines: {len(decision.matched)} match, {len(decision.changes)} changes")

    def baseline() -> None:
        load("orders", data).content_hash()

    def rules() -> None:
        engine.apply(order, context)

    best = {"baseline": float("inf"), "rules": float("inf")}
    for round_ in range(1, args.rounds + 1):
        for name, function in (("baseline", baseline), ("rules", rules)):
            seconds = timeit.timeit(function, number=args.number) / args.number
            best[name] = min(best[name], seconds)
        print(f"round {round_}: load+hash {best['baseline'] * 1e6:8.1f} us   rules {best['rules'] * 1e6:8.1f} us (best so far)")
    print(f"evaluating {args.rules} rules costs {best['rules'] / best['baseline']:.2f}x loading and hashing the record")


if __name__ == "__main__":
    main()
