"""The README's screenshots (README.md, top): the home, search and project pages of a demo history, in
Debian's Chromium. Run with ``make screenshots``; it writes tests/browser/screenshots/*.png.

Usage: python -m tests.browser.screenshots"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests import support
from tests.browser.conftest import CHROMIUM, FLAGS

OUT = Path(__file__).resolve().parent / "screenshots"
WIDTH, HEIGHT = 1100, 900


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = support.pipeline_env(PIPELINE_OUTBOX_DIR=str(work / "outbox"))
        support.run_cli("demo", "--councils", "40", "--projects", "30", env=env, cwd=work, timeout=600)
        support.run_cli("init", env=env, cwd=work)  # after the demo, which needs a new store
        with support.server(env, work / "server.log", cwd=work) as base, sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(base + "/")
            page.screenshot(path=str(OUT / "home.png"))
            page.goto(base + "/projects?q=online")
            page.screenshot(path=str(OUT / "search.png"))
            page.goto(base + "/projects?goal_state=met&include_archived=true")
            page.get_by_role("main").get_by_role("link").filter(has_not_text="Clear").first.click()
            page.screenshot(path=str(OUT / "project.png"), full_page=True)
            browser.close()
    print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
