"""Fixtures for the tests against a real WordPress + WooCommerce (marked ``realshop``).

``realshop`` (session): the running shop of ``shop.py``. Without the archives or PHP/MariaDB the
tests skip with a sentence saying how to get them; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from realshop.shop import RealShop, Unavailable, bring_up

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.realshop)


@pytest.fixture(scope="session")
def realshop() -> Iterator[RealShop]:
    """One real shop for the whole session (tests add what they need; none relies on emptiness)."""
    try:
        shop = bring_up()
    except Unavailable as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real shop cannot run: {missing} (CI must run the realshop tests)")
        pytest.skip(str(missing))
    try:
        yield shop
    finally:
        shop.stop()
