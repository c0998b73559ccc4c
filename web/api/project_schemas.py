"""Schemas for projects: input (proposal, change, pledge, goal) and output."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from domain.local_time import LONDON
from domain.notifications import tag_problem
from domain.project import BUDGET_BANDS, COLLABORATION_LEVELS, CONTRIBUTION_KINDS, PHASES
from web import messages
from web.api.fields import AmountString, Day, OrganisationSummarySchema, Prose, Text, within
from web.http.validation import InputSchema

MAX_DEADLINE_AHEAD = timedelta(days=10 * 366)  # a goal is for a project, not a century


class Tag(Text):
    """A tag: trimmed, lower-cased, at most 50 characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        tag = " ".join(super()._deserialize(value, attr, data, **kwargs).casefold().split())
        problem = tag_problem(tag)
        if problem:
            raise ValidationError(messages.about("tag", problem))
        return tag


class LinksSchema(InputSchema):
    prototype = fields.Url(allow_none=True, validate=validate.Length(max=500))
    repository = fields.Url(allow_none=True, validate=validate.Length(max=500))
    blog = fields.Url(allow_none=True, validate=validate.Length(max=500))


class ProjectFieldsSchema(InputSchema):
    title = Text(validate=validate.Length(max=200))
    summary = Text(validate=validate.Length(max=1000), metadata={"description": "One paragraph"})
    description = Prose(validate=validate.Length(max=20000), free_text=True, metadata={"description": "Markdown"})
    tags = fields.List(Tag(), validate=validate.Length(max=20))
    department = Text(allow_none=True, validate=validate.Length(max=200))
    key_contact_id = fields.UUID(allow_none=True, metadata={"description": "A member of the owning organisation"})
    phase_start = Day(allow_none=True)
    phase_end = Day(allow_none=True)
    phase_dates_estimated = fields.Boolean(allow_none=True)
    budget_band = fields.String(allow_none=True, validate=validate.OneOf(BUDGET_BANDS))
    collaboration_level = fields.String(allow_none=True, validate=validate.OneOf(COLLABORATION_LEVELS))
    next_assessment = Day(allow_none=True, metadata={"description": "Next service assessment"})
    links = fields.Nested(LinksSchema)

    @validates_schema
    def dates_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("phase_start"), data.get("phase_end")
        if start and end and end < start:
            raise ValidationError(messages.message("phase_end", "before_start"), field_name="phase_end")

    @post_load
    def plain(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Dates as ISO text and tags de-duplicated: what the events record."""
        for key in ("phase_start", "phase_end", "next_assessment"):
            if data.get(key) is not None:
                data[key] = data[key].isoformat()
        if "tags" in data:
            data["tags"] = list(dict.fromkeys(data["tags"]))
        if "links" in data:
            data["links"] = {k: v for k, v in data["links"].items() if v}
        return data


class ProjectProposalSchema(ProjectFieldsSchema):
    title = Text(required=True, validate=validate.Length(max=200))
    summary = Text(required=True, validate=validate.Length(max=1000))
    phase = fields.String(load_default="concept", validate=validate.OneOf(PHASES))


class ProjectChangeSchema(ProjectFieldsSchema):
    @validates_schema
    def something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.", field_name="_schema")


class PhaseSchema(InputSchema):
    phase = fields.String(required=True, validate=validate.OneOf(PHASES))


def Amount(maximum: int, description: str) -> AmountString:  # a field factory, named like a field
    """A non-negative exact decimal with at most two places, sent as a string, never a number."""
    return AmountString(
        load_default=Decimal(0),
        validate=validate.Range(min=0, max=maximum),  # two decimals at most: the field's own pattern
        metadata={"description": f"{description}; 0 to {maximum}, at most two decimal places"},
    )


class PledgeSchema(InputSchema):
    money = Amount(10_000_000, 'GBP, e.g. "1500.00"')
    days = Amount(100_000, 'Person-days, e.g. "7.5"')
    contributions = fields.List(
        fields.String(validate=validate.OneOf(CONTRIBUTION_KINDS)),
        load_default=list,
        validate=validate.Length(max=len(CONTRIBUTION_KINDS)),
    )
    message = Prose(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @post_load
    def plain(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        cents = Decimal("0.01")
        return {
            "money": str(data["money"].quantize(cents)),
            "days": str(data["days"].quantize(cents)),
            "contributions": sorted(set(data["contributions"])),
            "message": data["message"],
        }


class Deadline(fields.Field):
    """An ISO date-time with a time zone, or a date: the end of that day in London (the UK's
    day, as the pages ask for it; in summer 22:59:59 UTC), answered in UTC."""

    message_family = "moment"
    default_error_messages = {"zone": "no time zone", "too_far": "too far ahead"}  # worded by the table

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise self.make_error("invalid") from None
        if len(value) == 10:
            moment = datetime.combine(moment.date(), time(23, 59, 59), tzinfo=LONDON)
        if moment.tzinfo is None:
            raise self.make_error("zone")
        moment = within(moment, self)
        if moment > datetime.now(UTC) + MAX_DEADLINE_AHEAD:
            raise self.make_error("too_far")
        return moment.isoformat()


class GoalSchema(InputSchema):
    min_partners = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "Partner organisations pledging (not the owner)"},
    )
    money = Amount(1_000_000_000, "GBP target")
    days = Amount(10_000_000, "Person-days target")
    deadline = Deadline(required=True)

    @validates_schema
    def some_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("min_partners") or data.get("money") or data.get("days")):
            raise ValidationError("Set at least one target: min_partners, money or days.", field_name="_schema")

    @post_load
    def plain(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {
            **data,
            "money": str(data["money"].quantize(Decimal("0.01"))),
            "days": str(data["days"].quantize(Decimal("0.01"))),
        }


class TextBodySchema(InputSchema):
    body = Prose(blank=False, required=True, validate=validate.Length(max=10000))


class CommentSchema(InputSchema):
    comment = Prose(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class MessageSchema(InputSchema):
    message = Prose(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeclineSchema(InputSchema):
    reason = Prose(load_default=None, allow_none=True, validate=validate.Length(max=2000))


# -------------------------------------------------------------------- output
class ProgressSchema(Schema):
    partners = fields.Integer()
    money = fields.Integer()
    days = fields.Integer()
    overall = fields.Integer(metadata={"description": "Percent: the least of the targets"})


class GoalOutSchema(Schema):
    state = fields.String(metadata={"enum": ["open", "met", "missed"]})
    min_partners = fields.Integer()
    money = fields.String()
    days = fields.String()
    deadline = fields.String()
    decided_at = fields.String(allow_none=True)
    progress = fields.Nested(ProgressSchema)


class ProjectSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    summary = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationSummarySchema)
    phase = fields.String()
    tags = fields.List(fields.String())
    department = fields.String(allow_none=True)
    budget_band = fields.String(allow_none=True)
    collaboration_level = fields.String(allow_none=True)
    archived = fields.Boolean()
    quiet = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Two nudges went unanswered; false again on the next status update or edit (null with as_of)"
        },
    )
    active_at = fields.String(
        allow_none=True,
        metadata={"description": "The last proposal, edit, phase change or status update (null with as_of)"},
    )
    follower_count = fields.Integer()
    need_count = fields.Integer()
    team_size = fields.Integer()
    pledged_money = fields.String()
    pledged_days = fields.String()
    partner_count = fields.Integer()
    pledge_count = fields.Integer()
    goal = fields.Nested(GoalOutSchema, allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    score = fields.Float(allow_none=True, metadata={"description": "Relevance, when searching with q"})


class PersonRefSchema(Schema):
    person_id = fields.UUID()
    name = fields.String(allow_none=True)
    organisation_id = fields.UUID(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    joined_at = fields.String()


class PledgeOutSchema(Schema):
    organisation_id = fields.UUID()
    organisation_name = fields.String()
    organisation_code = fields.String(allow_none=True)
    person_id = fields.UUID()
    person_name = fields.String(allow_none=True)
    project_id = fields.UUID()
    project_title = fields.String()
    money = fields.String()
    days = fields.String()
    contributions = fields.List(fields.String())
    message = fields.String(allow_none=True)
    pledged_at = fields.String()
    updated_at = fields.String()


class StatusUpdateOutSchema(Schema):
    id = fields.UUID()
    project_id = fields.UUID()
    author_id = fields.UUID()
    author_name = fields.String(allow_none=True)
    body = fields.String()
    posted_at = fields.String()
    revised_at = fields.String(allow_none=True)
    revisions = fields.Integer()
    retracted = fields.Boolean()


class ProjectDetailSchema(ProjectSchema):
    locked_reason = fields.String(
        allow_none=True, metadata={"description": "Why an operator locked the project (null: open to changes)"}
    )
    description = fields.String(allow_none=True)
    description_html = fields.String(allow_none=True, metadata={"description": "Rendered Markdown, sanitised"})
    key_contact_id = fields.UUID(allow_none=True)
    phase_start = fields.String(allow_none=True)
    phase_end = fields.String(allow_none=True)
    phase_dates_estimated = fields.Boolean(allow_none=True)
    next_assessment = fields.String(allow_none=True)
    links = fields.Dict(keys=fields.String(), values=fields.String())
    team = fields.List(fields.Nested(PersonRefSchema))
    contributions = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Pledges per named contribution kind"}
    )
    status_updates = fields.List(fields.Nested(StatusUpdateOutSchema), metadata={"description": "Latest first"})


class ProjectWrittenSchema(Schema):
    id = fields.UUID()
    event_position = fields.Integer(allow_none=True)
