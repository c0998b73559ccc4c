"""How the report reads what the legacy import writes (``imported`` on events), with small
fake events: migration stamps are not sign-up times; likes and joins are their own kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from workers.report.engagement import report
from workers.report.facts import Fact, to_fact
from workers.report.params import parse

T0 = datetime(2014, 10, 1, 12, tzinfo=UTC)
MODULES = {"Organisation": "domain.organisation", "Person": "domain.person", "Project": "domain.project"}


def fake(topic: str, originator: UUID, at: datetime, **attrs: Any) -> Any:
    aggregate, name = topic.split(".")
    cls = type(name, (), {"__qualname__": topic, "__module__": MODULES.get(aggregate, "domain.interest")})
    event = cls()
    event.originator_id, event.timestamp = originator, at
    for key, value in attrs.items():
        setattr(event, key, value)
    return event


def facts(*events: Any) -> list[Fact]:
    out = [to_fact(e, position) for position, e in enumerate(events, 1)]
    return [f for f in out if f is not None]


def test_people_with_a_migration_stamp_count_but_stay_out_of_weeks_and_cohorts() -> None:
    org, stamped, real = uuid4(), uuid4(), uuid4()
    legacy = {"origin": "pipeline-2014", "legacy_id": 7, "created_on_is_migration_stamp": True}
    r = report(
        facts(
            fake("Organisation.Registered", org, T0, kind="council", name="Wigan", code="WGN"),
            fake("Person.SignedUp", stamped, T0, organisation_id=org, organisation_kind="council", imported=legacy),
            fake("Person.SignedUp", real, T0 + timedelta(days=1), organisation_id=org, organisation_kind="council"),
        ),
        parse(),
        head=3,
    )
    assert (r["people"]["signed_up"], r["people"]["undated_sign_ups"]) == (2, 1)
    assert [w["people"] for w in r["people"]["by_week"]] == [1]
    assert [c["people"] for c in r["cohorts"]] == [1]
    assert r["notes"] and "migration stamp" in r["notes"][0]


def test_legacy_likes_and_joins_are_counted_as_their_own_kinds_of_interest() -> None:
    org, person, project = uuid4(), uuid4(), uuid4()
    like = {"origin": "pipeline-2014", "kind": "like"}
    join = {"origin": "pipeline-2014", "kind": "join"}
    r = report(
        facts(
            fake("Person.SignedUp", person, T0, organisation_id=org, organisation_kind="council"),
            fake(
                "Project.Proposed",
                project,
                T0,
                organisation_id=org,
                proposer_id=person,
                phase="alpha",
                details={"title": "Old project"},
            ),
            fake(
                "Follow.Followed", uuid4(), T0 + timedelta(days=1), project_id=project, person_id=person, imported=like
            ),
            fake(
                "ContributionRequest.Requested",
                uuid4(),
                T0 + timedelta(days=2),
                project_id=project,
                person_id=person,
                organisation_id=org,
                imported=join,
            ),
            fake("Follow.Followed", uuid4(), T0 + timedelta(days=3), project_id=project, person_id=uuid4()),
        ),
        parse(),
        head=5,
    )
    assert r["interest"]["by_kind"] == {
        "follow": 1,
        "need": 0,
        "contribution_request": 0,
        "legacy_like": 1,
        "legacy_join": 1,
    }
    assert r["interest"]["forgotten"]["unanswered_requests"]["count"] == 1


def test_events_the_report_does_not_read_leave_no_fact() -> None:
    assert to_fact(fake("HistoryMark.Written", uuid4(), T0, origin="demo", events=[]), 1) is None
    assert to_fact(fake("PersonEmail.Claimed", uuid4(), T0, person_id=uuid4()), 2) is None


def test_interest_is_followed_through_when_a_colleague_acts_later_on_the_project() -> None:
    owner, partner, proposer, follower, colleague, stranger = (uuid4() for _ in range(6))
    project = uuid4()
    people = [(proposer, owner), (follower, partner), (colleague, partner), (stranger, uuid4())]
    r = report(
        facts(
            *[
                fake("Person.SignedUp", pid, T0, organisation_id=org, organisation_kind="council")
                for pid, org in people
            ],
            fake(
                "Project.Proposed",
                project,
                T0,
                organisation_id=owner,
                proposer_id=proposer,
                phase="alpha",
                details={"title": "Shared"},
            ),
            fake("Follow.Followed", uuid4(), T0 + timedelta(days=1), project_id=project, person_id=follower),
            fake("Follow.Followed", uuid4(), T0 + timedelta(days=1), project_id=project, person_id=stranger),
            fake(
                "Project.PledgeMade",
                project,
                T0 + timedelta(days=2),
                organisation_id=partner,
                person_id=colleague,
                pledge={"money": "10", "days": "0", "contributions": []},
            ),
        ),
        parse(),
        head=8,
    )
    forgotten = r["interest"]["forgotten"]["items"]
    assert [item["organisation"]["id"] for item in forgotten] == [str(people[3][1])]  # only the stranger's


def _imported_history(late_sign_up: datetime) -> list[Fact]:
    """A migration stamp on most accounts, a project with four later versions, a like, and a
    sign-up after the last of them."""
    org, project, proposer = uuid4(), uuid4(), uuid4()
    stamp = {"origin": "pipeline-2014", "legacy_id": "x", "created_on_is_migration_stamp": True}
    stamped = [
        fake("Person.SignedUp", uuid4(), T0, organisation_id=org, organisation_kind="council", imported=stamp)
        for _ in range(3)
    ]
    at = [T0 - timedelta(days=10) + timedelta(days=n) for n in range(5)]
    return facts(
        fake("Person.SignedUp", proposer, T0, organisation_id=org, organisation_kind="council", imported=stamp),
        *stamped,
        fake("Project.Proposed", project, at[0], organisation_id=org, proposer_id=proposer, phase="alpha",
             details={"title": "Old project"}),
        fake("Project.Edited", project, at[1], actor=proposer, changes={"description": {"from": "a", "to": "b"}}),
        fake("Project.Edited", project, at[2], actor=proposer, changes={"description": {"from": "b", "to": "c"}}),
        fake("Project.PhaseChanged", project, at[2], phase="beta", actor=proposer),  # the same version
        fake("Project.PhaseChanged", project, at[3], phase="live", actor=proposer),  # a version changing the phase only
        fake("Follow.Followed", uuid4(), T0 + timedelta(days=5), project_id=project, person_id=proposer,
             imported={"origin": "pipeline-2014", "kind": "like"}),
        fake("Person.SignedUp", uuid4(), late_sign_up, organisation_id=org, organisation_kind="council"),
    )  # fmt: skip


def test_with_a_migration_stamp_the_period_ends_at_the_last_activity_not_the_last_sign_up() -> None:
    last_like = T0 + timedelta(days=5)
    r = report(_imported_history(late_sign_up=T0 + timedelta(days=40)), parse(), head=20)
    assert r["period"]["to"] == last_like.isoformat()
    assert (r["people"]["signed_up"], r["people"]["undated_sign_ups"]) == (4, 4)
    assert any("sign-up dates are unknown" in n for n in r["notes"])
    assert any("1 sign-up(s) after it are outside the period" in n for n in r["notes"])
    asked = report(_imported_history(late_sign_up=T0 + timedelta(days=40)), parse(until="2014-12-31"), head=20)
    assert asked["people"]["signed_up"] == 5  # a period asked for is the one given


def test_edits_are_versions_that_changed_something_a_phase_change_with_an_edit_is_one() -> None:
    r = report(_imported_history(late_sign_up=T0 + timedelta(days=40)), parse(), head=20)
    assert r["projects"]["edits"] == 3  # text; text and phase at one moment; phase alone


def test_a_field_restored_to_an_earlier_value_is_an_edit() -> None:
    history = _imported_history(late_sign_up=T0 + timedelta(days=40))
    project, person = history[4].id, history[0].id
    restored = fake("Project.FieldRestored", project, T0 + timedelta(days=6), actor=person,
                    changes={"title": {"from": "Old project", "to": "Older project"}},
                    restored_version=1, moderation=False)  # fmt: skip
    r = report([*history, *facts(restored)], parse(until="2014-12-31"), head=20)
    assert r["projects"]["edits"] == 4
