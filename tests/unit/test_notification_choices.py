"""Each person's notification choices, the one-click unsubscribe token and the time-driven
facts (nudges, the quiet mark, deadline warnings), on the in-memory store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import clock
from domain.application import OrganisationRef, PipelineApplication
from domain.errors import NotFound, RuleBroken, ValidationFailed
from domain.notifications import KINDS, SWITCHABLE, NotificationPreferences, preferences_id
from tests.factories import PASSWORD, council_email
from tests.fakes import memory_application
from workers.adapters import unsubscribe


@pytest.fixture
def app() -> PipelineApplication:
    return memory_application()


def person(app: PipelineApplication, code: str = "WGN") -> Any:
    found = app.sign_up(
        name=f"Officer {code}",
        email=council_email(code),
        job_title=None,
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate
    app.verify_email(found.id)
    return found


def events_of(app: PipelineApplication, aggregate_id: uuid.UUID) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(aggregate_id)]


def test_someone_who_never_chose_gets_everything_at_once(app: PipelineApplication) -> None:
    ann = person(app)
    assert app.notification_preferences(ann.id) == {"frequency": "immediate", "off": [], "tags": [], "words": []}


def test_choices_are_kept_and_what_is_left_out_keeps_its_value(app: PipelineApplication) -> None:
    ann = person(app)
    app.choose_notifications(ann.id, frequency="weekly", tags=["Waste ", "waste", "Bins"])
    app.choose_notifications(ann.id, off=["pledge", "new-follower"], words=["potholes"])
    assert app.notification_preferences(ann.id) == {
        "frequency": "weekly",
        "off": ["new-follower", "pledge"],
        "tags": ["waste", "bins"],
        "words": ["potholes"],
    }


def test_choosing_the_same_again_records_nothing(app: PipelineApplication) -> None:
    ann = person(app)
    assert app.choose_notifications(ann.id, frequency="daily").position is not None
    assert app.choose_notifications(ann.id, frequency="daily").position is None
    assert events_of(app, preferences_id(ann.id)) == ["Chosen"]


@pytest.mark.parametrize(
    "choice",
    [
        {"frequency": "hourly"},
        {"off": ["no-such-kind"]},
        {"off": ["verify-email"]},  # the account's own messages cannot be refused
        {"words": ["two words"]},
        {"words": ["<script>"]},
        {"tags": ["x" * 51]},
        {"tags": [f"t{i}" for i in range(21)]},
    ],
)
def test_a_bad_choice_is_refused_and_nothing_is_stored(app: PipelineApplication, choice: dict[str, Any]) -> None:
    ann = person(app)
    with pytest.raises(ValidationFailed):
        app.choose_notifications(ann.id, **choice)
    assert events_of(app, preferences_id(ann.id)) == []


def test_unsubscribing_switches_one_kind_off_once(app: PipelineApplication) -> None:
    ann = person(app)
    assert app.unsubscribe(ann.id, "pledge").position is not None
    assert app.unsubscribe(ann.id, "pledge").position is None
    assert app.notification_preferences(ann.id)["off"] == ["pledge"]
    with pytest.raises(ValidationFailed):
        app.unsubscribe(ann.id, "reset-password")


def test_an_erased_persons_link_does_nothing(app: PipelineApplication) -> None:
    ann = person(app)
    app.erase(ann.id, actor=None)
    with pytest.raises(NotFound):
        app.unsubscribe(ann.id, "pledge")


def test_only_switchable_kinds_can_be_unwanted() -> None:
    prefs = NotificationPreferences(
        id=uuid.uuid4(), person_id=uuid.uuid4(), frequency="daily", off=["verify-email", "pledge"], tags=[], words=[]
    )
    assert prefs.wants("verify-email") and not prefs.wants("pledge") and prefs.wants("nudge")
    assert set(SWITCHABLE) == {k for k, kind in KINDS.items() if kind.switchable}


def test_an_unsubscribe_token_names_one_person_and_one_kind_and_cannot_be_edited() -> None:
    secret, ann = b"s" * 32, uuid.uuid4()
    token = unsubscribe.make(secret, ann, "pledge")
    assert unsubscribe.read(secret, token) == (ann, "pledge")
    other_kind = token.replace(".pledge.", ".nudge.")
    other_person = uuid.uuid4().hex + token[32:]
    for forged in (other_kind, other_person, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 70):
        assert unsubscribe.read(secret, forged) is None
    assert unsubscribe.read(b"t" * 32, token) is None  # another server's secret


def project(app: PipelineApplication, owner: Any) -> Any:
    return app.propose_project(owner.id, "alpha", {"title": "Bins", "summary": "Collections"}).aggregate


def test_nudges_go_in_order_at_most_twice_then_the_project_is_marked_quiet(app: PipelineApplication) -> None:
    owner = person(app)
    found = project(app, owner)
    idle_since = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuleBroken):
        app.nudge_project(found.id, idle_since, 2)  # not before the first
    first = app.nudge_project(found.id, idle_since, 1)
    assert first.position is not None and first.aggregate.key_contact_id == owner.id
    assert app.nudge_project(found.id, idle_since, 1).position is None  # a second sweep: nothing more
    assert app.nudge_project(found.id, idle_since, 2).position is not None
    quiet = app.nudge_project(found.id, idle_since, 3)
    assert type(quiet.aggregate).__name__ == "ProjectWentQuiet" and quiet.position is not None
    assert app.nudge_project(found.id, idle_since, 3).position is None
    later = idle_since + timedelta(days=90)  # a new idle spell after an update starts again at 1
    assert app.nudge_project(found.id, later, 1).position is not None


def test_a_deadline_warning_is_given_once_and_only_within_the_week(app: PipelineApplication) -> None:
    owner = person(app)
    found = project(app, owner)
    deadline = clock.now() + timedelta(days=10)
    goal = {"money": "100", "days": "0", "min_partners": 0, "deadline": deadline.isoformat()}
    app.set_goal(found.id, goal, owner.id)
    assert app.warn_deadline(found.id).position is None  # ten days away: not yet
    with clock.set_to(deadline - timedelta(days=6)):
        assert app.warn_deadline(found.id).position is not None
        assert app.warn_deadline(found.id).position is None


def test_an_unanswered_request_is_reminded_once_after_a_week_but_not_one_from_long_ago(
    app: PipelineApplication,
) -> None:
    owner, asker, late = person(app), person(app, "KTT"), person(app, "LDS")
    found = project(app, owner)
    request = app.request_contribution(found.id, asker.id, "Can we help?").aggregate
    assert app.remind_request(request.id).position is None  # not yet a week
    with clock.set_to(clock.now() + timedelta(days=8)):
        assert app.remind_request(request.id).position is not None
        assert app.remind_request(request.id).position is None
    with clock.set_to(clock.now() + timedelta(days=8)):
        old = app.request_contribution(found.id, late.id, None).aggregate
    with clock.set_to(clock.now() + timedelta(days=60)):  # unanswered for 52 days when first seen
        assert app.remind_request(old.id).position is None


def test_a_project_idle_for_over_a_year_and_never_nudged_is_not_nudged_now(app: PipelineApplication) -> None:
    found = project(app, person(app))
    long_ago = clock.now() - timedelta(days=400)  # history taken in before marks carried their writing time
    assert app.nudge_project(found.id, long_ago, 1).position is None
    assert app.nudge_project(found.id, clock.now() - timedelta(days=61), 1).position is not None


@pytest.mark.parametrize("tag", ["\u200b", "\u200b\u200d", "waste\u202e", "\u2066bins"])
def test_an_invisible_or_direction_flipping_tag_is_refused_for_interests(app: PipelineApplication, tag: str) -> None:
    ann = person(app)
    with pytest.raises(ValidationFailed):
        app.choose_notifications(ann.id, tags=[tag])
    assert events_of(app, preferences_id(ann.id)) == []
