"""The newcomer's first run: ``connect-hub demo`` on the shipped account file ends with the same
truthful summary every time, counted from the store that ``status`` reads beside it, and never
prints a traceback; ``status`` says plainly when there is no store yet."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO, free_port

pytestmark = pytest.mark.slow


def demo_config(tmp_path: Path) -> Path:
    """config/embedded.yaml as shipped, on free ports and a store in ``tmp_path``."""
    text = (REPO / "config" / "embedded.yaml").read_text()
    hub, shop, warehouse = free_port(), free_port(), free_port()
    text = text.replace("port: 8080", f"port: {hub}").replace("127.0.0.1:8080", f"127.0.0.1:{hub}")
    text = text.replace("127.0.0.1:8090", f"127.0.0.1:{shop}").replace("127.0.0.1:8091", f"127.0.0.1:{warehouse}")
    text = text.replace("sqlite://var/connect-hub.db", f"sqlite://{tmp_path}/var/connect-hub.db")
    file = tmp_path / "embedded.yaml"
    file.write_text(text)
    return file


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connect_hub.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=240, check=False)


def summary_of(output: str) -> str:
    return output[output.index("summary (counted from the store)"):]


def test_the_demo_shows_the_same_settled_summary_twice_and_status_reads_its_store(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    before = cli("status", "--config", str(config), cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert "there is no store yet at" in before.stdout and "Traceback" not in before.stdout + before.stderr

    running = subprocess.Popen([sys.executable, "-m", "connect_hub.cli", "demo", "--config", str(config)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    store = tmp_path / "var" / "connect-hub.db"
    deadline = time.monotonic() + 60
    while not store.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    beside = cli("status", "--config", str(config), cwd=tmp_path)
    first, _ = running.communicate(timeout=240)
    second = cli("demo", "--config", str(config), cwd=tmp_path)

    assert beside.returncode == 0, beside.stdout + beside.stderr
    assert "Traceback" not in beside.stdout + beside.stderr
    assert "account demo" in beside.stdout or "has no tables yet" in beside.stdout
    for output, code in ((first, running.returncode), (second.stdout + second.stderr, second.returncode)):
        assert "Traceback" not in output, output
        assert code == 0, output[-3000:]
        assert "the loop settled" in output and "failures: none" in output, output[-3000:]
        assert f"the demo's store: {store}" in output
    assert summary_of(first) == summary_of(second.stdout)
    rows = dict(re.findall(r"│ (\w+ +│ \w+) +│ +(\d+) │", summary_of(first)))
    assert {re.sub(r" +│ ", "/", k): int(v) for k, v in rows.items()} == {
        "shop/shipments": 5, "shop/stocks": 6, "warehouse/orders": 6,
    }
    assert "orders placed in shop: 6, of which cancelled before shipping: 1" in first

    after = cli("status", "--config", str(config), cwd=tmp_path)
    assert after.returncode == 0 and "account demo" in after.stdout
    assert max(len(line) for line in after.stdout.splitlines()) > 80  # not squeezed into 80 columns in a pipe


def test_commands_that_read_the_store_say_plainly_when_there_is_none(tmp_path: Path) -> None:
    config = demo_config(tmp_path)
    replay = cli("replay", "--all-failed", "--config", str(config), cwd=tmp_path)
    assert replay.returncode == 2
    assert "there is no store yet at" in replay.stderr and "Traceback" not in replay.stderr
    assert not (tmp_path / "var" / "connect-hub.db").exists()  # reading created nothing
