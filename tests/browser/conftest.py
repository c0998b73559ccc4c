"""Browser tests: Playwright driving Debian's Chromium (``/usr/bin/chromium``; Playwright
never downloads a browser here) through the pages of a real ``pipeline serve`` on the
embedded default. A failed test leaves a screenshot in ``test-results/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests import support
from tests.browser.site import Site

CHROMIUM = Path("/usr/bin/chromium")
# Chromium, quiet on a machine with no internet: no background calls home, no GPU, no sandbox (root).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = support.ROOT / "test-results"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


def serve(tmp: Path, **env: str) -> Iterator[Site]:
    outbox = tmp / "outbox"
    tuning = {"PIPELINE_OUTBOX_DIR": str(outbox), "PIPELINE_SWEEP_SECONDS": "1", **support.ROOMY_LIMITS, **env}
    settings = support.pipeline_env(**tuning)
    support.run_cli("init", env=settings, cwd=tmp)
    with support.server(settings, tmp / "server.log", cwd=tmp) as base:
        yield Site(base, outbox, tmp / "server.log", env=dict(settings), workdir=tmp)


# Package scope: they end with tests/browser, so no server or Chromium idles through the rest of the run.
@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One embedded Pipeline for the browser tests (tests make their own people and projects)."""
    yield from serve(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `make browser` (apt-get install chromium) installs it.")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    yield ctx
    ctx.close()


def tab_in(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new tab; if the test failed, a full-page screenshot of it in test-results/."""
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    if request.node.stash.get(FAILED, False):
        SHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from tab_in(context, request)


@pytest.fixture
def no_js_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A tab with JavaScript switched off: every page and action must still work. (axe cannot
    run in it: the checks run in the tabs with JavaScript.)"""
    ctx = browser.new_context(java_script_enabled=False)
    yield from tab_in(ctx, request)
    ctx.close()
