"""The core's data actions: ``set``, ``unset`` and ``map`` a field, ``block_import``, ``block_export``.

    then:
      - set: {field: status, value: processing}
      - unset: note                                  # back to the field's default
      - map: {field: status, from: source_status, table: {wc-awaiting-pickup: processing}}
      - block_import: true
      - block_export: warehouse                      # or [a, b], or all
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined

from connect_hub.contracts import RuleContext
from connect_hub.rules.paths import FieldSpec, read, to_json, write
from connect_hub.rules.registry import ActionOutcome, ActionRegistry, ActionTarget

WRITABLE = frozenset({"text", "number", "date", "bool", "any"})


def _writable(target: ActionTarget, path: Any) -> FieldSpec:
    if not isinstance(path, str):
        raise ValueError("'field' must be a field path")  # noqa: TRY004 - a config error, not a bug
    spec = target.resolve(path)
    if spec.kind not in WRITABLE:
        raise ValueError(f"{path} is a {spec.kind}: only plain fields can be set")
    return spec


def _fits(spec: FieldSpec, value: Any) -> Any:
    """``value`` checked against the field; returned in the object's JSON form."""
    if value is None:
        if not spec.nullable:
            raise ValueError(f"{spec.path} cannot be empty (null)")
        return None
    if spec.choices and str(value) not in spec.choices:
        raise ValueError(f"{value!r} is not a value of {spec.path} (one of: {', '.join(spec.choices)})")
    if spec.kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        raise ValueError(f"{value!r} is not a number for {spec.path}")
    if spec.kind == "bool" and not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false for {spec.path}")
    return to_json(spec.kind, value)


@dataclass(frozen=True)
class _Assign:
    spec: FieldSpec
    value: Any


def _changes(spec: FieldSpec, pairs: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    return [{"field": spec.path, "before": before, "after": after} for before, after in pairs]


def prepare_set(argument: Any, target: ActionTarget) -> _Assign:
    if not isinstance(argument, dict) or set(argument) != {"field", "value"}:
        raise ValueError("set takes {field: PATH, value: VALUE}")
    spec = _writable(target, argument["field"])
    return _Assign(spec, _fits(spec, argument["value"]))


def run_set(data: dict[str, Any], argument: _Assign, context: RuleContext) -> ActionOutcome:
    changes = _changes(argument.spec, write(data, argument.spec.parts, argument.value))
    return ActionOutcome(note=f"set {argument.spec.path} to {argument.value!r}" if changes else "", changes=changes)


def prepare_unset(argument: Any, target: ActionTarget) -> _Assign:
    path = argument.get("field") if isinstance(argument, dict) else argument
    spec = _writable(target, path)
    if spec.default is not PydanticUndefined:
        return _Assign(spec, to_json(spec.kind, spec.default))
    if spec.nullable:
        return _Assign(spec, None)
    raise ValueError(f"{spec.path} is required: it cannot be unset (use set)")


def run_unset(data: dict[str, Any], argument: _Assign, context: RuleContext) -> ActionOutcome:
    changes = _changes(argument.spec, write(data, argument.spec.parts, argument.value))
    return ActionOutcome(note=f"unset {argument.spec.path}" if changes else "", changes=changes)


@dataclass(frozen=True)
class _Map:
    source: FieldSpec
    target: FieldSpec
    table: dict[str, Any]
    default: Any
    has_default: bool


def prepare_map(argument: Any, target: ActionTarget) -> _Map:
    if not isinstance(argument, dict) or not {"field", "table"} <= set(argument) or set(argument) - {"field", "table", "from", "default"}:
        raise ValueError("map takes {field: PATH, table: {FROM: TO, ...}, from: PATH (optional), default: VALUE (optional)}")
    spec = _writable(target, argument["field"])
    source = target.resolve(argument.get("from", argument["field"]))
    if source.fans or spec.fans:
        raise ValueError("map works on single fields, not on the items of a list")
    table = argument["table"]
    if not isinstance(table, dict) or not table:
        raise ValueError("map: 'table' must be a mapping of values to values")
    checked = {str(k): _fits(spec, v) for k, v in table.items()}
    default = _fits(spec, argument["default"]) if "default" in argument else None
    return _Map(source, spec, checked, default, "default" in argument)


def run_map(data: dict[str, Any], argument: _Map, context: RuleContext) -> ActionOutcome:
    values = read(data, argument.source.parts)
    if not values:
        return ActionOutcome()
    key = values[0] if values[0] is None else str(values[0])
    if key in argument.table:
        value = argument.table[key]
    elif argument.has_default:
        value = argument.default
    else:
        return ActionOutcome()
    changes = _changes(argument.target, write(data, argument.target.parts, value))
    return ActionOutcome(note=f"mapped {argument.source.path} {key!r} to {argument.target.path} {value!r}" if changes else "", changes=changes)


def prepare_block_import(argument: Any, target: ActionTarget) -> None:
    if argument not in (True, None):
        raise ValueError("block_import takes true")
    if target.stage != "import":
        raise ValueError("block_import only works in an import rule (stage: import)")


def run_block_import(data: dict[str, Any], argument: Any, context: RuleContext) -> ActionOutcome:
    return ActionOutcome(block=True, note=f"blocked the import from {context.integration}")


def prepare_block_export(argument: Any, target: ActionTarget) -> frozenset[str] | None:
    if target.stage != "export":
        raise ValueError("block_export only works in an export rule (stage: export)")
    if argument in (True, None, "all"):
        return None
    names = argument if isinstance(argument, list) else [argument]
    for name in names:
        if not isinstance(name, str) or (target.integrations is not None and name not in target.integrations):
            known = ", ".join(sorted(target.integrations or ())) or "none"
            raise ValueError(f"block_export: no integration named {name!r} (known: {known}, or all)")
    return frozenset(names)


def run_block_export(data: dict[str, Any], argument: frozenset[str] | None, context: RuleContext) -> ActionOutcome:
    if argument is not None and context.integration not in argument:
        return ActionOutcome()
    return ActionOutcome(block=True, note=f"blocked the export to {context.integration}")


def register_core_actions(actions: ActionRegistry) -> None:
    """The data actions every hub has (the e-mail and URL actions live in ``effects``)."""
    actions.add("set", run_set, prepare=prepare_set)
    actions.add("unset", run_unset, prepare=prepare_unset)
    actions.add("map", run_map, prepare=prepare_map)
    actions.add("block_import", run_block_import, prepare=prepare_block_import)
    actions.add("block_export", run_block_export, prepare=prepare_block_export)
