"""A person's page: the sections ``GET /api/v1/people/{id}`` adds (only those the person chose
to show; none once erased) and ``PUT /api/v1/me/page``, where they choose.

``SECTIONS`` is the one list of what a page can show: a new kind of thing a person does (their
comments, say) is one entry here, one name in ``domain.person.PAGE_SECTIONS`` and one nested
list in ``PersonPageSectionsSchema``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from marshmallow import Schema, fields, validate

from domain.person import PAGE_SECTIONS
from projections import people as people_view
from projections import person_page as view
from projections.base import views_read_by
from projections.db import Reader
from projections.runner import ProjectionFailing
from web.api.common import runtime, wait_for_views
from web.api.fields import OrganisationSummarySchema
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.validation import InputSchema

blp = Blueprint("person_page", __name__, url_prefix="/api/v1", description="What a person's page shows.")

SECTIONS: dict[str, Callable[[Reader, str], list[dict[str, Any]]]] = {
    "projects": view.projects_of,
    "pledges": view.pledges_by,
    "follows": view.follows_of,
    "comments": view.comments_of,
}
QUERIES = tuple(SECTIONS.values())  # what the sections read: waited for unless failing (``wait_for_sections``)


def wait_for_sections(min_position: int | None) -> None:
    """Read-your-writes for the sections too; but a failing projects view does not take the
    person's own answer down with it: the sections are then as far as that view got."""
    with suppress(ProjectionFailing):
        wait_for_views(views_read_by(*QUERIES), min_position)


class PageProjectSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    phase = fields.String()
    organisation = fields.Nested(OrganisationSummarySchema)
    roles = fields.List(
        fields.String(metadata={"enum": ["proposer", "team", "key_contact"]}), metadata={"description": "projects only"}
    )
    since = fields.String(metadata={"description": "follows only: when they started following"})


class PagePledgeSchema(Schema):
    project_id = fields.UUID()
    project_title = fields.String()
    organisation = fields.Nested(OrganisationSummarySchema, metadata={"description": "Who the pledge is for"})
    money = fields.String()
    days = fields.String()
    contributions = fields.List(fields.String())
    pledged_at = fields.String()


class PageCommentSchema(Schema):
    id = fields.UUID()
    project_id = fields.UUID()
    project_title = fields.String()
    organisation = fields.Nested(OrganisationSummarySchema, metadata={"description": "The project's organisation"})
    body = fields.String()
    posted_at = fields.String()
    edited_at = fields.String(allow_none=True)
    origin = fields.String(allow_none=True, metadata={"description": "like or join: left on the 2014 Pipeline"})
    parent_id = fields.UUID(allow_none=True, metadata={"description": "The comment it answers"})


class PersonPageSectionsSchema(Schema):
    shown = fields.List(
        fields.String(metadata={"enum": list(PAGE_SECTIONS)}),
        metadata={"description": "The sections the person chose to show (empty once erased)"},
    )
    projects = fields.List(fields.Nested(PageProjectSchema), metadata={"description": "If shown"})
    pledges = fields.List(fields.Nested(PagePledgeSchema), metadata={"description": "If shown"})
    follows = fields.List(fields.Nested(PageProjectSchema), metadata={"description": "If shown"})
    comments = fields.List(fields.Nested(PageCommentSchema), metadata={"description": "If shown"})


def _organisation(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "organisation": {
            "id": row["organisation_id"],
            "code": row.pop("organisation_code", None),
            "name": row.pop("organisation_name", None),
        },
    }


def sections(db: Reader, person: dict[str, Any]) -> dict[str, Any]:
    """``shown`` and each shown section's items, for a row of the people view."""
    shown = [name for name in people_view.shown(person) if name in SECTIONS]
    return {"shown": shown, **{name: [_organisation(r) for r in SECTIONS[name](db, person["id"])] for name in shown}}


class PageChoiceSchema(InputSchema):
    shown = fields.List(
        fields.String(validate=validate.OneOf(PAGE_SECTIONS)),
        required=True,
        validate=validate.Length(max=len(PAGE_SECTIONS)),
        metadata={"description": f"What your page shows, of {', '.join(PAGE_SECTIONS)}; [] shows none of them"},
    )


class PageChosenSchema(Schema):
    shown = fields.List(fields.String())
    event_position = fields.Integer(allow_none=True)


@blp.route("/me/page", methods=["PUT"])
@blp.arguments(PageChoiceSchema)
@blp.response(200, PageChosenSchema)
def choose(data: dict[str, Any]) -> dict[str, Any]:
    """Choose what your page (`/people/{id}`) shows besides your name, job title and organisation."""
    written = runtime().app.choose_page_sections(actor_id(), data["shown"], actor=actor_id())
    return {"shown": list(written.aggregate.page_shown), "event_position": written.position}
