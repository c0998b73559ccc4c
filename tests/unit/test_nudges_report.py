"""The engagement report's nudge measure, from small fake events: nudges answered by an update
within 14 days, against idle spells that reached the nudge length without a nudge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from tests.unit.test_engagement_legacy import fake
from workers.report.engagement import report
from workers.report.facts import Fact, to_fact, topics
from workers.report.params import parse
from workers.report.render import markdown

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
DAY = timedelta(days=1)
ORG, PERSON = uuid4(), uuid4()


def nudge(project: UUID, at: datetime, number: int, idle_since: datetime) -> Any:
    event = fake("ProjectNudge.Sent", uuid4(), at, project_id=project, number=number, idle_since=idle_since.isoformat())
    type(event).__module__ = "domain.reminders"
    return event


def proposed(project: UUID, at: datetime) -> Any:
    return fake(
        "Project.Proposed",
        project,
        at,
        organisation_id=ORG,
        proposer_id=PERSON,
        phase="alpha",
        details={"title": "P"},
        imported=None,
    )


def updated(project: UUID, at: datetime) -> Any:
    return fake("StatusUpdate.Posted", uuid4(), at, project_id=project, author_id=PERSON)


def facts(*events: Any) -> list[Fact]:
    return [f for f in (to_fact(e, n) for n, e in enumerate(events, 1)) if f is not None]


def test_the_report_reads_nudges_from_the_log() -> None:
    assert "domain.reminders:ProjectNudge.Sent" in topics()


def test_nudges_answered_within_fourteen_days_are_counted_against_unnudged_idle_spells() -> None:
    answered, ignored, old, revived, recent = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    events = [
        proposed(old, T0 - 400 * DAY),  # before nudges: 60 days idle, an update 10 days later, then idle
        updated(old, T0 - 330 * DAY),
        proposed(revived, T0 - 400 * DAY),  # before nudges: idle until long after
        proposed(answered, T0),
        nudge(answered, T0 + 60 * DAY, 1, T0),
        updated(answered, T0 + 65 * DAY),  # answered; then idle (not nudged: nudges stopped, say)
        proposed(ignored, T0),
        nudge(ignored, T0 + 61 * DAY, 1, T0),
        nudge(ignored, T0 + 75 * DAY, 2, T0),
        proposed(recent, T0 + 130 * DAY),
        nudge(recent, T0 + 190 * DAY, 1, T0 + 130 * DAY),  # 10 days before the end: too recent to tell
        updated(revived, T0 + 200 * DAY),  # the last event: the period ends here
    ]
    figures = report(facts(*events), parse(), head=len(events))["nudges"]

    assert (figures["idle_days"], figures["answer_days"]) == (60, 14)
    assert figures["nudged"] == {"count": 4, "answered": 1, "unanswered": 2, "pending": 1, "share_answered": 0.333}
    # answered: old's first spell; unanswered: old's second, revived's, answered's second
    assert figures["not_nudged"] == {"count": 4, "answered": 1, "unanswered": 3, "pending": 0, "share_answered": 0.25}
    text = markdown(report(facts(*events), parse(), head=len(events)))
    assert "## Nudges" in text and "4 nudges: 33% followed by a status update" in text


def test_the_idle_length_is_read_from_the_nudges_themselves() -> None:
    project = uuid4()
    events = [proposed(project, T0), nudge(project, T0 + 30 * DAY + timedelta(hours=3), 1, T0)]
    assert report(facts(*events), parse(), head=2)["nudges"]["idle_days"] == 30
    assert report(facts(proposed(project, T0)), parse(), head=1)["nudges"]["idle_days"] == 60
