"""Field paths into canonical objects: what a path names (its kind), and reading and writing it.

A path is dotted (``billing.email``); a list is crossed with ``[]`` (``lines[].sku``), or
implicitly when a field follows it (``lines.sku``). Values are read from the object's JSON form
and turned into Python values by kind: money and numbers become ``Decimal``, dates ``datetime``.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

KINDS = ("text", "number", "date", "bool", "list", "object", "any")
"""What a path can name; an absent value reads as None, like null."""


@dataclass(frozen=True)
class FieldSpec:
    """What a path names in one canonical model."""

    path: str
    kind: str
    parts: tuple[tuple[str, bool], ...]
    """(key, fan out over a list) per segment."""
    choices: tuple[str, ...] = ()
    """The allowed values of an enumerated field (an order's status)."""
    nullable: bool = False
    default: Any = PydanticUndefined

    @property
    def fans(self) -> bool:
        return any(fan for _, fan in self.parts)


def _describe(annotation: Any) -> tuple[str, Any, bool]:
    """(kind, inner type, nullable) of an annotation."""
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(get_args(annotation))
        annotation = args[0] if len(args) == 1 else Any
    origin = get_origin(annotation)
    if origin is list:
        return "list", get_args(annotation)[0], nullable
    if origin is dict:
        return "object", get_args(annotation)[1], nullable
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "object", annotation, nullable
        if issubclass(annotation, Enum):
            return "text", annotation, nullable
        if issubclass(annotation, bool):
            return "bool", None, nullable
        if issubclass(annotation, int | float | Decimal):
            return "number", None, nullable
        if issubclass(annotation, datetime):
            return "date", None, nullable
        if issubclass(annotation, str):
            return "text", None, nullable
    return "any", None, nullable


def resolve(model: type[BaseModel], path: str) -> FieldSpec:
    """What ``path`` names in ``model``; ValueError naming the known fields when it names nothing."""
    segments = path.split(".")
    if not path or any(not s.removesuffix("[]") for s in segments):
        raise ValueError(f"{path!r} is not a field path")
    kind, inner, nullable, default = "object", model, False, PydanticUndefined
    parts: list[tuple[str, bool]] = []
    for index, segment in enumerate(segments):
        key, explicit = segment.removesuffix("[]"), segment.endswith("[]")
        if kind == "object" and isinstance(inner, type) and issubclass(inner, BaseModel):
            info = inner.model_fields.get(key)
            if info is None:
                where = ".".join(segments[:index]) or model.__name__.lower()
                known = ", ".join(inner.model_fields)
                raise ValueError(f"unknown field {path!r}: {where} has no {key!r} (it has: {known})")
            kind, inner, nullable = _describe(info.annotation)
            default = info.get_default(call_default_factory=True) if not info.is_required() else PydanticUndefined
        elif kind == "object":  # a dict: any key
            kind, inner, nullable = _describe(inner)
            default = PydanticUndefined
        else:
            raise ValueError(f"unknown field {path!r}: {'.'.join(segments[:index])} is a {kind} field, with no {key!r}")
        last = index == len(segments) - 1
        fan = kind == "list" and (explicit or not last)
        if explicit and kind != "list":
            raise ValueError(f"{path!r}: {key!r} is not a list, so '[]' does not apply")
        parts.append((key, fan))
        if fan:
            kind, inner, _ = _describe(inner)
    choices = tuple(str(c.value) for c in inner) if isinstance(inner, type) and issubclass(inner, Enum) else ()
    return FieldSpec(path=path, kind=kind, parts=tuple(parts), choices=choices, nullable=nullable, default=default)


def read(data: dict[str, Any], parts: tuple[tuple[str, bool], ...]) -> list[Any]:
    """The values at a path; a fanned list gives one value per item (none for an empty list)."""
    if len(parts) == 1 and not parts[0][1]:
        return [data.get(parts[0][0])]
    nodes: list[Any] = [data]
    for key, fan in parts:
        following: list[Any] = []
        for node in nodes:
            value = node.get(key) if isinstance(node, dict) else None
            if fan:
                if isinstance(value, list):
                    following.extend(value)
            else:
                following.append(value)
        nodes = following
    return nodes


def write(data: dict[str, Any], parts: tuple[tuple[str, bool], ...], value: Any) -> list[tuple[Any, Any]]:
    """Set the field at a path (on every item of a fanned list); return (before, after) pairs."""
    changes: list[tuple[Any, Any]] = []
    nodes: list[Any] = [data]
    for key, fan in parts[:-1]:
        following: list[Any] = []
        for node in nodes:
            child = node.get(key)
            if fan:
                following.extend(child if isinstance(child, list) else [])
            else:
                if child is None:
                    child = node[key] = {}
                following.append(child)
        nodes = following
    key, fan = parts[-1]
    for node in nodes:
        before = node.get(key)
        if before != value:
            node[key] = value
            changes.append((before, value))
    return changes


def coerce(kind: str, value: Any) -> Any:
    """A JSON value as the Python value operators compare; None when it does not fit the kind."""
    if value is None:
        return None
    if kind == "number":
        if isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
    if kind == "date":
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def to_json(kind: str, value: Any) -> Any:
    """A Python value as the object's JSON form holds it (the way back of :func:`coerce`)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    return value
