"""The pages in production mode: gunicorn, PostgreSQL, Redis and a separate ``pipeline
worker`` applying the views. A page written to and then read shows the write at once: the
page's reads pass the position of this browser's last write (read-your-writes)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import support
from tests.browser.site import Site, assert_accessible, sign_in


@pytest.fixture(scope="module")
def production(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    request.getfixturevalue("redis_available")
    workdir = tmp_path_factory.mktemp("production")
    url = support.create_database(template=request.getfixturevalue("pg_template"))
    env = support.pipeline_env(
        DATABASE_URL=url,
        REDIS_URL=support.REDIS_URL,
        PIPELINE_QUEUE=f"pages-{uuid.uuid4().hex[:8]}",
        WEB_CONCURRENCY="2",
        PIPELINE_OUTBOX_DIR=str(workdir / "outbox"),
        **support.ROOMY_LIMITS,
    )
    support.run_cli("init", env=env)
    worker = support.Process(["worker"], env, Path(workdir) / "worker.log")
    try:
        with support.server(env, workdir / "server.log") as base:
            yield Site(base, workdir / "outbox", workdir / "server.log")
    finally:
        worker.stop()
        support.drop_database(url)


def test_a_proposal_and_a_follow_show_at_once_on_the_next_page(page: Page, production: Site) -> None:
    owner, reader = production.person("KHL"), production.person("BRE")
    sign_in(page, production, owner)
    title = f"Production pages {uuid.uuid4().hex[:8]}"
    page.goto(production.base + "/projects/new")
    page.locator("#title").fill(title)
    page.locator("#summary").fill("Proposed through the pages, read back through a worker's view.")
    page.get_by_role("button", name="Propose the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    project_url = page.url
    assert_accessible(page)

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, production, reader)
    page.goto(project_url)
    page.get_by_role("button", name="Follow this project").click()
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
    expect(page.get_by_text("1 following")).to_be_visible()
