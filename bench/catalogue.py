"""The first import of a large catalogue, against merely GETting the same pages, same run.

    .venv/bin/python bench/catalogue.py [--products 50000] [--folder DIR]

The shop is the WooCommerce sandbox in its own process (bench/shop.py) with ``--products``
products, one in ten variable with three variations. Two things run against it, each in a
process of its own, with the same client settings:

- **GET only** (the baseline, before and after the import): the WooCommerce connector's poll of
  the whole catalogue (every product page, and every variable product's variation pages), each
  page read and dropped;
- **import**: ``connect-hub import shop products`` on a fresh embedded store (SQLite): the same
  pages, every item stored as an Event, imported into a record, and waited for.

Printed: both times and their ratio, the peak RSS of each process (from ``wait4``), and whether
every product and variation became a record.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
KEY, SECRET = "ck_bench_catalogue", "cs_bench_catalogue"
ENV = {"CATALOGUE_SECRET_KEY": "bench-secret-key-0123456789abcdef", "CATALOGUE_SHOP_KEY": KEY, "CATALOGUE_SHOP_SECRET": SECRET}
CLIENT_SETTINGS = {"requests_per_second": 1000, "max_concurrency": 4, "timeout": 60}
"""The shop client's settings for both runs: the sandbox answers fast, so no throttle is needed."""

CONFIG = """\
account: catalogue
store: sqlite://{db}
broker: memory://
secret_key: ${{CATALOGUE_SECRET_KEY}}
integrations:
  shop:
    connector: woocommerce
    preset: shop-with-efulfillment
    settings:
      url: {url}
      api_key: ${{CATALOGUE_SHOP_KEY}}
      api_secret: ${{CATALOGUE_SHOP_SECRET}}
      webhook_secret: ${{CATALOGUE_SHOP_KEY}}
      requests_per_second: {requests_per_second}
      max_concurrency: {max_concurrency}
      timeout: {timeout}
  warehouse:
    connector: efulfillment
    preset: fulfilment
    settings:
      url: http://127.0.0.1:9
      api_key: ${{CATALOGUE_SHOP_KEY}}
"""


def run_measured(argv: list[str], log: Path) -> tuple[float, float, int]:
    """Run a process to its end: (wall seconds, peak RSS in MB, exit code)."""
    with open(log, "wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **ENV, "PYTHONUNBUFFERED": "1"})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        return time.monotonic() - started, usage.ru_maxrss / 1024, process.returncode


def get_pages(url: str) -> None:
    """The baseline: the connector's own poll of the catalogue, each page read and dropped."""
    import asyncio

    from connect_hub.manifest import DataType
    from connect_hub_woocommerce.client import WooClient
    from connect_hub_woocommerce.polling import poll

    async def go() -> tuple[int, int]:
        client = WooClient(url, KEY, SECRET, timeout=CLIENT_SETTINGS["timeout"], max_concurrency=CLIENT_SETTINGS["max_concurrency"],
                           requests_per_second=CLIENT_SETTINGS["requests_per_second"])
        pages = items = 0
        try:
            async for page in poll(client, DataType.PRODUCTS, None, first_import=None):
                pages += 1
                items += len(page.items)
        finally:
            await client.aclose()
        return pages, items

    pages, items = asyncio.run(go())
    print(json.dumps({"pages": pages, "items": items}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--get-pages", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.get_pages:
        get_pages(args.get_pages)
        return 0
    folder = args.folder or Path(tempfile.mkdtemp(prefix="connect-hub-catalogue-"))
    folder.mkdir(parents=True, exist_ok=True)
    shop_log = open(folder / "shop.log", "wb")  # noqa: SIM115 - closed below
    shop = subprocess.Popen([sys.executable, str(BENCH / "shop.py"), "--products", str(args.products), "--key", KEY, "--secret", SECRET],
                            stdout=subprocess.PIPE, stderr=shop_log, cwd=ROOT)
    try:
        assert shop.stdout is not None
        first = shop.stdout.readline().decode().split()
        if not first:
            print(f"the sandbox did not start: {(folder / 'shop.log').read_text()[-2000:]}")
            return 1
        url, products, variations = first[0], int(first[1]), int(first[2])
        get_argv = [sys.executable, str(BENCH / "catalogue.py"), "--get-pages", url]
        get_before = run_measured(get_argv, folder / "get-1.log")
        db = folder / "hub.db"
        config = folder / "catalogue.yaml"
        config.write_text(CONFIG.format(db=db, url=url, **CLIENT_SETTINGS))
        imported = run_measured([sys.executable, "-m", "connect_hub.cli", "import", "shop", "products", "--config", str(config)],
                                folder / "import.log")
        get_after = run_measured(get_argv, folder / "get-2.log")
    finally:
        shop.terminate()
        shop.wait(timeout=30)
        shop_log.close()
    if imported[2] != 0 or get_before[2] != 0:
        print(f"a run failed: import {imported[2]}, GET {get_before[2]}: {(folder / 'import.log').read_text()[-2000:]}")
        return 1
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    records = con.execute("SELECT COUNT(*) FROM hub_record WHERE data_type = 'products'").fetchone()[0]
    events = dict(con.execute("SELECT state, COUNT(*) FROM hub_event GROUP BY state").fetchall())
    con.close()
    get_seconds = (get_before[0] + get_after[0]) / 2
    expected = products + variations
    print(f"catalogue: {products} products, {variations // 3} of them variable with {variations} variations ({expected} items)")
    print(f"GET only: {get_before[0]:.1f} s before the import, {get_after[0]:.1f} s after; peak RSS {max(get_before[1], get_after[1]):.0f} MB")
    print(f"import: {imported[0]:.1f} s = {imported[0] / get_seconds:.2f}x merely GETting the same pages; peak RSS {imported[1]:.0f} MB")
    print(f"store: {records} product records, events by state {events}")
    ok = records == expected and set(events) == {"done"}
    print(f"check: every product and variation is a record, every event done ... {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
