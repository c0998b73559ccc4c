"""Red team (issue 22): the moderation and discussion pages, in-process.

The history page's restore button posts ``version`` as a form field; the page turned it into
a number with ``int()`` whenever ``str.isdigit()`` said so, and ``"²".isdigit()`` is true
while ``int("²")`` raises: a 500 where the form deserves a refusal. A refusal that is no
field's (422) was titled "Sorry, there is a problem with the service", GOV.UK's words for
a failure of ours, not of what was sent."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.integration.test_moderation_api import head, join, propose
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def signed_in_pages(rt: Runtime, person_id: str) -> tuple[Any, str]:
    """A browser-like client signed in as the person, and a CSRF token for its forms."""
    pages = create_app(runtime=rt).test_client()
    pages.environ_base["wsgi.url_scheme"] = "https"
    with pages.session_transaction() as browser:
        browser["token"] = rt.sessions.start(uuid.UUID(person_id))[0]
    found = re.search(r'name="csrf_token" value="([^"]+)"', pages.get("/sign-out").get_data(as_text=True))
    assert found, "no CSRF token on the sign-out page"
    return pages, found.group(1)


@pytest.mark.parametrize("version", ["²", "-1", "x", ""])
def test_a_restore_with_a_version_that_is_no_number_is_refused_as_a_page(sqlite_runtime: Runtime, version: str) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    owner_id, owner, _ = join(client, "KTT")
    url = propose(client, owner)
    assert client.patch(url, json={"title": "Bins and boxes"}, headers=owner).status_code == 200
    before = head(client)
    pages, token = signed_in_pages(sqlite_runtime, owner_id)
    form = {"field": "title", "version": version, "csrf_token": token}
    answer = pages.post(f"{url.removeprefix('/api/v1')}/restorations", data=form)
    assert answer.status_code == 422, (answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.mimetype == "text/html" and "<title>There is a problem" in answer.get_data(as_text=True)
    assert head(client) == before


def test_a_locked_projects_page_offers_no_comment_form(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    owner_id, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    assert client.post(f"{url}/lock", json={"reason": "Disputed ownership."}, headers=operator).status_code == 200
    pages, _ = signed_in_pages(sqlite_runtime, owner_id)
    sqlite_runtime.catch_up()
    shown = pages.get(url.removeprefix("/api/v1")).get_data(as_text=True)
    assert "takes no new comments while the project is locked" in shown
    assert "Post the comment" not in shown
