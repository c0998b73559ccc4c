"""Red team, in the browser: hostile text (HTML and script in titles, names, organisation
names, tags, updates, messages) shown on every page it reaches, as text that never runs;
and on every page, a Content-Security-Policy without ``unsafe-inline`` and no inline
``style=`` or ``on*=`` attributes in the HTML as served."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

from playwright.sync_api import Page, expect

from tests import support
from tests.browser.site import Person, Site, sign_in

SCRIPT = "<script>alert('xss')</script><img src=x onerror=alert('img')>\"'><svg onload=alert('svg')>"


class _Inline(HTMLParser):
    """Inline styles and event handlers, and scripts without a source, in served HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
        names = dict(attrs)
        if tag == "script" and "src" not in names and "nonce" not in names:
            self.found.append("<script> without src or nonce")


def inline_parts(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


def visit(page: Page, site: Site, path: str, dialogs: list[str]) -> None:
    """Open ``path``; its HTML as served must be free of inline style/script, under a strict CSP."""
    answer = page.goto(site.base + path)
    assert answer is not None
    assert answer.status < 500, (path, answer.status)
    policy = answer.headers.get("content-security-policy", "")
    assert "script-src" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
    assert inline_parts(answer.text()) == [], (path, inline_parts(answer.text()))
    # Nothing hostile became an element, and nothing ran.
    injected = page.locator("img[src='x'], svg[onload], script:not([src]):not([nonce])")
    where = [element.evaluate("e => e.parentElement.outerHTML.slice(0, 300)") for element in injected.all()]
    assert injected.count() == 0, (path, where)
    assert dialogs == [], (path, dialogs)


def hostile_setup(site: Site) -> dict[str, Any]:
    """A person, an organisation, a project and its updates, requests and pledges, all named with script."""
    owner = site.person("KHL")
    site.api("PATCH", "/api/v1/me", {"name": "Owner " + SCRIPT, "job_title": SCRIPT}, owner)
    tag = f"tag{uuid.uuid4().hex[:6]}<b>"
    project = site.project(
        owner,
        title="Hostile " + SCRIPT,
        summary="Summary " + SCRIPT,
        description="Described " + SCRIPT + " [click](javascript:alert('md')) <a href=\"javascript:alert('a')\">a</a>",
        department=SCRIPT,
        tags=[tag],
    )
    pid = project["id"]
    update = site.api("POST", f"/api/v1/projects/{pid}/status-updates", {"body": "Update " + SCRIPT}, owner)
    # Someone from an organisation named with script asks to join, says they need it, and pledges.
    email = f"org.{uuid.uuid4().hex[:8]}@hostile-{uuid.uuid4().hex[:6]}.example.org"
    body = {
        "name": "Asker " + SCRIPT,
        "email": email,
        "password": owner.password,
        "organisation_name": f"Org {uuid.uuid4().hex[:4]} " + SCRIPT,
        "organisation_kind": "community",
    }
    asker = Person(body["name"], email, "")
    asker.id = site.api("POST", "/api/v1/people", body)["id"]
    token = site.link_sent_to(email, "/verify-email?token=").split("token=", 1)[1]
    site.api("POST", "/api/v1/email-verifications", {"token": token})
    asker.token = site.api("POST", "/api/v1/sessions", {"email": email, "password": owner.password})["token"]
    ask = site.api("POST", f"/api/v1/projects/{pid}/contribution-requests", {"message": "Ask " + SCRIPT}, asker)
    code, _, _ = support.request(
        "POST", site.base + f"/api/v1/projects/{pid}/needs", {"comment": "Need " + SCRIPT}, headers=asker.auth
    )
    me = site.api("GET", "/api/v1/me", person=asker)
    return {"owner": owner, "asker": asker, "project": project, "update": update, "ask": ask, "tag": tag, "org": me}


def test_redteam_hostile_text_is_text_everywhere_under_a_strict_policy(page: Page, site: Site) -> None:
    found = hostile_setup(site)
    pid, org_id = found["project"]["id"], found["org"]["organisation"]["id"]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    for path in ("/sign-in", "/sign-up", "/reset-password", "/verify-email?token=x", "/reset-password?token=x"):
        visit(page, site, path, dialogs)

    sign_in(page, site, found["owner"])
    project_pages = [
        "",
        "/history",
        "/similar",
        "/take-part",
        "/edit",
        "/phase",
        "/goal",
        "/archive",
        "/need",
        "/pledge",
        "/status-updates/new",
        f"/status-updates/{found['update']['id']}/edit",
        f"/status-updates/{found['update']['id']}/retract",
        f"/contribution-requests/{found['ask']['id']}",
    ]
    for tail in project_pages:
        visit(page, site, f"/projects/{pid}{tail}", dialogs)
    for path in (
        "/",
        "/projects",
        "/projects?q=Hostile",
        f"/projects?tag={found['tag']}",
        "/activity",
        "/tags",
        "/calendar",
        "/reports/engagement",
        "/organisations/KHL",
        f"/organisations/{org_id}",
        "/account",
        "/account/password",
        "/account/notifications",
        "/account/erase",
        "/sign-out",
    ):
        visit(page, site, path, dialogs)

    # The organisation autocomplete (JavaScript) lists the hostile name as text, not markup.
    page.goto(site.base + "/account")
    page.get_by_role("combobox", name="Organisation").fill(found["org"]["organisation"]["name"][:8])
    expect(page.get_by_role("option").first).to_contain_text("<svg onload=alert('svg')>")
    visit_now = page.locator("img[src='x'], svg[onload], script:not([src]):not([nonce])")
    assert visit_now.count() == 0, [element.evaluate("e => e.outerHTML") for element in visit_now.all()]

    # The hostile text is shown, as text, where it belongs.
    page.goto(site.base + f"/projects/{pid}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hostile <script>alert('xss')</script>")
    expect(page.get_by_text("Update <script>", exact=False).first).to_be_visible()
    for link in page.locator("a[href]").all():
        assert not (link.get_attribute("href") or "").lower().strip().startswith("javascript:")
    sign_in_as_asker = found["asker"]
    page.context.clear_cookies()
    sign_in(page, site, sign_in_as_asker)
    for path in (f"/projects/{pid}", "/account", f"/organisations/{org_id}"):
        visit(page, site, path, dialogs)
    expect(page.get_by_role("heading", level=1)).to_contain_text("<svg onload=alert('svg')>")
