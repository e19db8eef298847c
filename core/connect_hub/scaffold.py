"""``connect-hub new-connector NAME``: a connector package written from the template.

The template (``connect_hub/template/``) is a whole connector for a small contacts API, with a
fake of that API, that installs and passes the contract suite as written. Placeholders in its
files: ``{{name}}`` (``my_crm``: the entry point and the ``connector:`` in YAML), ``{{package}}``
(``connect_hub_my_crm``), ``{{dist}}`` (``connect-hub-my-crm``), ``{{title}}`` (``My Crm``),
``{{Class}}`` (``MyCrm``) and ``{{upper}}`` (``MY_CRM``).
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATE = Path(__file__).parent / "template"
NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class ScaffoldError(ValueError):
    """The name or the target folder will not do; the text says why."""


def placeholders(name: str) -> dict[str, str]:
    """What each placeholder of the template becomes for a connector called ``name``."""
    if not NAME.match(name) or len(name) > 40:
        raise ScaffoldError(f"a connector name is lower-case letters and digits, words joined by '_' (like my_crm), got {name!r}")
    words = name.split("_")
    return {
        "name": name,
        "package": f"connect_hub_{name}",
        "dist": "connect-hub-" + "-".join(words),
        "title": " ".join(w.capitalize() for w in words),
        "Class": "".join(w.capitalize() for w in words),
        "upper": name.upper(),
    }


def _target_name(relative: Path, values: dict[str, str]) -> Path:
    parts = list(relative.with_suffix("").parts)  # drop .tmpl
    if parts[0] == "package":
        parts[0] = values["package"]
    if parts[0] == "tests" and parts[-1].startswith("test_"):
        parts[-1] = f"test_{values['name']}_{parts[-1].removeprefix('test_')}"
    return Path(*parts)


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def write_connector(name: str, target: Path) -> list[Path]:
    """Write the package for ``name`` into ``target`` (which must not exist or be empty)."""
    values = placeholders(name)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not empty: choose another --path")
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        path = target / _target_name(source.relative_to(TEMPLATE), values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(source.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(path)
    return written
