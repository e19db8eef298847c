"""The sandbox shop's modules import one way: no module imports one that imports it back."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from connect_hub_woocommerce import sandbox

PACKAGE = "connect_hub_woocommerce.sandbox"


def sandbox_imports() -> dict[str, set[str]]:
    """Each sandbox module and the sandbox modules it imports (TYPE_CHECKING ones included)."""
    graph: dict[str, set[str]] = {}
    for path in Path(sandbox.__file__).parent.glob("*.py"):
        name = path.stem
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == PACKAGE:
                    found.update(alias.name for alias in node.names)
                elif node.module.startswith(f"{PACKAGE}."):
                    found.add(node.module.removeprefix(f"{PACKAGE}.").split(".")[0])
        graph[name] = found - {name}
    return graph


def test_sandbox_modules_import_one_way():
    graph = sandbox_imports()
    inner = {name: deps for name, deps in graph.items() if name not in ("__init__", "__main__")}
    for deps in inner.values():
        deps.discard("__init__")
    try:
        order = list(TopologicalSorter(inner).static_order())
    except CycleError as exc:
        raise AssertionError(f"sandbox modules import each other in a circle: {exc.args[1]}")
    assert order.index("values") < order.index("state") < order.index("app")
