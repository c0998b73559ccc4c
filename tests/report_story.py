"""A small hand-made history for the engagement report, written through the app's commands
with the clock set, whose right answers are written out in the report's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain import clock, history
from domain.application import OrganisationRef, PipelineApplication
from tests.factories import PASSWORD, council_member, email

START = datetime(2014, 9, 1, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2014-W36


@dataclass
class Story:
    p1: UUID  # Wigan's "Bulky waste collections": followed, pledged, edited, updated, goal met
    p2: UUID  # Kingston's "Parking permits": followed and needed, never updated (forgotten)
    acme: UUID  # the supplier that pledged and joined Wigan's team


def write_story(app: PipelineApplication) -> Story:
    with history.writing_history(history.DEMO), clock.set_to(START) as c:
        a = council_member(app, "WGN").id  # 09-01
        c.advance(timedelta(days=1))
        b = council_member(app, "KTT").id  # 09-02
        c.advance(timedelta(days=1))
        council_member(app, "WGN", verified=False)  # 09-03: C never verifies
        c.move_to(datetime(2014, 9, 10, 9, tzinfo=UTC))  # week 37
        d = app.sign_up(
            name="Dee",
            email=email(),
            job_title=None,
            organisation=OrganisationRef(name="Acme Digital Ltd", kind="supplier"),
            password=PASSWORD,
        ).aggregate.id
        app.verify_email(d)
        c.advance(timedelta(days=1))  # 09-11
        p1 = app.propose_project(a, "discovery", {"title": "Bulky waste collections"}).aggregate.id
        c.advance(timedelta(days=1))  # 09-12
        app.follow(p1, b, following=True)
        c.advance(timedelta(days=1))  # 09-13
        p2 = app.propose_project(b, "alpha", {"title": "Parking permits"}).aggregate.id
        c.advance(timedelta(days=1))  # 09-14
        app.follow(p2, a, following=True)
        c.advance(timedelta(days=1))  # 09-15
        app.make_pledge(p1, d, {"money": "1000.00", "days": "5", "contributions": [], "message": None})
        c.move_to(datetime(2014, 9, 20, 9, tzinfo=UTC))
        app.edit_project(p1, {"summary": "One booking service for every council"}, a)
        c.move_to(datetime(2014, 10, 5, 9, tzinfo=UTC))
        app.post_status_update(p1, "Discovery interviews done", a)
        c.advance(timedelta(days=1))  # 10-06
        app.declare_need(p2, d, "We need this too")
        c.advance(timedelta(days=1))  # 10-07
        request = app.request_contribution(p1, d, "We can help with testing").aggregate.id
        c.advance(timedelta(days=1))  # 10-08
        app.decide_contribution(p1, request, a, approve=True)
        c.advance(timedelta(days=1))  # 10-09
        app.request_contribution(p1, b, None)  # never answered
        goal = {"min_partners": 1, "money": "500.00", "days": "0.00", "deadline": "2014-11-01T00:00:00+00:00"}
        app.set_goal(p1, goal, a)
        c.move_to(datetime(2014, 11, 2, 9, tzinfo=UTC))
        app.decide_goal(p1)
        c.move_to(datetime(2015, 1, 15, 9, tzinfo=UTC))  # 2015-W03
        council_member(app, "LDS")
        c.move_to(datetime(2015, 3, 1, 9, tzinfo=UTC))
        app.post_status_update(p1, "Beta live in two councils", a)
    return Story(p1, p2, _org_of(app, d))


def _org_of(app: PipelineApplication, person: UUID) -> UUID:
    return app.get_person(person).organisation_id  # type: ignore[return-value]
