"""Real-browser tests: Playwright's sync API driving the system Chromium.

Never run `playwright install`: the browser is the distribution's /usr/bin/chromium.
Without it these tests are skipped, unless FORGECRM_REQUIRE_BROWSER=1 makes that a failure.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# ORM calls from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _no_browser(reason: str) -> None:
    if os.environ.get("FORGECRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (FORGECRM_REQUIRE_BROWSER=1 requires the browser tests to run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} not found; install the distribution's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh desktop-sized page; fails the test on any failed request or JS error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("pageerror", lambda error: problems.append(f"JS error: {error}"))
    page.problems = problems
    # Anything the Content-Security-Policy blocked is a page that no longer works fully.
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert blocked == [], blocked


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
