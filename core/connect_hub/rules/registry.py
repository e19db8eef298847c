"""The registries of rule operators and actions that plugins add to, and what an action returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connect_hub.rules.effects import EffectEnv
    from connect_hub.rules.paths import FieldSpec

ARGUMENTS = ("value", "values", "pair", "flag", "regex", "age", "raw")
"""How an operator's ``value`` is read: one value of the field's kind, a list of them, two of
them (``[low, high]``), an optional true/false, a regular expression, an age (``30d``), or as
written (``raw``, the default for plugins)."""


@dataclass(frozen=True)
class Operator:
    """A comparison: ``test(value, argument) -> bool`` on one value of the field."""

    name: str
    test: Callable[[Any, Any], bool]
    kinds: frozenset[str] | None = None
    """Field kinds it fits (``text``, ``number``, ``date``, ``bool``, ``list``, ``object``);
    None fits any."""
    argument: str = "raw"


@dataclass(frozen=True)
class Effect:
    """A side effect an action asks for (an e-mail, an HTTP call): run once, after the commit.

    ``run(env, data)`` gets the object's final JSON and returns a line saying what it did.
    """

    rule: str
    action: str
    description: str
    run: Callable[[EffectEnv, dict[str, Any]], Awaitable[str]]


@dataclass
class ActionOutcome:
    """What an action did: ``block`` stops the import or export; ``note`` is recorded; ``effect``
    runs after the decision is committed (never in a dry run)."""

    block: bool = False
    note: str = ""
    effect: Effect | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ActionTarget:
    """What an action's ``prepare`` may check its argument against when the rules load."""

    rule: str
    stage: str
    data_type: str
    resolve: Callable[[str], FieldSpec]
    """The spec of a field path of the data type; ValueError when it names nothing."""
    integrations: frozenset[str] | None
    """The account's integration names; None when the rules are checked without an account."""
    smtp: bool
    """Whether the account configures an SMTP server."""


@dataclass(frozen=True)
class Action:
    """``run(data, argument, context) -> ActionOutcome``; may change ``data`` (the object's JSON).

    ``prepare(argument, target)`` checks the argument when the rules load (ValueError says what
    is wrong) and returns what ``run`` receives.
    """

    name: str
    run: Callable[..., ActionOutcome]
    prepare: Callable[[Any, ActionTarget], Any] | None = None


class OperatorRegistry:
    """Comparison operators by name; refuses a name registered twice."""

    def __init__(self) -> None:
        self._items: dict[str, Operator] = {}

    def add(
        self,
        name: str,
        test: Callable[[Any, Any], bool],
        *,
        kinds: Iterable[str] | None = None,
        argument: str = "raw",
    ) -> None:
        """Register ``test(value, argument) -> bool``: plain and pure. ``kinds`` limits the field
        kinds it fits; ``argument`` says how the rule's ``value`` is read (see ARGUMENTS)."""
        if name in self._items:
            raise ValueError(f"rule operator {name!r} is registered twice")
        if argument not in ARGUMENTS:
            raise ValueError(f"rule operator {name!r}: argument must be one of {', '.join(ARGUMENTS)}")
        self._items[name] = Operator(name, test, frozenset(kinds) if kinds is not None else None, argument)

    def get(self, name: str) -> Operator | None:
        return self._items.get(name)

    def names(self) -> list[str]:
        return sorted(self._items)


class ActionRegistry:
    """Actions by name; refuses a name registered twice."""

    def __init__(self) -> None:
        self._items: dict[str, Action] = {}

    def add(
        self,
        name: str,
        run: Callable[..., ActionOutcome],
        *,
        prepare: Callable[[Any, ActionTarget], Any] | None = None,
    ) -> None:
        """Register ``run(data, argument, context) -> ActionOutcome``; ``prepare(argument, target)``
        checks and compiles the argument when the rules load."""
        if name in self._items:
            raise ValueError(f"rule action {name!r} is registered twice")
        self._items[name] = Action(name, run, prepare)

    def get(self, name: str) -> Action | None:
        return self._items.get(name)

    def names(self) -> list[str]:
        return sorted(self._items)
