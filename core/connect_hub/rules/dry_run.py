"""A dry run: what the rules would do to one object, at each stage and integration; writes nothing.

The import stage runs for the object's source (or every integration that imports the data type),
then the export stage runs on the result for every integration the object would go to. Effects
are reported ("would send an e-mail to ..."), never run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from connect_hub.account import Account
from connect_hub.canonical import MODELS, Canonical
from connect_hub.contracts import RuleContext
from connect_hub.errors import HubError, MappingError
from connect_hub.manifest import DataType

STAGES = ("import", "export")


def load_object(data_type: str, data: dict[str, Any]) -> Canonical:
    """A canonical object from JSON; HubError saying what is wrong."""
    try:
        model = MODELS[DataType(data_type)]
    except ValueError:
        raise HubError(f"unknown data type {data_type!r} (known: {', '.join(MODELS)})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise HubError(f"not a valid {data_type} object: {'.'.join(map(str, error['loc']))}: {error['msg']}") from None


def dry_run(
    account: Account,
    obj: Canonical,
    *,
    source: str | None = None,
    integration: str | None = None,
    stage: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The report: per stage and integration, the rules matched, changes, block and effects."""
    if stage is not None and stage not in STAGES:
        raise HubError(f"stage must be import or export, not {stage!r}")
    if integration is not None and integration not in account.integrations:
        raise HubError(f"no integration named {integration!r} (known: {', '.join(account.integrations)})")
    data_type = obj.data_type
    steps: list[dict[str, Any]] = []
    current = obj
    if stage in (None, "import"):
        named = integration or source
        sources = [named] if named else [n for n, i in account.integrations.items() if i.imports(data_type)]
        for name in sources:
            step, after = _step(account, obj, "import", name, now)
            steps.append(step)
            if after is not None and stage is None and name == sources[0]:
                current = after
    if stage in (None, "export") and not any(s["blocked_by"] for s in steps):
        origin = source or (sources[0] if stage is None and sources else None)
        targets = [integration] if stage == "export" and integration else [
            n for n, i in account.integrations.items() if n != origin and i.exports(data_type)
        ]
        steps += [_step(account, current, "export", name, now)[0] for name in targets]
    return {
        "data_type": str(data_type),
        "before": obj.model_dump(mode="json"),
        "steps": steps,
        "blocked": [{"stage": s["stage"], "integration": s["integration"], "rule": s["blocked_by"]} for s in steps if s["blocked_by"]],
        "writes": "nothing (dry run)",
    }


def _step(
    account: Account, obj: Canonical, stage: str, integration: str, now: datetime | None
) -> tuple[dict[str, Any], Canonical | None]:
    context = RuleContext(account=account.name, stage=stage, integration=integration, data_type=obj.data_type)
    head = {"stage": stage, "integration": integration}
    try:
        decision = account.rules.apply(obj, context, now)
    except MappingError as exc:
        return {**head, "matched": [], "blocked_by": None, "error": str(exc)}, None
    step: dict[str, Any] = {**head, **decision.as_json(), "after": decision.obj.model_dump(mode="json")}
    step["effects"] = [f"would {e['description']} (rule {e['rule']!r})" for e in step["effects"]]
    if stage == "import" and not decision.blocked and getattr(decision.obj, "status", "") is None:
        step["problem"] = "the order still has no hub status after the import rules: it would be kept as failed"
    return step, None if decision.blocked else decision.obj


async def dry_run_record(
    account: Account, record_id: int, *, integration: str | None = None, stage: str | None = None
) -> dict[str, Any]:
    """The dry run of a stored record (read only), as if it arrived again from its source."""
    from connect_hub.store.models import Record

    record = await Record.get_or_none(id=record_id, account=account.name)
    if record is None:
        raise HubError(f"no record {record_id} in account {account.name!r}")
    obj = load_object(record.data_type, record.data)
    report = dry_run(account, obj, source=record.source, integration=integration, stage=stage)
    return {"record_id": record.id, **report}


def dry_run_sample(
    account: Account, sample: Any, *, data_type: str | None = None, integration: str | None = None, stage: str | None = None
) -> dict[str, Any]:
    """The dry run of a JSON sample: ``{"data_type": ..., "object": {...}}`` or a bare object."""
    if isinstance(sample, dict) and "object" in sample:
        data_type, sample = sample.get("data_type", data_type), sample["object"]
    if not isinstance(sample, dict):
        raise HubError("the sample must be a JSON object (or {\"data_type\": ..., \"object\": {...}})")
    return dry_run(account, load_object(data_type or "orders", sample), integration=integration, stage=stage)
