"""Red team (issue 22): the discussion's mentions, through the API on both databases.

``@[GDS]`` is how anyone writes a mention of an organisation called "GDS" (the docs: an
organisation's name or a council's register code in the brackets). A label of two to five
capitals or digits was only ever looked up as a register code, so an organisation whose
name reads like one ("GDS", "DWP", "NHSX") could not be mentioned by the name it has:
422 "No council has the register code 'GDS'"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.hostile import census, is_problem
from tests.integration.test_moderation_api import join, propose
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def test_an_organisation_whose_name_reads_like_a_code_is_mentioned_by_its_name(client: Any) -> None:
    body = {"name": "Gina Ray", "email": "gina@gds.example", "organisation_name": "GDS", "password": PASSWORD}
    gds = client.post("/api/v1/people", json={**body, "organisation_kind": "central_government"})
    assert gds.status_code == 201, gds.json
    _, owner, _ = join(client, "KTT")
    url = propose(client, owner)
    posted = client.post(f"{url}/comments", json={"body": "Could @[GDS] and @[LDS] help?"}, headers=owner)
    assert posted.status_code == 201, posted.json
    rt = client.application.extensions["pipeline"]
    rt.catch_up()
    mentions = client.get(f"/api/v1/comments/{posted.json['id']}").json["mentions"]
    assert {m["label"]: m["organisation_id"] for m in mentions}["GDS"] == gds.json["organisation"]["id"]
    before = census(rt)
    unknown = client.post(f"{url}/comments", json={"body": "And @[ZZQ]?"}, headers=owner)
    assert is_problem(unknown, 422) and "body" in unknown.json["errors"]
    assert census(rt) == before


def test_a_locked_project_takes_no_comments_as_an_archived_one_takes_none(client: Any) -> None:
    """An operator locks a project to stop a dispute; the dispute went on in its comments, new
    threads and replies alike (an archived project's discussion was closed, a locked one's not)."""
    _, owner, _ = join(client, "KTT")
    _, backer, _ = join(client, "WGN")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    first = client.post(f"{url}/comments", json={"body": "This is mine, not theirs"}, headers=backer).json["id"]
    assert client.post(f"{url}/lock", json={"reason": "Disputed ownership."}, headers=operator).status_code == 200
    rt = client.application.extensions["pipeline"]
    rt.catch_up()
    before = census(rt)
    for sent in ({"body": "It is ours"}, {"body": "No, ours", "parent_id": first}):
        refused = client.post(f"{url}/comments", json=sent, headers=owner)
        assert is_problem(refused, 409) and "Disputed ownership." in refused.json["detail"], refused.json
    rt.catch_up()
    assert census(rt) == before
    assert client.post(f"{url}/unlock", json={"reason": "Settled."}, headers=operator).status_code == 200
    assert client.post(f"{url}/comments", json={"body": "Settled, thanks"}, headers=owner).status_code == 201
