"""Operators' moderation over the API, on the embedded and the production database: a
locked project refuses every change, a hidden update leaves every list, a suspended
person cannot sign in and loses their sessions, a field restored from an earlier version,
a tag renamed everywhere (and on projects proposed after), each in the history."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from projections import interests as interests_view
from projections import verify
from projections.registry import all_projections
from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def rt_of(client: Any) -> Runtime:
    return client.application.extensions["pipeline"]


def join(client: Any, code: str, *, operator: bool = False) -> tuple[str, dict[str, str], str]:
    """A verified member of council ``code`` (an operator if asked): id, auth header, address."""
    address = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Pat {code}", "email": address, "organisation_code": code, "password": PASSWORD},
    )
    assert person.status_code == 201, person.json
    app = rt_of(client).app
    app.verify_email(uuid.UUID(person.json["id"]))
    if operator:
        app.set_operator(address, True)
    return person.json["id"], auth(client, address), address


def auth(client: Any, address: str) -> dict[str, str]:
    signed_in = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.json
    return {"Authorization": f"Bearer {signed_in.json['token']}"}


def propose(client: Any, who: dict[str, str], **details: Any) -> str:
    body = {"title": "Bins", "summary": "Bin days", "phase": "alpha", **details}
    made = client.post("/api/v1/projects", json=body, headers=who)
    assert made.status_code == 201, made.json
    return f"/api/v1/projects/{made.json['id']}"


def settled(client: Any) -> Any:
    rt_of(client).catch_up()
    return client


def history(client: Any, url: str) -> list[dict[str, Any]]:
    return settled(client).get(f"{url}/history?limit=500").json["items"]


def head(client: Any) -> int:
    return settled(client).get("/api/v1/projections").json["items"][0]["head"]


def test_a_locked_project_refuses_every_change_until_unlocked(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    _, backer, _ = join(client, "WGN")
    url = propose(client, owner)
    update = client.post(f"{url}/status-updates", json={"body": "Started"}, headers=owner).json["id"]
    assert client.post(f"{url}/lock", json={"reason": "Disputed ownership."}, headers=owner).status_code == 403
    locked = client.post(f"{url}/lock", json={"reason": "Disputed ownership."}, headers=operator)
    assert locked.status_code == 200, locked.json
    before = head(client)
    refusals = [
        client.patch(url, json={"title": "Mine now"}, headers=owner),
        client.post(f"{url}/phase", json={"phase": "beta"}, headers=owner),
        client.post(f"{url}/archive", headers=owner),
        client.post(f"{url}/status-updates", json={"body": "More"}, headers=owner),
        client.patch(f"{url}/status-updates/{update}", json={"body": "Changed"}, headers=owner),
        client.put(f"{url}/pledges/mine", json={"money": "10", "days": "0", "contributions": []}, headers=backer),
        client.post(f"{url}/restorations", json={"field": "title", "version": 1}, headers=owner),
        client.patch(url, json={"title": "Operator too"}, headers=operator),
    ]
    for refused in refusals:
        assert refused.status_code == 409, (refusals.index(refused), refused.json)
        assert "locked this project: Disputed ownership." in refused.json["detail"]
    assert head(client) == before, "a refused change stored something"
    assert client.post(f"{url}/lock", json={"reason": "Again"}, headers=operator).status_code == 409
    assert client.post(f"{url}/unlock", json={"reason": "Settled."}, headers=operator).status_code == 200
    assert client.patch(url, json={"title": "Bin days"}, headers=owner).status_code == 200
    shown = settled(client).get(url).json
    assert shown["title"] == "Bin days" and shown["locked_reason"] is None
    entries = [(e["type"], e["data"].get("reason")) for e in history(client, url)]
    assert ("Project.Locked", "Disputed ownership.") in entries and ("Project.Unlocked", "Settled.") in entries


def test_a_reason_is_required_and_refused_input_stores_nothing(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    before = head(client)
    for body in ({}, {"reason": "   "}, {"reason": "x" * 1001}, {"reason": "ok", "extra": 1}):
        answer = client.post(f"{url}/lock", json=body, headers=operator)
        assert answer.status_code == 422 and answer.content_type == "application/problem+json", body
    assert client.post(f"{url}/restorations", json={"field": "owner", "version": 1}, headers=owner).status_code == 422
    assert client.post(f"{url}/restorations", json={"field": "title", "version": 9}, headers=owner).status_code == 422
    assert head(client) == before


def test_a_hidden_update_leaves_the_lists_and_stays_in_the_history(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    kept = client.post(f"{url}/status-updates", json={"body": "Good news"}, headers=owner).json["id"]
    spam = client.post(f"{url}/status-updates", json={"body": "Buy cheap pills"}, headers=owner).json["id"]
    assert client.post(f"{url}/status-updates/{spam}/hide", json={"reason": "Spam"}, headers=owner).status_code == 403
    hidden = client.post(f"{url}/status-updates/{spam}/hide", json={"reason": "Spam."}, headers=operator)
    assert hidden.status_code == 200, hidden.json
    listed = settled(client).get(f"{url}/status-updates").json["items"]
    assert [u["id"] for u in listed] == [kept]
    entries = history(client, url)
    assert ("StatusUpdate.Hidden", "Spam.") in [(e["type"], e["data"].get("reason")) for e in entries]
    posted = {e["aggregate_id"]: e["data"] for e in entries if e["type"] == "StatusUpdate.Posted"}
    assert posted[spam] == {**posted[spam], "body": None, "hidden": True}, "its text is withheld from readers"
    assert posted[kept]["body"] == "Good news"
    as_operator = client.get(f"{url}/history?limit=500", headers=operator).json["items"]
    assert "Buy cheap pills" in [e["data"].get("body") for e in as_operator]
    again = client.post(f"{url}/status-updates/{spam}/hide", json={"reason": "Spam."}, headers=operator)
    assert again.status_code == 409


def test_an_operator_shows_a_hidden_update_again_with_a_reason_in_the_history(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, owner)
    update = client.post(f"{url}/status-updates", json={"body": "Supplier chosen"}, headers=owner).json["id"]
    unhide = f"{url}/status-updates/{update}/unhide"
    assert client.post(unhide, json={"reason": "Never hidden"}, headers=operator).status_code == 409
    assert client.post(f"{url}/status-updates/{update}/hide", json={"reason": "Names a person."}, headers=operator)
    before = head(client)
    assert client.post(unhide, json={"reason": "Mine"}, headers=owner).status_code == 403
    assert client.post(unhide, json={}, headers=operator).status_code == 422
    assert (
        client.post(f"{url}/status-updates/{uuid.uuid4()}/unhide", json={"reason": "x"}, headers=operator).status_code
        == 404
    )
    assert head(client) == before, "a refused un-hide stored something"
    shown = client.post(unhide, json={"reason": "The name was the council's."}, headers=operator)
    assert shown.status_code == 200, shown.json
    listed = settled(client).get(f"{url}/status-updates").json["items"]
    assert [(u["id"], u["body"]) for u in listed] == [(update, "Supplier chosen")]
    feed = client.get(f"/api/v1/activity?project={url.rsplit('/', 1)[1]}").json["items"]
    assert "status_update.posted" in [r["type"] for r in feed], "back in the activity feed"
    entries = [(e["type"], e["data"].get("reason"), e["data"].get("body")) for e in history(client, url)]
    assert ("StatusUpdate.Hidden", "Names a person.", None) in entries
    assert ("StatusUpdate.Unhidden", "The name was the council's.", None) in entries
    assert ("StatusUpdate.Posted", None, "Supplier chosen") in entries, "its text reads again for everyone"
    assert client.post(unhide, json={"reason": "Twice"}, headers=operator).status_code == 409


def test_a_suspended_person_cannot_sign_in_loses_their_sessions_and_keeps_their_content(client: Any) -> None:
    person, own, address = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    url = propose(client, own)
    second = auth(client, address)
    suspended = client.post(f"/api/v1/people/{person}/suspend", json={"reason": "Abuse."}, headers=operator)
    assert suspended.status_code == 200 and suspended.json["suspended"] is True
    for session in (own, second):
        assert client.get("/api/v1/me", headers=session).status_code == 401
    refused = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD})
    assert refused.status_code == 403 and "suspended" in refused.json["detail"]
    assert settled(client).get(url).json["title"] == "Bins", "their project was kept"
    record = history(client, f"/api/v1/people/{person}")
    assert ("Person.Suspended", "Abuse.") in [(e["type"], e["data"].get("reason")) for e in record]
    assert client.post(f"/api/v1/people/{person}/reinstate", json={"reason": "Appeal upheld."}, headers=operator)
    assert client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).status_code == 201


def test_everyone_reads_that_a_person_is_suspended_and_only_operators_since_when_and_why(client: Any) -> None:
    person, own, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    _, stranger, _ = join(client, "WGN")
    url = f"/api/v1/people/{person}"
    assert settled(client).get(url).json["suspended"] is False
    assert client.post(f"{url}/suspend", json={"reason": "Abuse."}, headers=operator).status_code == 200
    for reader in ({}, stranger):
        public = settled(client).get(url, headers=reader).json
        assert (public["suspended"], public["suspended_since"], public["suspension_reason"]) == (True, None, None)
    seen = client.get(url, headers=operator).json
    assert seen["suspended"] is True and seen["suspension_reason"] == "Abuse."
    suspended = [e for e in history(client, url) if e["type"] == "Person.Suspended"][0]
    assert seen["suspended_since"] == suspended["time"]
    listed = {p["id"]: p for p in client.get("/api/v1/people?limit=100").json["items"]}
    assert listed[person]["suspended"] is True and "suspension_reason" not in listed[person]
    assert client.post(f"{url}/reinstate", json={"reason": "Appeal upheld."}, headers=operator).status_code == 200
    again = settled(client).get(url, headers=operator).json
    assert (again["suspended"], again["suspended_since"], again["suspension_reason"]) == (False, None, None)


def test_an_owner_restores_a_field_from_an_earlier_version(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, stranger, _ = join(client, "WGN")
    url = propose(client, owner, description="The first careful description.")
    assert client.patch(url, json={"description": "Vandalised"}, headers=owner).status_code == 200
    edits = [e for e in history(client, url) if e["type"] == "Project.Edited"]
    version = edits[0]["version"] - 1  # the version before the edit
    body = {"field": "description", "version": version}
    assert client.post(f"{url}/restorations", json=body, headers=stranger).status_code == 403
    restored = client.post(f"{url}/restorations", json=body, headers=owner)
    assert restored.status_code == 200, restored.json
    assert settled(client).get(url).json["description"] == "The first careful description."
    entry = history(client, url)[-1]
    assert entry["type"] == "Project.FieldRestored" and entry["data"]["restored_version"] == version
    assert entry["changes"] == [
        {"field": "description", "before": "Vandalised", "after": "The first careful description."}
    ]
    assert client.post(f"{url}/restorations", json=body, headers=owner).status_code == 422  # reads so already


def test_a_restored_field_tells_the_followers_as_an_edit_does_by_their_choices(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    follower, follows, _ = join(client, "LDS")
    quiet, quiet_headers, _ = join(client, "WGN")
    url = propose(client, owner, description="The first careful description.")
    for headers in (follows, quiet_headers):
        assert client.post(f"{url}/follow", headers=headers).status_code in (200, 201)
    off = client.put("/api/v1/me/notifications", json={"kinds": {"project-news": False}}, headers=quiet_headers)
    assert off.status_code == 200, off.json
    assert client.patch(url, json={"description": "Vandalised"}, headers=owner).status_code == 200
    edited = [e for e in history(client, url) if e["type"] == "Project.Edited"][0]
    before = news_for(client, follower)
    body = {"field": "description", "version": edited["version"] - 1}
    assert client.post(f"{url}/restorations", json=body, headers=owner).status_code == 200
    told = news_for(client, follower)[len(before) :]
    assert told == ["Bins: edited"], "told once, as of an edit (a sent message keeps no body: see the unit test)"
    assert news_for(client, quiet) == [], "project news switched off: not told of the restoration either"


def news_for(client: Any, person: str) -> list[str]:
    rows = (
        settled(client)
        .application.extensions["pipeline"]
        .db.query(
            "SELECT subject FROM outbox WHERE kind = 'project-news' AND person_id = :id ORDER BY created_at, id",
            {"id": person},
        )
    )
    return [str(r["subject"]) for r in rows]


def test_a_renamed_tag_reaches_every_view_and_later_proposals_and_rebuilds_the_same(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    _, operator, _ = join(client, "LDS", operator=True)
    before_id, before, _ = join(client, "WGN")  # chose the old name before the rename
    after_id, after, _ = join(client, "MAN")  # chose it after
    interest = {"interests": {"tags": ["rubbish"]}}
    assert client.put("/api/v1/me/notifications", json=interest, headers=before).status_code == 200
    first = propose(client, owner, title="Bulky items", tags=["rubbish", "booking"])
    second = propose(client, owner, title="Garden cuttings", tags=["rubbish", "refuse"])
    body = {"old": "rubbish", "new": "Refuse", "reason": "One name for one thing."}
    assert client.post("/api/v1/tag-renames", json=body, headers=owner).status_code == 403
    renamed = settled(client).post("/api/v1/tag-renames", json=body, headers=operator)
    assert renamed.status_code == 200 and renamed.json["projects_renamed"] == 2, renamed.json
    later = propose(client, owner, title="Clinical items", tags=["Rubbish"])
    assert client.put("/api/v1/me/notifications", json=interest, headers=after).status_code == 200
    settled(client)
    told = {person for person, _, _ in interests_view.people_interested(rt_of(client).db, {"refuse"}, set())}
    assert {before_id, after_id} <= told  # a project tagged "refuse" reaches those who chose "rubbish"
    assert client.get(first).json["tags"] == ["refuse", "booking"]
    assert client.get(second).json["tags"] == ["refuse"]  # merged: once
    assert client.get(later).json["tags"] == ["refuse"]
    assert client.get("/api/v1/projects?tag=rubbish").json["items"] == []
    assert client.get("/api/v1/projects?q=rubbish").json["items"] == []
    assert len(client.get("/api/v1/projects?tag=refuse").json["items"]) == 3
    assert len(client.get("/api/v1/projects?q=refuse").json["items"]) == 3  # found by the tag alone
    cloud = {t["tag"]: t["project_count"] for t in client.get("/api/v1/tags").json["items"]}
    assert cloud.get("refuse") == 3 and "rubbish" not in cloud
    renames = [e for e in history(client, first) if e["type"] == "Project.TagRenamed"]
    assert renames and renames[0]["data"]["reason"] == "One name for one thing."
    back = {"old": "refuse", "new": "rubbish", "reason": "The old name was right."}
    assert settled(client).post("/api/v1/tag-renames", json=back, headers=operator).status_code == 200
    settled(client)
    told = {person for person, _, _ in interests_view.people_interested(rt_of(client).db, {"rubbish"}, set())}
    assert {before_id, after_id} <= told  # renamed back: matched by the name they chose
    rt = rt_of(client)
    for view in all_projections():
        check = verify.verify(rt.app, rt.db, view, advance=lambda count: None)
        assert check.identical, verify.report(check)
