"""A Pipeline served on the embedded default for the browser tests, and shortcuts that
set up people and projects through the API (the journey under test goes through pages)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests import support
from tests.factories import PASSWORD, council_email

AXE = support.ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Person:
    name: str
    email: str
    code: str
    id: str = ""
    token: str = ""
    password: str = PASSWORD

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Site:
    base: str
    outbox: Path
    log: Path
    made: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # what the server runs with, for `pipeline` commands,
    workdir: Path | None = None  # and where (the embedded database is under its ./var)

    def api(self, method: str, path: str, body: Any = None, person: Person | None = None, status: int = 0) -> Any:
        code, _, answer = support.request(method, self.base + path, body, headers=person.auth if person else None)
        assert code < 400 if not status else code == status, (method, path, code, answer)
        return answer

    def link_sent_to(self, address: str, path: str) -> str:
        """The newest link to ``path`` (e.g. '/verify-email?token=') in an email to ``address``,
        as sent (absolute, on this site)."""

        def find() -> str | None:
            for eml in sorted(self.outbox.glob("*.eml"), reverse=True):
                text = eml.read_text()
                if f"To: {address}" in text and path in text:
                    tail = text.split(path, 1)[1].split()[0]
                    return self.base + path + tail
            return None

        link = support.wait_until(find, timeout=30, message=f"an email to {address} linking to {path}")
        return str(link)

    def person(self, code: str = "KHL", name: str | None = None, verified: bool = True) -> Person:
        """Someone signed up (through the API) on council ``code``'s own domain, verified."""
        someone = Person(name or f"Officer {uuid.uuid4().hex[:6]}", council_email(code), code)
        body = {"name": someone.name, "email": someone.email, "organisation_code": code, "password": someone.password}
        someone.id = self.api("POST", "/api/v1/people", body)["id"]
        if verified:
            token = self.link_sent_to(someone.email, "/verify-email?token=").split("token=", 1)[1]
            self.api("POST", "/api/v1/email-verifications", {"token": token})
        someone.token = self.api("POST", "/api/v1/sessions", {"email": someone.email, "password": someone.password})[
            "token"
        ]
        return someone

    def project(self, owner: Person, **fields: Any) -> dict[str, Any]:
        body = {"title": f"Shared waste collection booking {uuid.uuid4().hex[:6]}", "summary": "A shared booking tool."}
        body.update(fields)
        return self.api("POST", "/api/v1/projects", body, owner)  # type: ignore[no-any-return]


def sign_in(page: Page, site: Site, person: Person) -> None:
    """Sign in through the sign-in page."""
    page.goto(site.base + "/sign-in")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A and AA violations on the page as it is now (none expected).
    Injected through the DevTools protocol, which the page's CSP does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: " + json.dumps(violations, indent=1)
