"""Issue 22, part 2: the discussion on a project, through the API, on both databases:
comments and replies with mentions of organisations, editing with every version kept,
moderation, what erasing the author does (as the operator chose), rate limits, refusals
that store nothing, an edit racing a hide, and the 2014 like and join messages shown
first, at their original times."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.interest import ContributionRequest, Follow
from domain.legacy import ORIGIN
from domain.organisation import council_id
from projections import comments as comments_view
from projections import rebuilds
from projections.registry import get
from projections.verify import verify
from tests.factories import PASSWORD, council_email
from tests.hostile import census, is_problem, operator
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


class Api:
    """A test client with the people of one story signed in."""

    def __init__(self, rt: Runtime) -> None:
        self.rt, self.client = rt, create_app(runtime=rt).test_client()

    def person(self, code: str, name: str) -> tuple[dict[str, str], str]:
        address = council_email(code)
        body = {"name": name, "email": address, "organisation_code": code, "password": PASSWORD}
        signed_up = self.client.post("/api/v1/people", json=body)
        assert signed_up.status_code == 201, signed_up.json
        self.rt.app.verify_email(uuid.UUID(signed_up.json["id"]))
        token = self.client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
        return {"Authorization": f"Bearer {token}"}, signed_up.json["id"]

    def project(self, who: dict[str, str], title: str = "Bins app") -> str:
        made = self.client.post("/api/v1/projects", json={"title": title, "summary": "Collection days"}, headers=who)
        assert made.status_code == 201, made.json
        return str(made.json["id"])

    def comment(self, who: dict[str, str], project: str, body: str, parent: str | None = None, **kw: Any) -> Any:
        sent = {"body": body, **({"parent_id": parent} if parent else {})}
        return self.client.post(f"/api/v1/projects/{project}/comments", json=sent, headers=who, **kw)

    def thread(self, project: str) -> list[dict[str, Any]]:
        self.rt.catch_up()
        got = self.client.get(f"/api/v1/projects/{project}/comments")
        assert got.status_code == 200, got.json
        return list(got.json["items"])

    def read(self, path: str) -> Any:
        self.rt.catch_up()
        return self.client.get(path)


@pytest.fixture
def api(any_runtime: Runtime) -> Api:
    return Api(any_runtime)


def test_comments_replies_and_mentions_read_in_thread_order(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    raj, _ = api.person("LDS", "Raj Leeds")
    project = api.project(ann)
    first = api.comment(raj, project, "Could @[Kent County Council] and @[WGN] share this?")
    assert first.status_code == 201, first.json
    second = api.comment(ann, project, "A second thread")
    reply = api.comment(ann, project, "Yes, happy to", parent=first.json["id"])
    assert reply.status_code == 201, reply.json

    items = api.thread(project)
    assert [i["body"] for i in items] == [
        "Could @[Kent County Council] and @[WGN] share this?",
        "Yes, happy to",
        "A second thread",
    ]
    assert items[0]["author_name"] == "Raj Leeds" and items[0]["organisation_name"] == "Leeds City Council"
    assert {m["label"]: m["organisation_id"] for m in items[0]["mentions"]} == {
        "Kent County Council": str(council_id("KEN")),
        "WGN": str(council_id("WGN")),
    }
    assert items[1]["parent_id"] == items[1]["thread_id"] == first.json["id"]
    assert items[2]["id"] == second.json["id"] and items[2]["thread_id"] is None
    mine = comments_view.by_author(api.rt.db, items[1]["author_id"])  # for a person's page
    assert [c["body"] for c in mine] == ["Yes, happy to", "A second thread"]


def test_the_discussion_pages_by_whole_threads_with_a_total(api: Api) -> None:
    ann, ann_id = api.person("WGN", "Ann Wigan")
    project = api.project(ann)
    app, author = api.rt.app, uuid.UUID(ann_id)
    roots = [app.post_comment(uuid.UUID(project), author, f"Thread {n}").aggregate.id for n in range(5)]
    for root in (roots[1], roots[1], roots[4]):
        app.post_comment(uuid.UUID(project), author, "A reply", parent_id=root)
    everything = api.thread(project)
    assert len(everything) == 8
    pages, url = [], f"/api/v1/projects/{project}/comments?limit=2"
    while url:
        page = api.read(url).json
        assert page["total"] == 5
        pages.append([(c["id"], c["thread_id"]) for c in page["items"]])
        url = page["next"]
    assert [sum(1 for _, thread in page if thread is None) for page in pages] == [2, 2, 1], "threads a page"
    assert [c for page in pages for c in page] == [(c["id"], c["thread_id"]) for c in everything]
    assert [len(page) for page in pages] == [4, 2, 2], "each thread with all its replies, never split"
    bad = api.client.get(f"/api/v1/projects/{project}/comments?cursor=bm90LW91cnM")
    assert is_problem(bad, 400)
    assert is_problem(api.client.get(f"/api/v1/projects/{project}/comments?limit=0"), 422)


def test_the_author_edits_and_every_version_stays_readable(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    raj, _ = api.person("LDS", "Raj Leeds")
    project = api.project(ann)
    made = api.comment(ann, project, "We start in May").json["id"]
    for text in ("We start in June", "We start in July"):
        assert api.client.patch(f"/api/v1/comments/{made}", json={"body": text}, headers=ann).status_code == 200
    someone_else = api.client.patch(f"/api/v1/comments/{made}", json={"body": "Never"}, headers=raj)
    assert is_problem(someone_else, 403)

    history = api.read(f"/api/v1/comments/{made}/history").json["versions"]
    assert [(v["version"], v["body"]) for v in history] == [
        (1, "We start in May"),
        (2, "We start in June"),
        (3, "We start in July"),
    ]
    shown = api.read(f"/api/v1/comments/{made}").json
    assert (shown["body"], shown["versions"], shown["edited_at"] is not None) == ("We start in July", 3, True)


def test_an_operator_hides_a_comment_with_a_reason_shown_in_its_place(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    olive, _ = operator(api.client, "KTT")
    project = api.project(ann)
    made = api.comment(ann, project, "Buy my product").json["id"]

    not_operator = api.client.post(f"/api/v1/comments/{made}/hide", json={"reason": "Spam"}, headers=ann)
    assert is_problem(not_operator, 403)
    hidden = api.client.post(f"/api/v1/comments/{made}/hide", json={"reason": "Advertising"}, headers=olive)
    assert hidden.status_code == 200, hidden.json

    shown = api.thread(project)[0]
    assert (shown["hidden"], shown["hidden_reason"], shown["body"]) == (True, "Advertising", None)
    assert api.read(f"/api/v1/comments/{made}/history").json["versions"][0]["body"] is None
    assert is_problem(api.client.patch(f"/api/v1/comments/{made}", json={"body": "x"}, headers=ann), 409)
    assert is_problem(api.comment(ann, project, "Reply", parent=made), 409)
    again = api.client.post(f"/api/v1/comments/{made}/hide", json={"reason": "Twice"}, headers=olive)
    assert is_problem(again, 409)


def test_an_operator_unhides_a_comment_and_the_hiding_stays_in_its_history(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    olive, _ = operator(api.client, "KTT")
    project = api.project(ann)
    made = api.comment(ann, project, "Our supplier is Acme").json["id"]
    never = api.comment(ann, project, "Nothing wrong here").json["id"]
    assert is_problem(api.client.post(f"/api/v1/comments/{never}/unhide", json={"reason": "x"}, headers=olive), 409)
    api.client.post(f"/api/v1/comments/{made}/hide", json={"reason": "Looks like advertising"}, headers=olive)
    refused = api.client.post(f"/api/v1/comments/{made}/unhide", json={"reason": "Mine"}, headers=ann)
    assert is_problem(refused, 403)
    assert is_problem(api.client.post(f"/api/v1/comments/{made}/unhide", json={"reason": " "}, headers=olive), 422)
    shown = api.client.post(f"/api/v1/comments/{made}/unhide", json={"reason": "Not advertising"}, headers=olive)
    assert shown.status_code == 200, shown.json
    thread = api.thread(project)[0]
    assert (thread["hidden"], thread["hidden_reason"], thread["body"]) == (False, None, "Our supplier is Acme")
    history = api.read(f"/api/v1/comments/{made}/history").json
    assert history["versions"][0]["body"] == "Our supplier is Acme"
    assert [(m["action"], m["reason"]) for m in history["moderation"]] == [
        ("hidden", "Looks like advertising"),
        ("unhidden", "Not advertising"),
    ]
    again = api.client.post(f"/api/v1/comments/{made}/unhide", json={"reason": "Twice"}, headers=olive)
    assert is_problem(again, 409)
    assert api.comment(ann, project, "A reply", parent=made).status_code == 201, "it may be answered again"


def test_a_2014_message_is_hidden_shown_again_and_hidden_again(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    _, raj_id = api.person("LDS", "Raj Leeds")
    olive, _ = operator(api.client, "KTT")
    project = api.project(ann)
    imported = {"origin": ORIGIN, "kind": "like", "comment": "Great idea, we need this"}
    with clock.set_to(datetime(2014, 10, 9, 16, 46, 51, tzinfo=UTC)):
        like = Follow(id=Follow.id_for(uuid.UUID(project), uuid.UUID(raj_id)), project_id=uuid.UUID(project),
                      person_id=uuid.UUID(raj_id), imported=imported)  # fmt: skip
    api.rt.app.save(like)
    url = f"/api/v1/comments/{like.id}"
    assert is_problem(api.client.post(f"{url}/unhide", json={"reason": "Never hidden"}, headers=olive), 409)
    assert api.client.post(f"{url}/hide", json={"reason": "Rude"}, headers=olive).status_code == 200
    assert api.client.post(f"{url}/unhide", json={"reason": "Not rude"}, headers=olive).status_code == 200
    assert api.thread(project)[0]["body"] == "Great idea, we need this"
    assert is_problem(api.client.post(f"{url}/unhide", json={"reason": "Twice"}, headers=olive), 409)
    assert api.client.post(f"{url}/hide", json={"reason": "Rude after all"}, headers=olive).status_code == 200
    assert is_problem(api.client.post(f"{url}/hide", json={"reason": "Twice"}, headers=olive), 409)
    shown = api.thread(project)[0]
    assert (shown["hidden"], shown["hidden_reason"], shown["body"]) == (True, "Rude after all", None)
    assert [(m["action"], m["reason"]) for m in api.read(f"{url}/history").json["moderation"]] == [
        ("hidden", "Rude"),
        ("unhidden", "Not rude"),
        ("hidden", "Rude after all"),
    ]
    check = verify(api.rt.app, api.rt.db, get("comments"), batch_size=2, advance=lambda count: None)
    assert check.identical, check.tables


@pytest.mark.parametrize("choice", ["keep", "remove"])
def test_erasing_the_author_leaves_a_former_members_comment_with_or_without_its_text(api: Api, choice: str) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    raj, raj_id = api.person("LDS", "Raj Leeds")
    project = api.project(ann)
    made = api.comment(raj, project, "Leeds did this in 2019").json["id"]
    api.client.patch(f"/api/v1/comments/{made}", json={"body": "Leeds did this in 2018"}, headers=raj)
    api.comment(ann, project, "Thanks", parent=made)
    api.rt.app.env["ERASED_COMMENTS"] = choice  # PIPELINE_ERASED_COMMENTS, the operator's setting

    assert api.client.delete("/api/v1/me", json={"password": PASSWORD}, headers=raj).status_code == 200

    first, answer = api.thread(project)
    assert (first["author_name"], first["author_erased"]) == ("Former member", True)
    assert "Raj" not in str(first)
    kept = choice == "keep"
    assert first["body"] == ("Leeds did this in 2018" if kept else None)
    assert first["text_removed"] is not kept
    history = [v["body"] for v in api.read(f"/api/v1/comments/{made}/history").json["versions"]]
    assert history == ([None, "Leeds did this in 2018"] if kept else [None, None])  # earlier: with the key
    assert answer["body"] == "Thanks" and answer["author_name"] == "Ann Wigan"
    assert raj_id == first["author_id"]
    page = api.client.get(f"/projects/{project}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Former member" in page and "Raj Leeds" not in page
    assert ("Leeds did this in 2018" in page) is kept
    assert ("The text of this comment was removed with its author" in page) is not kept
    logged = repr([vars(e) for e in api.rt.app.events.get(uuid.UUID(made))])  # the log itself
    assert "in 2019" not in logged and ("in 2018" in logged) is kept  # sealed, shredded with the key


def test_bad_comments_are_refused_and_store_nothing(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    project = api.project(ann)
    other = api.project(ann, "Another")
    elsewhere = api.comment(ann, other, "On the other project").json["id"]
    api.rt.catch_up()
    before = census(api.rt)
    for body, status, field in (
        ({"body": "   "}, 422, "body"),
        ({"body": "Bins\u202eapp"}, 422, "body"),
        ({"body": "x" * 5001}, 422, "body"),
        ({"body": "Ask @[Nowhere Shire Council]"}, 422, "body"),
        ({"body": "Reply", "parent_id": elsewhere}, 422, "parent_id"),
        ({"body": "Reply", "parent_id": str(uuid.uuid4())}, 422, "parent_id"),
        ({"body": "Hi", "colour": "red"}, 422, "colour"),
        ({}, 422, "body"),
    ):
        refused = api.client.post(f"/api/v1/projects/{project}/comments", json=body, headers=ann)
        assert is_problem(refused, status) and field in refused.json.get("errors", {}), (body, refused.json)
    assert is_problem(api.comment(ann, str(uuid.uuid4()), "Nobody's project"), 404)
    assert is_problem(api.client.post(f"/api/v1/projects/{project}/comments", json={"body": "Hi"}), 401)
    assert is_problem(api.client.get("/api/v1/comments/not-an-id"), 404)
    assert census(api.rt) == before


def test_a_repeated_post_under_one_idempotency_key_makes_one_comment(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    project = api.project(ann)
    key = {**ann, "Idempotency-Key": str(uuid.uuid4())}
    first = api.comment(key, project, "Once only")
    again = api.comment(key, project, "Once only")
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert [i["body"] for i in api.thread(project)] == ["Once only"]


def test_an_edit_that_read_the_comment_before_a_hide_cannot_win(api: Api) -> None:
    """The race, one losing interleaving at a time: the edit loaded the comment, the hide
    saved first; the edit's save is refused, and done again it sees the comment hidden."""
    app = api.rt.app
    ann, ann_id = api.person("WGN", "Ann Wigan")
    olive, olive_id = operator(api.client, "KTT")
    project = api.project(ann)
    made = uuid.UUID(api.comment(ann, project, "First words").json["id"])
    stale = app.repository.get(made)
    app.hide_comment(made, uuid.UUID(olive_id), "Off topic")
    stale.edit("Sneaked in", [], actor=uuid.UUID(ann_id))
    with pytest.raises(IntegrityError):
        app.save(stale)
    assert is_problem(api.client.patch(f"/api/v1/comments/{made}", json={"body": "Again"}, headers=ann), 409)
    shown = api.thread(project)[0]
    assert (shown["hidden_reason"], shown["versions"]) == ("Off topic", 1)


def test_the_2014_like_and_join_messages_come_first_at_their_original_times(api: Api) -> None:
    ann, ann_id = api.person("WGN", "Ann Wigan")
    _, raj_id = api.person("LDS", "Raj Leeds")
    project = api.project(ann)
    api.comment(ann, project, "Posted today")
    liked = datetime(2014, 10, 9, 16, 46, 51, tzinfo=UTC)
    joined = datetime(2014, 11, 2, 9, 0, tzinfo=UTC)
    imported = {"origin": ORIGIN, "kind": "like", "comment": "Great idea, we need this"}
    with clock.set_to(liked):
        like = Follow(id=Follow.id_for(uuid.UUID(project), uuid.UUID(raj_id)), project_id=uuid.UUID(project),
                      person_id=uuid.UUID(raj_id), imported=imported)  # fmt: skip
    with clock.set_to(joined):
        join = ContributionRequest(project_id=uuid.UUID(project), person_id=uuid.UUID(ann_id),
                                   organisation_id=council_id("WGN"), message="We can test it",
                                   imported={"origin": ORIGIN, "kind": "join"})  # fmt: skip
    api.rt.app.save(like, join)

    items = api.thread(project)
    assert [(i["origin"], i["body"], i["posted_at"][:19]) for i in items[:2]] == [
        ("like", "Great idea, we need this", "2014-10-09T16:46:51"),
        ("join", "We can test it", "2014-11-02T09:00:00"),
    ]
    assert items[0]["author_name"] == "Raj Leeds" and items[2]["body"] == "Posted today"


@pytest.mark.parametrize("choice", ["keep", "remove"])
def test_rebuilding_the_comments_view_gives_what_was_built_live(api: Api, choice: str) -> None:
    api.rt.app.env["ERASED_COMMENTS"] = choice
    ann, _ = api.person("WGN", "Ann Wigan")
    raj, _ = api.person("LDS", "Raj Leeds")
    olive, _ = operator(api.client, "KTT")
    project = api.project(ann)
    first = api.comment(raj, project, "Ask @[WGN]").json["id"]
    api.comment(ann, project, "Answered", parent=first)
    api.client.patch(f"/api/v1/comments/{first}", json={"body": "Ask @[Wigan Council]"}, headers=raj)
    hidden = api.comment(ann, project, "Oops").json["id"]
    api.client.post(f"/api/v1/comments/{hidden}/hide", json={"reason": "Posted by mistake"}, headers=olive)
    assert api.client.delete("/api/v1/me", json={"password": PASSWORD}, headers=raj).status_code == 200
    api.rt.catch_up()
    tables = {t: _rows(api.rt, t) for t in ("comments", "comment_versions")}
    assert len(tables["comments"]) == 3 and len(tables["comment_versions"]) == 4
    check = verify(api.rt.app, api.rt.db, get("comments"), batch_size=2, advance=lambda count: None)
    assert check.identical, check.tables  # `pipeline projections verify comments`
    rebuilds.rebuild(api.rt.app, api.rt.db, get("comments"), batch_size=2)
    assert {t: _rows(api.rt, t) for t in tables} == tables


def _rows(rt: Runtime, table: str) -> list[dict[str, Any]]:
    return [dict(r) for r in rt.db.query(f"SELECT * FROM {table} ORDER BY 1, 2")]


# ---------------------------------------------------------------- rate limit
@pytest.fixture(params=["sqlite", "pg"])
def limited(request: pytest.FixtureRequest) -> Iterator[Api]:
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    rt = build_runtime(replace(settings, comment_limit="3/minute"))
    yield Api(rt)
    rt.close()


def test_posting_comments_is_limited_per_account(limited: Api) -> None:
    ann, _ = limited.person("WGN", "Ann Wigan")
    raj, _ = limited.person("LDS", "Raj Leeds")
    project = limited.project(ann)
    assert [limited.comment(ann, project, f"Number {n}").status_code for n in range(3)] == [201, 201, 201]
    refused = limited.comment(ann, project, "One too many")
    assert is_problem(refused, 429) and int(refused.headers["Retry-After"]) > 0
    assert limited.comment(raj, project, "Someone else may").status_code == 201
    assert len(limited.thread(project)) == 4


# ------------------------------------------------------------- notifications
def test_a_comment_tells_the_projects_people_the_mentioned_and_the_answered_once_each(api: Api) -> None:
    ann, ann_id = api.person("WGN", "Ann Wigan")
    raj, raj_id = api.person("LDS", "Raj Leeds")
    bob, bob_id = api.person("KTT", "Bob Kirklees")
    _, kim_id = api.person("KEN", "Kim Kent")
    _, kit_id = api.person("KEN", "Kit Kent")
    project = api.project(ann)
    assert api.client.post(f"/api/v1/projects/{project}/follow", headers=bob).status_code == 200
    api.rt.app.choose_notifications(uuid.UUID(kit_id), frequency="daily")  # Kit reads a digest
    api.rt.app.choose_notifications(uuid.UUID(bob_id), switch={"comment": False})  # Bob said no
    api.rt.catch_up()
    before = {r["id"] for r in api.rt.db.query("SELECT id FROM outbox")}

    asked = api.comment(raj, project, "Could @[Kent County Council] help?").json["id"]
    api.comment(ann, project, "We will ask them", parent=asked)
    api.rt.catch_up()

    mail = [r for r in api.rt.db.query("SELECT * FROM outbox WHERE kind = 'comment'") if r["id"] not in before]
    told = sorted((r["person_id"], r["subject"]) for r in mail)
    assert told == sorted(
        [
            (ann_id, "Bins app: a new comment from Raj Leeds of Leeds City Council"),
            (kim_id, "Bins app: Raj Leeds of Leeds City Council mentioned Kent County Council"),
            (raj_id, "Bins app: Ann Wigan of Wigan Metropolitan Borough Council replied to your comment"),
        ]
    ), told
    digest = api.rt.db.query("SELECT person_id, kind FROM digest_items WHERE kind = 'comment'")
    assert [(d["person_id"], d["kind"]) for d in digest] == [(kit_id, "comment")]


def test_an_unknown_or_ambiguous_mention_says_how_to_write_one_not_how_to_sign_up(api: Api) -> None:
    ann, _ = api.person("WGN", "Ann Wigan")
    project = api.project(ann)
    before = census(api.rt)
    unknown = api.comment(ann, project, "Ask @[Nowhere Shire Council]")
    assert is_problem(unknown, 422)
    said = unknown.json["errors"]["body"][0]
    assert said.startswith("@[Nowhere Shire Council] is not an organisation on Pipeline.") and "@[LDS]" in said
    assert "organisation_kind" not in json.dumps(unknown.json), "a sign-up's hint, no use in a comment"
    vague = api.comment(ann, project, "Ask @[Kingston Council]")
    assert is_problem(vague, 422), vague.json
    said = vague.json["errors"]["body"][0]
    assert "register code" in said and "organisation_kind" not in said
    assert "@[KTT]" in said and "@[KHL]" in said, said
    assert census(api.rt) == before
