"""The activity feed, built from commands run through the application, on both databases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest

from domain.application import OrganisationRef
from domain.organisation import council_id
from projections import activity, rebuilds
from projections.registry import get
from tests.factories import PASSWORD, council_email, email
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

TITLE = "Bulky waste booking"
PLEDGE = {"money": "500.00", "days": "5", "contributions": ["testing"], "message": "Happy to help"}


@dataclass
class Story:
    ann: UUID  # Wigan, proposes the project
    bob: UUID  # a new supplier, pledges and joins the team
    bob_email: str
    acme: UUID
    project: UUID


def sign_up(runtime: Runtime, name: str, address: str, organisation: OrganisationRef) -> UUID:
    person = runtime.app.sign_up(
        name=name, email=address, job_title="Developer", organisation=organisation, password=PASSWORD
    ).aggregate.id
    runtime.app.verify_email(person)
    return person


def story(runtime: Runtime) -> Story:
    """Two organisations around one project, touching most kinds of activity."""
    app, bob_email = runtime.app, email()
    ann = sign_up(runtime, "Ann Example", council_email("WGN"), OrganisationRef(code="WGN"))
    bob = sign_up(runtime, "Bob Builder", bob_email, OrganisationRef(name="Acme Digital Ltd", kind="supplier"))
    project = app.propose_project(ann, "discovery", {"title": TITLE, "summary": "Book a collection"}).aggregate.id
    app.edit_project(project, {"summary": "Book a bulky waste collection", "tags": ["waste"]}, ann)
    app.change_phase(project, "alpha", ann)
    app.follow(project, bob, following=True)
    app.follow(project, bob, following=False)  # unfollows are left out of the feed
    app.declare_need(project, bob, "We need this too")
    app.make_pledge(project, bob, PLEDGE)
    request = app.request_contribution(project, bob, "Let me help").aggregate.id
    app.decide_contribution(project, request, ann, approve=True)
    update = app.post_status_update(project, "User research done", ann).aggregate.id
    app.revise_status_update(project, update, "User research done: 12 interviews", ann)
    acme = app.get_person(bob).organisation_id
    runtime.catch_up()
    return Story(ann, bob, bob_email, acme, project)


def types(rows: list[dict]) -> list[str]:
    return [r["type"] for r in rows]


def test_the_register_of_councils_is_not_news(any_runtime: Runtime) -> None:
    any_runtime.catch_up()
    assert any_runtime.db.query("SELECT COUNT(*) AS n FROM organisations")[0]["n"] == 470
    assert activity.feed(any_runtime.db) == []


def test_the_feed_tells_what_happened_newest_first(any_runtime: Runtime) -> None:
    s = story(any_runtime)
    rows = activity.feed(any_runtime.db)
    assert types(rows) == [
        "status_update.corrected",
        "status_update.posted",
        "project.team_joined",
        "contribution.approved",
        "contribution.requested",
        "pledge.made",
        "project.need_declared",
        "project.followed",
        "project.phase_changed",
        "project.edited",
        "project.proposed",
        "organisation.admin_appointed",
        "person.signed_up",
        "organisation.created",
        "organisation.admin_appointed",
        "person.signed_up",
    ]
    assert [(r["at"], r["id"]) for r in rows] == sorted(((r["at"], r["id"]) for r in rows), reverse=True)
    by_type = {r["type"]: r for r in reversed(rows)}  # the newest of each type
    assert by_type["pledge.made"]["summary"] == (
        f"Bob Builder (Acme Digital Ltd) pledged £500.00, 5 person-days and testing to {TITLE}"
    )
    assert by_type["pledge.made"]["detail"] == {"money": "500.00", "days": "5", "contributions": ["testing"]}
    assert by_type["project.edited"]["summary"] == f"Ann Example edited the summary and tags of {TITLE}"
    assert by_type["project.phase_changed"]["summary"] == f"Ann Example moved {TITLE} from discovery to alpha"
    assert by_type["contribution.approved"]["summary"] == f"Ann Example approved Bob Builder's request to join {TITLE}"
    assert by_type["status_update.corrected"]["project_id"] == str(s.project)
    assert by_type["project.proposed"]["summary"] == (
        f"Ann Example (Wigan Metropolitan Borough Council) proposed {TITLE}, in discovery"
    )
    assert by_type["organisation.created"]["summary"] == "Acme Digital Ltd joined Pipeline"
    assert "Happy to help" not in json.dumps(rows) and "We need this too" not in json.dumps(rows)


def test_the_feed_filters_by_project_organisation_person_and_type(any_runtime: Runtime) -> None:
    s = story(any_runtime)
    db = any_runtime.db
    everything = activity.feed(db)
    about_project = activity.feed(db, project_id=str(s.project))
    assert types(about_project) == [t for t in types(everything) if not t.startswith(("person.", "organisation."))]
    wigan = activity.feed(db, organisation_id=str(council_id("WGN")))
    assert types(wigan)[-2:] == ["organisation.admin_appointed", "person.signed_up"]  # Ann's
    assert "pledge.made" in types(wigan)  # Acme's pledge, to Wigan's project
    assert all(r["person_id"] != str(s.bob) for r in wigan if r["type"].startswith("person."))
    acme = activity.feed(db, organisation_id=str(s.acme))
    assert types(acme) == [
        "project.team_joined",
        "contribution.approved",
        "contribution.requested",
        "pledge.made",
        "project.need_declared",
        "organisation.admin_appointed",
        "person.signed_up",
        "organisation.created",
    ]
    bob = activity.feed(db, person_id=str(s.bob))
    assert {r["type"] for r in bob} >= {"person.signed_up", "pledge.made", "contribution.approved"}
    assert all(str(s.bob) in (r["person_id"], r["actor_id"]) for r in bob)
    assert types(activity.feed(db, type="pledge.made")) == ["pledge.made"]
    assert activity.feed(db, project_id=str(s.project), type="person.signed_up") == []


def test_paging_with_before_visits_every_row_once_in_order(any_runtime: Runtime) -> None:
    story(any_runtime)
    everything = activity.feed(any_runtime.db)
    seen, before = [], None
    while True:
        page = activity.feed(any_runtime.db, before=before, limit=3)
        seen += page
        if len(page) < 3:
            break
        before = (page[-1]["at"], page[-1]["id"])
    assert [r["id"] for r in seen] == [r["id"] for r in everything]


def test_an_erased_person_shows_as_former_member_and_leaves_no_personal_data(any_runtime: Runtime) -> None:
    s = story(any_runtime)
    any_runtime.app.erase(s.bob, actor=s.bob)
    any_runtime.catch_up()
    rows = activity.feed(any_runtime.db)
    assert rows[0]["type"] == "person.erased" and rows[0]["summary"] == "Former member was erased"
    pledge = next(r for r in rows if r["type"] == "pledge.made")
    assert pledge["summary"].startswith("Former member (Acme Digital Ltd) pledged £500.00")
    shown = json.dumps(rows) + json.dumps(any_runtime.db.query("SELECT * FROM activity"))
    assert "Bob" not in shown and s.bob_email not in shown and "Developer" not in shown
    assert "Ann Example" in shown


def test_a_goal_decided_at_its_deadline_shows_as_met(any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    s = story(any_runtime)
    app = any_runtime.app
    deadline = app.now() + timedelta(days=1)
    app.set_goal(s.project, {"min_partners": 1, "money": "400", "days": "0", "deadline": deadline.isoformat()}, s.ann)
    monkeypatch.setattr(app, "now", lambda: deadline + timedelta(seconds=1))
    app.decide_goal(s.project)
    any_runtime.catch_up()
    rows = activity.feed(any_runtime.db, project_id=str(s.project))
    assert types(rows)[:2] == ["project.goal_met", "project.goal_set"]
    assert rows[0]["summary"] == f"{TITLE} met its goal, with 1 partner, £500.00 and 5 person-days"
    assert rows[1]["summary"].startswith(f"Ann Example set a goal for {TITLE}: 1 partner and £400.00 by ")


def test_rebuilding_the_feed_gives_the_same_rows(any_runtime: Runtime) -> None:
    s = story(any_runtime)
    any_runtime.app.erase(s.bob, actor=s.bob)
    any_runtime.catch_up()
    table = "SELECT * FROM activity ORDER BY id"
    built, shown = any_runtime.db.query(table), activity.feed(any_runtime.db)
    assert len(built) == 17
    rebuilds.rebuild(any_runtime.app, any_runtime.db, get("activity"), batch_size=4)  # sources across batches
    assert any_runtime.db.query(table) == built
    assert activity.feed(any_runtime.db) == shown


def test_a_hidden_status_update_leaves_the_feed_with_all_its_rows(any_runtime: Runtime) -> None:
    s = story(any_runtime)
    app = any_runtime.app
    address = council_email("LDS")
    operator = sign_up(any_runtime, "Olu Operator", address, OrganisationRef(code="LDS"))
    app.set_operator(address, True)
    posted = activity.feed(any_runtime.db, type="status_update.posted")[0]
    update = UUID(posted["id"].split(":")[0])
    app.hide_status_update(s.project, update, "Spam.", operator)
    any_runtime.catch_up()
    for rows in (activity.feed(any_runtime.db), activity.feed(any_runtime.db, project_id=str(s.project))):
        assert [t for t in types(rows) if t.startswith("status_update.")] == []
        assert "project.team_joined" in types(rows), "the project's other news stays"
    shown = activity.feed(any_runtime.db)
    rebuilds.rebuild(any_runtime.app, any_runtime.db, get("activity"), batch_size=3)
    assert activity.feed(any_runtime.db) == shown
