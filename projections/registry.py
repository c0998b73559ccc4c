"""Every projection by name: the runner, the CLI, workers and the API look them up here."""

from __future__ import annotations

from projections.activity import ActivityProjection
from projections.base import Projection
from projections.comments import CommentsProjection
from projections.interests import InterestsProjection
from projections.organisations import OrganisationsProjection
from projections.people import PeopleProjection
from projections.project_updates import ProjectUpdatesProjection
from projections.projects import ProjectsProjection
from projections.signups import SignupsTimelineProjection

PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        OrganisationsProjection(),
        PeopleProjection(),
        SignupsTimelineProjection(),
        ProjectsProjection(),
        ProjectUpdatesProjection(),
        ActivityProjection(),
        InterestsProjection(),
        CommentsProjection(),
    )
}


def get(name: str) -> Projection:
    try:
        return PROJECTIONS[name]
    except KeyError:
        raise KeyError(f"No projection called {name!r}; known: {', '.join(PROJECTIONS)}") from None


def all_projections() -> list[Projection]:
    return list(PROJECTIONS.values())
