"""The people and organisation pages in-process (the browser story covers them with axe):
a person's page and its choices, the directory's plain GET search, an unknown organisation
in the project search, and an admin's details, role and hand-over forms."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest

from tests.factories import PASSWORD
from tests.integration.test_membership_api import join, settled
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


def csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def browser_of(client: Any, person_id: str) -> Any:
    """A browser signed in as ``person_id`` (through the sign-in page, with the address on file)."""
    rt = client.application.extensions["pipeline"]
    address = rt.app.reveal(rt.app.get_person(UUID(person_id)))["email"]
    browser = client.application.test_client()
    form = {"email": address, "password": PASSWORD, "csrf_token": csrf(browser.get("/sign-in"))}
    assert browser.post("/sign-in", data=form).status_code == 303
    return browser


def html(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def test_a_persons_page_shows_their_choices_and_links_from_their_organisation(client: Any) -> None:
    asha_id, asha = join(client, "LDS")
    answer = client.post(
        "/api/v1/projects", json={"title": "Leeds bins", "summary": "S", "phase": "alpha"}, headers=asha
    )
    assert answer.status_code == 201
    said = client.post(
        f"/api/v1/projects/{answer.json['id']}/comments", json={"body": "Tell me <b>more</b>"}, headers=asha
    )
    assert said.status_code == 201, said.json
    settled(client)
    page = client.get(f"/people/{asha_id}")
    assert page.status_code == 200 and "Leeds bins" in html(page) and "Leeds City Council" in html(page)
    assert "Tell me &lt;b&gt;more&lt;/b&gt;" in html(page) and f"#comment-{said.json['id']}" in html(page)
    assert f"/people/{asha_id}/suspend" not in html(page)
    assert f'href="/people/{asha_id}"' in html(client.get("/organisations/LDS"))
    browser = browser_of(client, asha_id)
    form = browser.get("/account/page")
    assert form.status_code == 200 and 'value="follows"' in html(form)
    saved = browser.post("/account/page", data={"shown": ["follows"], "csrf_token": csrf(form)})
    assert saved.status_code == 303
    assert "Leeds bins" not in html(client.get(f"/people/{asha_id}")) and "Following" in html(
        client.get(f"/people/{asha_id}")
    )


def test_a_suspended_persons_page_says_so_and_only_an_operator_reads_why(client: Any) -> None:
    asha_id, _ = join(client, "LDS")
    olu_id, olu = join(client, "KTT")
    rt = client.application.extensions["pipeline"]
    rt.app.set_operator(rt.app.reveal(rt.app.get_person(UUID(olu_id)))["email"], True)
    answer = client.post(f"/api/v1/people/{asha_id}/suspend", json={"reason": "Posted spam."}, headers=olu)
    assert answer.status_code == 200, answer.json
    settled(client)
    public = html(client.get(f"/people/{asha_id}"))
    assert "This account is suspended" in public and "Posted spam." not in public
    operator = html(browser_of(client, olu_id).get(f"/people/{asha_id}"))
    assert "This account is suspended" in operator and "because: Posted spam." in operator
    assert f"/people/{asha_id}/reinstate" in operator and f"/people/{asha_id}/suspend" not in operator


def test_the_directory_searches_and_filters_with_a_plain_get_form(client: Any) -> None:
    join(client, "LDS")
    settled(client)
    page = client.get("/organisations?q=leeds&nation=England")
    assert page.status_code == 200 and "Leeds City Council" in html(page) and 'method="get"' in html(page)
    welsh = html(client.get("/organisations?nation=Wales"))
    assert "Cardiff" in welsh and "Leeds City Council" not in welsh
    refused = client.get("/organisations?region=Atlantis")
    assert refused.status_code == 422 and "govuk-error-summary" in html(refused)


def test_the_project_search_says_when_no_organisation_has_that_name(client: Any) -> None:
    page = client.get("/projects?organisation=Atlantis")
    assert page.status_code == 422 and "No organisation called" in html(page) and "govuk-error-summary" in html(page)


def test_an_admin_changes_details_removes_an_admin_and_hands_over(client: Any) -> None:
    first_id, first = join(client, "BNH")
    second_id, _ = join(client, "BNH")
    settled(client)
    browser = browser_of(client, first_id)
    edit = browser.get("/organisations/BNH/edit")
    assert edit.status_code == 200
    bad = browser.post("/organisations/BNH/edit", data={"website": "not a web address", "csrf_token": csrf(edit)})
    assert bad.status_code == 422 and "govuk-error-summary" in html(bad)
    saved = browser.post(
        "/organisations/BNH/edit",
        data={"website": "https://www.brighton-hove.gov.uk", "description": "By the sea", "csrf_token": csrf(edit)},
    )
    assert saved.status_code == 303 and "By the sea" in html(browser.get("/organisations/BNH"))
    confirm = browser.get(f"/organisations/BNH/admins/{first_id}/remove")
    refused = browser.post(f"/organisations/BNH/admins/{first_id}/remove", data={"csrf_token": csrf(confirm)})
    assert refused.status_code == 422 and "needs an admin" in html(refused)
    handover = browser.get("/organisations/BNH/handover")
    assert handover.status_code == 200
    done = browser.post("/organisations/BNH/handover", data={"person_id": second_id, "csrf_token": csrf(handover)})
    assert done.status_code == 303
    roles = {p["id"]: p["is_admin"] for p in settled(client).get("/api/v1/people?organisation=BNH").json["items"]}
    assert roles == {first_id: False, second_id: True}
    assert browser.get("/organisations/BNH/edit").status_code == 403
