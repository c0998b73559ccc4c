"""The discussion on a project page, as officers and an operator live it: a comment that
mentions the owner's council (refused first when empty), the owner's reply under it, the
author's edit, and an operator hiding a comment with a reason; then the same without
JavaScript. axe checks the thread, the forms and the error state."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests import support
from tests.browser.site import Person, Site, assert_accessible, sign_in
from tests.browser.test_participation_pledges import banner
from tests.browser.test_participation_requests import switch_to


def thread_of(page: Page) -> Locator:
    return page.get_by_role("region", name="Discussion")


def comments_in(page: Page) -> Locator:
    return thread_of(page).get_by_role("list", name="Discussion").get_by_role("listitem")


def operator(site: Site) -> Person:
    someone = site.person("KHL", name="Olive Operator")
    env = support.pipeline_env(PIPELINE_OUTBOX_DIR=str(site.outbox))
    support.run_cli("operators", "grant", someone.email, env=env, cwd=site.log.parent)
    return someone


def comment_on(page: Page, site: Site, project: dict[str, Any], text: str) -> None:
    page.goto(f"{site.base}/projects/{project['id']}")
    page.get_by_label("Add a comment").fill(text)
    page.get_by_role("button", name="Post the comment").click()
    banner(page, "Your comment is posted.")


def test_officers_discuss_a_project_and_an_operator_hides_a_comment(page: Page, site: Site) -> None:
    owner = site.person("KHL", name="Owen Owner")
    project = site.project(owner, title="Discussion story project")
    raj = site.person("BRE", name="Raj Reader")
    sign_in(page, site, raj)

    page.goto(f"{site.base}/projects/{project['id']}")
    expect(thread_of(page)).to_contain_text("No comments yet.")
    page.get_by_role("button", name="Post the comment").click()  # nothing written
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#body-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Comment").fill("Could @[KHL] share the booking code?")
    page.get_by_role("button", name="Post the comment").click()
    banner(page, "Your comment is posted.")
    first = comments_in(page).nth(0)
    expect(first).to_contain_text("Raj Reader")
    expect(first.get_by_role("link", name="@KHL")).to_have_attribute("href", re.compile(r"^/organisations/"))
    assert_accessible(page)

    switch_to(page, site, owner)
    page.goto(f"{site.base}/projects/{project['id']}")
    comments_in(page).nth(0).get_by_role("link", name=re.compile("^Reply")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply to a comment")
    assert_accessible(page)
    page.get_by_label("Your reply").fill("Yes: it is on GitHub.")
    page.get_by_role("button", name="Post the reply").click()
    banner(page, "Your reply is posted.")
    expect(comments_in(page)).to_have_count(2)
    expect(comments_in(page).nth(1)).to_contain_text("Yes: it is on GitHub.")
    expect(comments_in(page).nth(1)).to_have_class(re.compile("pipeline-discussion__comment--reply"))
    expect(comments_in(page).nth(0).get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)  # not theirs

    switch_to(page, site, raj)
    page.goto(f"{site.base}/projects/{project['id']}")
    comments_in(page).nth(0).get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_label("Comment")).to_have_value("Could @[KHL] share the booking code?")
    page.get_by_label("Comment").fill("Could @[KHL] share the booking code, please?")
    page.get_by_role("button", name="Save your comment").click()
    banner(page, "Your comment is changed.")
    expect(comments_in(page).nth(0)).to_contain_text("please?")
    expect(comments_in(page).nth(0)).to_contain_text("(edited")

    olive = operator(site)
    switch_to(page, site, olive)
    page.goto(f"{site.base}/projects/{project['id']}")
    comments_in(page).nth(1).get_by_role("link", name=re.compile("^Hide")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hide a comment")
    page.get_by_role("button", name="Hide the comment").click()  # no reason given
    expect(page.locator("#reason-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason").fill("Links to a private repository")
    page.get_by_role("button", name="Hide the comment").click()
    banner(page, "The comment is hidden.")
    expect(comments_in(page).nth(1)).to_contain_text(
        "This comment was hidden by a moderator: Links to a private repository"
    )
    expect(comments_in(page).nth(1)).not_to_contain_text("on GitHub")
    assert_accessible(page)
    stored = site.api("GET", f"/api/v1/projects/{project['id']}/comments")["items"]
    assert [(c["hidden"], c["versions"]) for c in stored] == [(False, 2), (True, 1)]

    comments_in(page).nth(1).get_by_role("link", name=re.compile("^Un-hide")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Show a hidden comment again")
    assert_accessible(page)
    page.get_by_label("Reason").fill("The repository is public now")
    page.get_by_role("button", name="Show the comment again").click()
    banner(page, "The comment shows again.")
    expect(comments_in(page).nth(1)).to_contain_text("on GitHub")
    assert_accessible(page)


def test_commenting_and_replying_work_without_javascript(no_js_page: Page, site: Site) -> None:
    page = no_js_page
    owner = site.person("KHL", name="Nora Nojs")
    project = site.project(owner, title="Discussion without JavaScript")
    sign_in(page, site, owner)
    comment_on(page, site, project, "Plain forms only.")
    comments_in(page).nth(0).get_by_role("link", name=re.compile("^Reply")).click()
    page.get_by_label("Your reply").fill("And a plain reply.")
    page.get_by_role("button", name="Post the reply").click()
    banner(page, "Your reply is posted.")
    expect(comments_in(page)).to_have_count(2)
    expect(comments_in(page).nth(1)).to_contain_text("And a plain reply.")
