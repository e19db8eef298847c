"""Helpers for the rules tests: an engine from YAML rules, an order, a context."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import yaml
from connect_hub.canonical import Address, Order, OrderLine
from connect_hub.config import RuleConfig
from connect_hub.contracts import RuleContext
from connect_hub.manifest import DataType
from connect_hub.plugins import get_plugin_manager
from connect_hub.rules import Decision, RuleEngine, build_engine

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
INTEGRATIONS = frozenset({"shop", "warehouse", "crm"})


def engine(text: str, *, plugins: list[tuple[str, object]] = (), smtp: bool = True) -> RuleEngine:
    """An engine from a YAML list of rules (the ``rules:`` of an account file)."""
    rules = [RuleConfig.model_validate(r) for r in yaml.safe_load(text)]
    pm = get_plugin_manager(extra=list(plugins), load_entry_points=False)
    return build_engine(rules, pm, "rules.yaml", integrations=INTEGRATIONS, smtp=smtp)


def order(**changes: Any) -> Order:
    data: dict[str, Any] = {
        "reference": "shop-1042", "source": "shop", "number": "1042", "status": "processing",
        "currency": "EUR", "total": Decimal("120.50"), "email": "ann@shop.example",
        "billing": Address(email="ann@shop.example", country="DE", city="Berlin"),
        "shipping": Address(country="DE", city="Berlin"),
        "lines": [OrderLine(sku="MUG-1", quantity=2, total=Decimal(20)), OrderLine(sku="TEE-S", quantity=1, total=Decimal("100.50"))],
        "created_at": datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
        "modified_at": datetime(2026, 11, 27, 11, 0, tzinfo=UTC),
    }
    data.update(changes)
    return Order(**data)


def context(stage: str = "import", integration: str = "shop", data_type: DataType = DataType.ORDERS) -> RuleContext:
    return RuleContext(account="acme", stage=stage, integration=integration, data_type=data_type)


def run(rules: RuleEngine, obj: Any = None, stage: str = "import", integration: str = "shop") -> Decision:
    obj = obj if obj is not None else order()
    return rules.apply(obj, context(stage, integration, obj.data_type), NOW)


def holds(condition: str, obj: Any = None) -> bool:
    """Whether a condition (YAML) holds on ``obj`` (an order by default)."""
    rules = engine(f"- {{name: probe, stage: import, when: {condition}, then: [{{set: {{field: note, value: hit}}}}]}}")
    return run(rules, obj).matched == ["probe"]
