"""The tags page and the activity page (filters, pages, its Atom feed)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.site import Site, assert_accessible


def test_each_tag_shows_its_count_and_links_to_its_projects(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    tag = f"street lighting {uuid.uuid4().hex[:6]}"
    site.project(owner, tags=[tag, "lamps"])
    site.project(owner, tags=[tag.upper()])  # tags are lower-cased: the same tag

    page.goto(site.base + "/tags")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tags")
    link = page.get_by_role("link", name=tag, exact=True)
    expect(link).to_have_attribute("href", "/projects?tag=" + tag.replace(" ", "+"))
    expect(page.get_by_role("row").filter(has=link).get_by_role("cell").last).to_have_text("2")
    assert_accessible(page)


def test_a_new_project_shows_in_the_activity_with_a_link_to_it(page: Page, site: Site) -> None:
    owner = site.person("KHL")
    title = f"Activity shown project {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title)

    page.goto(site.base + "/activity")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    entry = page.get_by_role("link", name=re.compile(f"proposed {title}, in concept$"))
    expect(entry).to_have_attribute("href", f"/projects/{project['id']}")
    feed = page.get_by_role("link", name="Follow this activity in a feed reader (Atom feed)")
    expect(feed).to_have_attribute("href", "/api/v1/activity.atom")
    head = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(head).to_have_attribute("href", "/api/v1/activity.atom")
    atom = page.request.get(site.base + "/api/v1/activity.atom")
    assert atom.ok and atom.headers["content-type"].startswith("application/atom+xml") and title in atom.text()
    assert_accessible(page)


def test_a_projects_activity_comes_in_pages_without_javascript(no_js_page: Page, site: Site) -> None:
    owner = site.person("BRE")
    title = f"Paged activity project {uuid.uuid4().hex[:6]}"
    project = site.project(owner, title=title)
    for summary in ("First change of summary.", "Second change of summary."):
        site.api("PATCH", f"/api/v1/projects/{project['id']}", {"summary": summary}, owner)
    page = no_js_page

    page.goto(site.base + f"/activity?project={project['id']}&limit=2")
    items = page.get_by_role("list", name="Activity, newest first").get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("edited the summary of " + title)
    expect(page.get_by_text(f"Only one project: {title}.")).to_be_visible()
    feed = f"/api/v1/activity.atom?project={project['id']}"
    expect(page.get_by_role("link", name=re.compile("Atom feed"))).to_have_attribute("href", feed)

    page.get_by_role("link", name=re.compile("Older activity")).click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(f"proposed {title}")
    expect(page.get_by_role("link", name=re.compile("Older activity"))).to_have_count(0)
    page.get_by_role("link", name=re.compile("Newest activity")).click()
    expect(items).to_have_count(2)


def test_filters_narrow_the_activity_and_bad_ones_give_an_error_summary(page: Page, site: Site) -> None:
    owner = site.person("MAN")
    title = f"Filtered activity project {uuid.uuid4().hex[:6]}"
    site.project(owner, title=title)

    page.goto(site.base + "/activity")
    page.get_by_label("Organisation").fill("MAN")
    page.get_by_label("Kind of activity").select_option(label="Project: proposed")
    page.get_by_role("button", name="Show activity").click()
    expect(page).to_have_url(re.compile(r"/activity\?organisation=MAN&type=project\.proposed$"))
    items = page.get_by_role("list", name="Activity, newest first").get_by_role("listitem")
    expect(items.filter(has_text=title)).to_have_count(1)
    expect(items.filter(has_text="signed up")).to_have_count(0)
    expect(page.get_by_label("Kind of activity")).to_have_value("project.proposed")

    response = page.goto(site.base + "/activity?organisation=" + "x" * 65)
    assert response is not None and response.status == 422
    expect(page).to_have_title(re.compile("^Error: Activity"))
    expect(page.get_by_role("alert").locator('a[href="#organisation"]')).to_be_visible()  # the field, named
    expect(page.locator("#organisation-error")).to_be_visible()
    assert_accessible(page)

    response = page.goto(site.base + "/activity?cursor=not-a-cursor")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


def test_the_short_feed_address_leads_to_the_feed(page: Page, site: Site) -> None:
    response = page.goto(site.base + "/activity.atom?type=project.proposed")
    assert response is not None and response.ok
    assert response.url == site.base + "/api/v1/activity.atom?type=project.proposed"
    assert response.headers["content-type"].startswith("application/atom+xml")
