"""The registry through which plugins add commands to ``connect-hub`` (``hub_register_commands``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer

from connect_hub.errors import PluginError

F = TypeVar("F", bound=Callable[..., Any])


class CommandRegistry:
    """Adds plugins' commands to a typer app; refuses a name the core or another plugin took.

    The caller sets :attr:`plugin` before each plugin's hook and calls :meth:`commit` after it:
    a plugin's commands join the app all together, or (when its hook fails) not at all.
    """

    def __init__(self, app: typer.Typer):
        self._app = app
        self._owners: dict[str, str] = {name: "the core" for name in command_names(app)}
        self._pending: list[Callable[[], None]] = []
        self._claimed: list[str] = []
        self.plugin = ""
        """The plugin whose commands are being added."""

    def _claim(self, name: str) -> None:
        owner = self._owners.get(name) or ("it" if name in self._claimed else None)
        if owner is not None:
            raise PluginError(f"plugin {self.plugin!r} adds the command {name!r}, which {owner} already has")
        self._claimed.append(name)

    def command(self, name: str, **options: Any) -> Callable[[F], F]:
        """A decorator like typer's ``app.command(name, ...)``."""
        self._claim(name)

        def decorate(function: F) -> F:
            self._pending.append(lambda: self._app.command(name, **options)(function))
            return function

        return decorate

    def add_typer(self, group: typer.Typer, *, name: str, **options: Any) -> None:
        """Add a group of subcommands under ``name``, like typer's ``app.add_typer``."""
        self._claim(name)
        self._pending.append(lambda: self._app.add_typer(group, name=name, **options))

    def commit(self) -> None:
        """Add the current plugin's commands to the app."""
        for add in self._pending:
            add()
        self._owners.update({name: f"plugin {self.plugin!r}" for name in self._claimed})
        self.discard()

    def discard(self) -> None:
        """Forget the current plugin's commands (its hook failed)."""
        self._pending, self._claimed = [], []

    def owner(self, name: str) -> str | None:
        """Who added the command ``name``: ``the core``, ``plugin 'x'``, or None."""
        return self._owners.get(name)


def command_names(app: typer.Typer) -> list[str]:
    """The names of an app's commands and groups, as the command line spells them."""
    names = [c.name or (c.callback.__name__.replace("_", "-") if c.callback else "") for c in app.registered_commands]
    return names + [g.name for g in app.registered_groups if g.name]
