"""A real browser for the tests of pages: Debian's chromium, headless, driven by chromedriver.

Use the ``browser`` fixture (import it into a conftest or a test module: ``from browser import
browser``). It starts ``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (Selenium from
PyPI, never a browser download: a driver path given to Selenium skips its Selenium Manager), with
a fresh profile and no background networking, and quits it after the test. Screenshots go to
``test-artifacts/<test name>/`` (``CONNECT_HUB_TEST_ARTIFACTS`` moves the folder), where CI keeps
them. Under ``CI=true`` a missing chromium or chromedriver fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CONNECT_HUB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CONNECT_HUB_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("CONNECT_HUB_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
)
DESKTOP = (1280, 900)
PHONE = (390, 844)


class Browser:
    """A thin layer over a Selenium WebDriver: open pages, find, type, wait, take screenshots."""

    def __init__(self, driver: Any, artifacts: Path):
        self.driver = driver
        self.artifacts = artifacts
        self.shots: list[Path] = []

    def open(self, url: str) -> None:
        self.driver.get(url)

    @property
    def url(self) -> str:
        return self.driver.current_url

    @property
    def text(self) -> str:
        """The visible text of the page."""
        return self.driver.find_element("css selector", "body").text

    def find(self, css: str) -> Any:
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str) -> list[Any]:
        return self.driver.find_elements("css selector", css)

    def fill(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def wait_for(self, condition: Callable[[], Any], timeout: float = 15.0, what: str = "the page") -> Any:
        """Poll ``condition`` until it is true (exceptions count as not yet); its last value."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def check(_: Any) -> Any:
            try:
                return condition()
            except Exception:  # noqa: BLE001 - an element mid-update is retried
                return False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(check)
        except TimeoutException:
            self.screenshot("timed-out")
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; page text:\n{self.text[:3000]}") from None

    def wait_for_text(self, needle: str, css: str = "body", timeout: float = 15.0) -> None:
        self.wait_for(lambda: needle in self.find(css).text, timeout, what=f"{needle!r} in {css}")

    def resize(self, size: tuple[int, int]) -> None:
        self.driver.set_window_size(*size)

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the window as ``NN-name.png`` in this test's artifact folder."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        self.driver.save_screenshot(str(path))
        self.shots.append(path)
        return path

    def run_js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)


def _require(path: str, package: str) -> None:
    if Path(path).is_file():
        return
    message = f"{path} is missing (apt-get install {package})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: CI must run the browser tests")
    pytest.skip(message)


def start_browser(profile: Path, artifacts: Path, *, javascript: bool = True) -> Browser:
    """Start headless chromium with a fresh profile in ``profile``; quit it with ``driver.quit()``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    _require(CHROMIUM, "chromium")
    _require(CHROMEDRIVER, "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return Browser(driver, artifacts)


def _artifacts_for(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Headless chromium for one test, with JavaScript on."""
    started = start_browser(tmp_path / "chromium-profile", _artifacts_for(request))
    try:
        yield started
    finally:
        started.driver.quit()


@pytest.fixture
def browser_without_js(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Headless chromium for one test, with JavaScript off (pages must still read)."""
    started = start_browser(tmp_path / "chromium-profile-nojs", _artifacts_for(request), javascript=False)
    try:
        yield started
    finally:
        started.driver.quit()
