"""Connector packages as an author makes them: `connect-hub new-connector` output and the
tutorial's MiniCRM example, each pip-installed into a fresh virtual environment and put through
its own tests, the hub's contract suite among them.

The fresh environment sees this checkout's environment through a ``.pth`` file (the hub and its
dependencies, as ``pip install connect-hub`` would bring them), so the test needs no package index
for them; each connector is built and installed by pip like any package, its entry point
registered in the new environment.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from support import ENV, REPO

EXAMPLE = REPO / "examples" / "minicrm"


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env={**env, **ENV, "COLUMNS": "200"}, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtual environment that also sees this checkout's environment."""
    home = tmp_path_factory.mktemp("venv")
    made = run(sys.executable, "-m", "venv", home, cwd=home)
    assert made.returncode == 0, made.stderr
    python = home / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=home).stdout.strip()
    (Path(purelib) / "connect_hub_environment.pth").write_text(f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    return python


def pip_install(python: Path, package: Path) -> None:
    installed = run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", package, cwd=package)
    assert installed.returncode == 0, installed.stdout + installed.stderr


def assert_all_passed(result: subprocess.CompletedProcess) -> None:
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", summary) and not re.search(r"failed|error|skipped|xfail", summary), summary


def test_new_connector_refuses_a_bad_name_and_a_folder_in_use(tmp_path: Path) -> None:
    bad = run(sys.executable, "-m", "connect_hub.cli", "new-connector", "My-CRM", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: a connector name is lower-case letters and digits, words joined by '_' (like my_crm), got 'My-CRM'"
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    taken = run(sys.executable, "-m", "connect_hub.cli", "new-connector", "acme", "--path", "taken", cwd=tmp_path)
    assert taken.returncode == 2 and "taken already exists and is not empty" in taken.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_new_connector_writes_the_whole_package(tmp_path: Path) -> None:
    made = run(sys.executable, "-m", "connect_hub.cli", "new-connector", "acme_crm", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "connect-hub-acme-crm"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "connect_hub_acme_crm/__init__.py", "connect_hub_acme_crm/client.py", "connect_hub_acme_crm/contacts.py",
        "connect_hub_acme_crm/hooks.py", "connect_hub_acme_crm/manifest.py", "connect_hub_acme_crm/mapping.py",
        "connect_hub_acme_crm/simulator.py", "connect_hub_acme_crm/webhooks.py",
        "pyproject.toml",
        "tests/conftest.py", "tests/test_acme_crm_contract.py", "tests/test_acme_crm_mapping.py",
    ]
    for path in root.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), f"{path}: a placeholder was left"
    assert '[project.entry-points."connect_hub.plugins"]\nacme_crm = "connect_hub_acme_crm.hooks"' in (root / "pyproject.toml").read_text()
    compiled = run(sys.executable, "-m", "compileall", "-q", root, cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout


@pytest.mark.slow
def test_a_new_connector_installs_and_passes_the_contract_suite_as_generated(tmp_path: Path, fresh_python: Path) -> None:
    made = run(fresh_python, "-m", "connect_hub.cli", "new-connector", "acme_crm", "--path", "acme", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    pip_install(fresh_python, tmp_path / "acme")
    shutil.rmtree(tmp_path / "acme" / "connect_hub_acme_crm")  # the tests use the installed package
    assert_all_passed(run(fresh_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path / "acme"))
    (tmp_path / "acme.yaml").write_text(
        "account: acme\nsecret_key: ${TEST_HUB_SECRET_KEY}\nintegrations:\n  crm:\n    connector: acme_crm\n"
        "    settings: {url: 'https://crm.example', token: '${TEST_SHOP_KEY}'}\n"
    )
    checked = run(fresh_python, "-m", "connect_hub.cli", "check-config", "acme.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "contacts" in checked.stdout and "acme_crm" in checked.stdout


@pytest.mark.slow
def test_the_tutorials_minicrm_example_installs_and_passes_the_contract_suite(tmp_path: Path, fresh_python: Path) -> None:
    pip_install(fresh_python, EXAMPLE)
    shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    shutil.copy(EXAMPLE / "pyproject.toml", tmp_path / "pyproject.toml")  # its pytest settings, not its code
    result = run(fresh_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert_all_passed(result)
    assert "TestMiniCrmContract" in run(fresh_python, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider", cwd=tmp_path).stdout
