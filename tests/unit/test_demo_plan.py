"""The demo's story as planned (no store): seeded, inside the window, causes before effects."""

from __future__ import annotations

from datetime import UTC, datetime

from workers.history.demo.planning import plan
from workers.history.demo.story import END, START, Options, Plan, Step, daytime

STORY = plan(Options())


def test_the_same_seed_plans_the_same_steps_and_another_seed_others() -> None:
    assert plan(Options()).steps == STORY.steps
    assert plan(Options(seed=1)).steps != STORY.steps


def test_sizes_follow_the_options() -> None:
    small = plan(Options(seed=3, councils=10, suppliers=2, projects=4))
    assert [o.kind for o in small.orgs].count("council") == 10
    assert [o.kind for o in small.orgs].count("supplier") == 2
    assert sum(1 for s in small.steps if s.kind == "propose") == 4
    assert plan(Options(projects=0)).projects == 0


def test_every_step_is_inside_the_window_and_councils_existed_then() -> None:
    assert all(START <= s.at < END for s in STORY.steps)
    assert all(o.code for o in STORY.orgs if o.kind == "council")


def _first(steps: list[Step], kind: str, **match: object) -> datetime:
    return min(s.at for s in steps if s.kind == kind and all(s.args.get(k) == v for k, v in match.items()))


def test_people_act_only_after_signing_up_and_verifying() -> None:
    steps = STORY.ordered()
    for s in steps:
        if s.kind in ("sign_up", "decide_goal"):
            continue
        person = s.args.get("person")
        if s.kind == "verify":
            assert _first(steps, "sign_up", person=person) < s.at
        else:
            assert _first(steps, "verify", person=person) < s.at, s


def test_goals_take_pledges_before_their_deadline_and_are_decided_at_it() -> None:
    steps = STORY.ordered()
    goals = [s for s in steps if s.kind == "goal"]
    assert goals
    for goal in goals:
        deadline = datetime.fromisoformat(goal.args["goal"]["deadline"])
        project = goal.args["project"]
        assert _first(steps, "propose", project=project) < goal.at < deadline < END
        assert _first(steps, "decide_goal", project=project) == deadline
        pledges = [s.at for s in steps if s.kind == "pledge" and s.args["project"] == project]
        assert all(goal.at < at < deadline for at in pledges)


def test_requests_are_answered_after_they_are_made() -> None:
    steps = STORY.ordered()
    for answer in (s for s in steps if s.kind == "decide_request"):
        assert _first(steps, "request", request=answer.args["request"]) < answer.at


def test_night_time_steps_move_to_the_next_morning_in_london() -> None:
    late = datetime(2014, 11, 3, 22, 30, tzinfo=UTC)  # 22:30 GMT
    moved = daytime(late)
    assert moved > late and moved.date().isoformat() == "2014-11-04" and 8 <= moved.hour < 13
    noon = datetime(2014, 11, 3, 12, 0, tzinfo=UTC)
    assert daytime(noon) == noon


def test_a_plan_without_people_plans_no_projects() -> None:
    empty = plan(Options(councils=1, suppliers=0, projects=5), councils=[])
    assert isinstance(empty, Plan) and empty.projects == 0 and empty.people == []
