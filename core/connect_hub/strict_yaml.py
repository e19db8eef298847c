"""Strict YAML for account files: every mistake named at the line where it is written.

- A key written twice in one mapping is an error naming both lines (plain YAML keeps the
  second silently: a shop could become a warehouse).
- A tab in the indentation gets "use spaces, not tabs".
- A syntax error names the line where the mistake is, not where the parser noticed it: the
  key without ``:``, the quote or bracket that is never closed, the ``key:value`` without a
  space.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from connect_hub.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_SPACE_AFTER_COLON = re.compile(r"^\s*(?:- )?[A-Za-z_][\w.-]*:(?=[^\s/:])")


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: let PyYAML refuse it as usual
                continue
            if first is not None:
                raise _DuplicateKey(key, first.start_mark, key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark):
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def load_yaml(text: str, *, file: str) -> Any:
    """The document in ``text``; raises :class:`ConfigError` naming ``file`` and the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: builds no arbitrary objects
    except _DuplicateKey as dup:
        place = f"line {dup.again.line + 1}, column {dup.again.column + 1}"
        raise ConfigError(f"duplicate key {dup.key!r}, first written on line {dup.first.line + 1}", file=file, path=place) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(text, exc, file) from None


def _syntax_error(text: str, exc: yaml.YAMLError, file: str) -> ConfigError:
    lines = text.splitlines()
    problem_mark = getattr(exc, "problem_mark", None)
    last = problem_mark.line if problem_mark else len(lines) - 1
    for number in range(min(last, len(lines) - 1), -1, -1):
        indentation = lines[number][: len(lines[number]) - len(lines[number].lstrip(" \t"))]
        if "\t" in indentation:
            return ConfigError("a tab in the indentation: use spaces, not tabs", file=file, path=_at(number, indentation.index("\t")))
    problem = _plain(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    context, context_mark = getattr(exc, "context", None) or "", getattr(exc, "context_mark", None)
    if "stream end" in problem or "end of stream" in problem:
        opener = _unclosed_bracket(lines)
        if opener is not None:
            line, column, char = opener
            return ConfigError(f"not valid YAML: this {char!r} is never closed", file=file, path=_at(line, column))
    if context_mark is not None and context.startswith("while scanning a quoted scalar"):
        return ConfigError("not valid YAML: this quoted text is never closed", file=file, path=_at(context_mark.line, context_mark.column))
    if context_mark is not None and context.startswith(("while scanning a simple key", "while parsing a flow")):
        return ConfigError(f"not valid YAML: {problem}", file=file, path=_at(context_mark.line, context_mark.column))
    for number in range(min(last, len(lines) - 1), -1, -1):
        if _NO_SPACE_AFTER_COLON.match(lines[number]):
            column = lines[number].index(":")
            return ConfigError("not valid YAML: put a space after ':' (key: value)", file=file, path=_at(number, column))
    if problem_mark is None:
        return ConfigError(f"not valid YAML: {problem}", file=file)
    return ConfigError(f"not valid YAML: {problem}", file=file, path=_at(problem_mark.line, problem_mark.column))


def _plain(problem: str) -> str:
    """PyYAML's words for the usual mistakes, in the user's."""
    if problem.startswith("expected <block end>"):
        return "this line is indented differently from the lines above it"
    if problem == "could not find expected ':'":
        return "this line has no ':' after its key"
    if problem == "mapping values are not allowed here":
        return "a ':' where none may be (quote a value that holds ': ')"
    return problem


def _at(line: int, column: int) -> str:
    return f"line {line + 1}, column {column + 1}"


def _unclosed_bracket(lines: list[str]) -> tuple[int, int, str] | None:
    """Where the last ``[`` or ``{`` that is never closed was opened (quotes and comments
    skipped), or None."""
    stack: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines):
        quote = ""
        for column, char in enumerate(line):
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "#" and (column == 0 or line[column - 1] in " \t"):
                break
            elif char in "[{":
                stack.append((number, column, char))
            elif char in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None
