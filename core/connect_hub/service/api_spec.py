"""What the HTTP API takes and answers, declared once: parameters, bodies, answers per route.

Each route of the admin API is an :class:`Operation`. The same declaration serves twice: the
handler's wrapper reads every path and query parameter through :func:`read_params` (an id
beyond 64 bits, a state that does not exist, a NUL byte or an empty filter is refused there
with a 400 and a sentence, before any query reaches the store), and
:mod:`connect_hub.service.openapi` builds the OpenAPI document from it, so the document cannot
drift from what the handlers accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]+")


class ParamError(ValueError):
    """A parameter that does not fit its declaration; the text is the sentence the client reads."""


@dataclass(frozen=True)
class Param:
    """One path or query parameter: its type, its bounds, and what it means."""

    name: str
    kind: Literal["integer", "string"]
    description: str
    where: Literal["query", "path"] = "query"
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    default: Any = None

    def schema(self) -> dict[str, Any]:
        if self.kind == "integer":
            schema: dict[str, Any] = {"type": "integer"}
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        elif self.enum:
            schema = {"type": "string", "enum": list(self.enum)}
        else:
            schema = {"type": "string", "minLength": 1, "pattern": "^[^\\u0000]+$"}
            if self.max_length is not None:
                schema["maxLength"] = self.max_length
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def read(self, raw: str) -> Any:
        """The value of ``raw`` (as it came in the URL); raises ParamError with a sentence."""
        if raw == "":
            raise ParamError(f"{self.name} must not be empty: leave it out or give a value")
        if "\x00" in raw:
            raise ParamError(f"{self.name} must not contain a NUL byte")
        if self.kind == "integer":
            return self._integer(raw)
        if self.enum and raw not in self.enum:
            raise ParamError(f"{self.name} must be one of {', '.join(self.enum)}, not {_shown(raw)}")
        if self.max_length is not None and len(raw) > self.max_length:
            raise ParamError(f"{self.name} must be at most {self.max_length} characters long")
        return raw

    def _integer(self, raw: str) -> int:
        if not _INTEGER.fullmatch(raw):
            raise ParamError(f"{self.name} must be a whole number, not {_shown(raw)}")
        value = int(raw)
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ParamError(f"{self.name} must be a whole number from {low} to {high}")
        return value


def _shown(raw: str) -> str:
    return repr(raw) if len(raw) <= 40 else repr(raw[:37] + "...")


def ident(name: str, what: str, where: Literal["query", "path"] = "query") -> Param:
    """A row id: a positive 64-bit integer."""
    return Param(name, "integer", what, where=where, minimum=1, maximum=INT64_MAX)


def text(name: str, what: str, max_length: int) -> Param:
    return Param(name, "string", what, max_length=max_length)


def choice(name: str, what: str, values: tuple[str, ...]) -> Param:
    return Param(name, "string", what, enum=values)


PAGE = (
    Param("limit", "integer", "how many items at most", minimum=1, maximum=500, default=100),
    Param("after", "integer", "only items with a greater id (the previous page's next_after)", minimum=0, maximum=INT64_MAX, default=0),
)


@dataclass(frozen=True)
class Answer:
    """One possible answer of an operation: its status, what it means, and its JSON schema
    (or ``media`` for an answer that is not JSON)."""

    status: int
    description: str
    schema: Mapping[str, Any] | None = None
    media: str = "application/json"


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes and every answer it may give."""

    method: str
    path: str
    operation_id: str
    summary: str
    answers: tuple[Answer, ...]
    params: tuple[Param, ...] = ()
    body: Mapping[str, Any] | None = None
    """The JSON schema of the request body, or None for an operation that reads none."""
    body_media: str = "application/json"
    admin: bool = True
    """Behind the admin bearer token (401 without it, 403 while the admin API is off)."""
    tags: tuple[str, ...] = field(default=())

    def read_params(self, path_params: Mapping[str, str], query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """Every declared parameter that was given (path ones always are), read and checked.

        ``query`` is every (name, value) pair of the query string, in order. Raises ParamError
        with the sentence for the first one that does not fit: an undeclared name (a typo such
        as ``?stat=failed`` would otherwise list everything) or a name given twice included.
        """
        declared = {p.name: p for p in self.params if p.where == "query"}
        given: dict[str, str] = {}
        for name, value in query:
            if name not in declared:
                known = ", ".join(declared) or "none"
                raise ParamError(f"unknown parameter {_shown(name)} (this route takes: {known})")
            if name in given:
                raise ParamError(f"{name} is given twice; give it once")
            given[name] = value
        values: dict[str, Any] = {}
        for param in self.params:
            source = path_params if param.where == "path" else given
            if param.name in source:
                values[param.name] = param.read(source[param.name])
            elif param.default is not None:
                values[param.name] = param.default
        return values


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "what is wrong, as a sentence"}},
    "additionalProperties": False,
}


def nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


TIME = {"type": "string", "format": "date-time"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}


def page_of(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {"items": {"type": "array", "items": item}, "next_after": nullable("integer")},
    }


def obj(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object with exactly these properties, all present."""
    return {"type": "object", "required": list(properties), "properties": dict(properties)}
