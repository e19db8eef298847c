"""The shared browser fixture works here: Debian's chromium, headless, with and without JavaScript."""

from __future__ import annotations

from browser import Browser, browser, browser_without_js  # noqa: F401

PAGE = "data:text/html,<h1>hello</h1><noscript><p>no script</p></noscript><p id=x>static</p><script>x.textContent='script ran'</script>"


def test_the_browser_runs_scripts_and_saves_screenshots(browser: Browser) -> None:  # noqa: F811
    browser.open(PAGE)
    assert browser.text.splitlines() == ["hello", "script ran"]
    shot = browser.screenshot("hello")
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_the_browser_without_javascript_shows_noscript_content(browser_without_js: Browser) -> None:  # noqa: F811
    browser_without_js.open(PAGE)
    assert browser_without_js.text.splitlines() == ["hello", "no script", "static"]
