"""Red team (issue 22): the discussion's mentions, through the API on both databases.

``@[GDS]`` is how anyone writes a mention of an organisation called "GDS" (the docs: an
organisation's name or a council's register code in the brackets). A label of two to five
capitals or digits was only ever looked up as a register code, so an organisation whose
name reads like one ("GDS", "DWP", "NHSX") could not be mentioned by the name it has:
422 "No council has the register code 'GDS'".

A 2014 like's or join's text is shown as a comment (``GET /comments/{id}`` reads it), but
``POST /comments/{id}/hide`` answered 404 "No comment with that id": an operator could not
hide an imported message, whatever it said (a phone number, an insult)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from domain import clock
from domain.interest import ContributionRequest, Follow
from domain.legacy import ORIGIN
from domain.organisation import council_id
from tests.factories import PASSWORD
from tests.hostile import census, is_problem
from tests.integration.test_moderation_api import join, propose
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime

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


def test_an_operator_hides_a_message_taken_in_from_2014(client: Any) -> None:
    owner_id, owner, _ = join(client, "KTT")
    backer_id, backer, _ = join(client, "WGN")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    project = uuid.UUID(url.rsplit("/", 1)[1])
    said = {"origin": ORIGIN, "kind": "like", "comment": "Ring me on 07700 900123"}
    rt = client.application.extensions["pipeline"]
    with clock.set_to(datetime(2014, 10, 9, 16, 46, tzinfo=UTC)):
        like = Follow(id=Follow.id_for(project, uuid.UUID(backer_id)), project_id=project,
                      person_id=uuid.UUID(backer_id), imported=said)  # fmt: skip
        join_ = ContributionRequest(project_id=project, person_id=uuid.UUID(owner_id),
                                    organisation_id=council_id("KTT"), message="We can test it",
                                    imported={"origin": ORIGIN, "kind": "join"})  # fmt: skip
    rt.app.save(like, join_)
    for message in (like.id, join_.id):
        path = f"/api/v1/comments/{message}/hide"
        assert is_problem(client.post(path, json={"reason": "Personal data"}, headers=owner), 403)
        hidden = client.post(path, json={"reason": "Personal data"}, headers=operator)
        assert hidden.status_code == 200, hidden.json
        assert is_problem(client.post(path, json={"reason": "Again"}, headers=operator), 409)
    rt.catch_up()
    shown = client.get(f"/api/v1/comments/{like.id}").json
    assert (shown["body"], shown["hidden"], shown["hidden_reason"]) == (None, True, "Personal data")
    assert [v["body"] for v in client.get(f"/api/v1/comments/{like.id}/history").json["versions"]] == [None]
    assert "07700" not in client.get(f"{url}/comments").get_data(as_text=True)
    before = census(rt)
    for other in (project, uuid.uuid4()):  # a project's id, or nothing at all, is no message
        assert is_problem(client.post(f"/api/v1/comments/{other}/hide", json={"reason": "x"}, headers=operator), 404)
    assert census(rt) == before


@pytest.fixture(params=["sqlite", "pg"])
def lagging(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A client whose notifier runs only when the test catches up (production's worker lags
    behind the writes; the embedded mode, which follows each save at once, is told not to)."""
    if request.param == "pg":
        yield create_app(runtime=request.getfixturevalue("pg_runtime")).test_client()
        return
    rt = build_runtime(request.getfixturevalue("sqlite_settings"), follow_saves=False)
    yield create_app(runtime=rt).test_client()
    rt.close()


def test_a_comment_or_update_hidden_before_the_notifier_reads_it_is_not_mailed(lagging: Any) -> None:
    """The notifier mails a comment's or status update's text to the project's people; one an
    operator hid before the notifier got to it (spam, abuse: hidden at once) was mailed anyway."""
    client = lagging
    _, owner, _ = join(client, "KTT")
    _, backer, _ = join(client, "WGN")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    assert client.post(f"{url}/follow", headers=backer).status_code == 200
    rt = client.application.extensions["pipeline"]
    rt.catch_up()
    spam = client.post(f"{url}/comments", json={"body": "Cheap pills at spam.example"}, headers=backer)
    update = client.post(f"{url}/status-updates", json={"body": "Insults for spam.example"}, headers=owner)
    assert client.post(f"/api/v1/comments/{spam.json['id']}/hide", json={"reason": "Spam."}, headers=operator)
    hidden = client.post(f"{url}/status-updates/{update.json['id']}/hide", json={"reason": "Abuse."}, headers=operator)
    assert hidden.status_code == 200, hidden.json
    rt.catch_up()
    subjects = [r["subject"] for r in rt.db.query("SELECT subject FROM outbox")]
    assert "Bins: Pat WGN of Wigan Metropolitan Borough Council is following it" in subjects  # mail is sent
    mailed = [s for s in subjects if "a new comment" in s or "a status update" in s]
    assert mailed == [], mailed
