"""/api/v1/people: sign-up and the people directory (never with email addresses)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import url_for
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from domain.application import OrganisationRef
from domain.organisation import KINDS
from projections import organisations as directory
from projections import people as people_view
from projections.base import timestamp
from web.api import as_of
from web.api.common import (
    TIME_ID_CURSOR,
    ListArgs,
    answers_from,
    decode_cursor,
    next_link,
    page_of,
    runtime,
)
from web.api.fields import Email, OrganisationSummarySchema, Text
from web.api.organisation_filter import DESCRIPTION as ORGANISATION_FILTER
from web.api.organisation_filter import organisation_filter
from web.api.person_page import PersonPageSectionsSchema, sections, wait_for_sections
from web.http.arguments import Blueprint
from web.http.auth import current_person
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema

blp = Blueprint(
    "people", __name__, url_prefix="/api/v1/people", description="People who signed up, and sign-up itself."
)


class SignUpSchema(InputSchema):
    name = Text(required=True, validate=validate.Length(max=200))
    email = Email(required=True, validate=validate.Length(max=254))
    job_title = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    organisation_code = Text(
        validate=validate.Length(max=20), metadata={"description": "A council's register code, e.g. KTT"}
    )
    organisation_id = fields.UUID(metadata={"description": "An existing organisation's id"})
    organisation_name = Text(
        validate=validate.Length(max=200), metadata={"description": "The organisation's name as you would type it"}
    )
    organisation_kind = fields.String(
        validate=validate.OneOf(KINDS), metadata={"description": "Needed to create a new organisation"}
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "At least 12 characters, not a common password"},
    )

    @validates_schema
    def one_organisation(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [k for k in ("organisation_code", "organisation_id", "organisation_name") if data.get(k)]
        if len(given) != 1:
            raise ValidationError(
                "Give exactly one of organisation_code, organisation_id or organisation_name.",
                field_name="organisation",
            )

    @post_load
    def reference(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["organisation"] = OrganisationRef(
            code=data.pop("organisation_code", None),
            id=data.pop("organisation_id", None),
            name=data.pop("organisation_name", None),
            kind=data.pop("organisation_kind", None),
        )
        return data


class MembershipSchema(Schema):
    organisation = fields.Nested(OrganisationSummarySchema)
    since = fields.String()
    until = fields.String(allow_none=True)


class PersonSchema(Schema):
    id = fields.UUID()
    name = fields.String(metadata={"description": "'Former member' once the person is erased"})
    job_title = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationSummarySchema, allow_none=True)
    is_admin = fields.Boolean(metadata={"description": "An admin of their organisation"})
    membership = fields.String(
        allow_none=True,
        metadata={"enum": ["member", "pending"], "description": "pending: waiting for an organisation admin"},
    )
    erased = fields.Boolean()
    suspended = fields.Boolean(metadata={"description": "An operator has suspended the account (no sign-in)"})
    signed_up_at = fields.String()


class PersonDetailSchema(PersonSchema, PersonPageSectionsSchema):
    suspended_since = fields.String(
        allow_none=True, metadata={"description": "Operators only (null for others): when the suspension began"}
    )
    suspension_reason = fields.String(
        allow_none=True, metadata={"description": "Operators only (null for others): the reason the operator gave"}
    )
    memberships = fields.List(
        fields.Nested(MembershipSchema), metadata={"description": "Where the person was, and when (none once erased)"}
    )


class SignedUpSchema(PersonSchema):
    email_verified = fields.Boolean(metadata={"description": "False until the emailed link is followed"})
    event_position = fields.Integer(metadata={"description": "Pass as min_position to read this write back"})


PersonPageSchema = page_of(PersonSchema, "PersonPageSchema")


class PeopleListArgs(ListArgs):
    organisation = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": ORGANISATION_FILTER}
    )


def _with_organisations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {r["organisation_id"] for r in rows if r["organisation_id"]}  # None: removed or declined
    for r in rows:
        ids.update(m["organisation_id"] for m in r.get("memberships", ()))
    orgs = directory.summaries(runtime().db, ids)
    unknown = {"code": None, "name": "(unknown)", "kind": "unknown"}
    for r in rows:
        r["is_admin"], r["erased"] = bool(r.get("is_admin")), bool(r.get("erased"))
        r["suspended"] = r.get("suspended_at") is not None
        org_id = r["organisation_id"]
        r["organisation"] = orgs.get(org_id, {"id": org_id, **unknown}) if org_id else None
        for m in r.get("memberships", ()):
            m["organisation"] = orgs.get(m["organisation_id"], {"id": m["organisation_id"], **unknown})
    return rows


@blp.route("")
class People(MethodView):
    @blp.arguments(SignUpSchema)
    @blp.response(201, SignedUpSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Email already signed up")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many sign-ups from this address")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid fields, or organisation unknown or ambiguous")
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Sign up under an organisation (by register code, id, or name as typed)."""
        rt = runtime()
        written = rt.app.sign_up(**data)  # the notifier mails the verification link
        person, org = written.aggregate, written.organisation
        body = {
            "id": person.id,
            "name": data["name"],
            "job_title": data["job_title"],
            "email_verified": False,
            "membership": person.membership,
            "is_admin": org.is_admin(person.id),
            "organisation": {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind},
            "signed_up_at": timestamp(person.created_on),
            "event_position": written.position,
        }
        return body, 201, {"Location": url_for("people.PersonDetail", person_id=person.id)}

    @blp.arguments(PeopleListArgs, location="query")
    @blp.response(200, PersonPageSchema)
    @answers_from(people_view.list_page, directory.summaries)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """People, oldest sign-up first; optionally only those now in one organisation."""
        org = args.get("organisation")
        rows = people_view.list_page(
            runtime().db,
            organisation_id=organisation_filter(org) if org else None,
            after=decode_cursor(args.get("cursor"), TIME_ID_CURSOR),
            limit=args["limit"] + 1,
        )
        more = len(rows) > args["limit"]
        rows = _with_organisations(rows[: args["limit"]])
        return {"items": rows, "next": next_link([rows[-1]["signed_up_at"], rows[-1]["id"]]) if more else None}


@blp.route("/<uuid:person_id>")
class PersonDetail(MethodView):
    @blp.arguments(as_of.AsOfArgs, location="query")
    @blp.response(200, as_of.with_as_of(PersonDetailSchema))
    @blp.alt_response(404, schema=ProblemSchema, description="No such person (or not yet, at as_of)")
    @answers_from(people_view.get, directory.summaries)
    def get(self, args: dict[str, Any], person_id: UUID) -> dict[str, Any]:
        """One person, with the organisations they have belonged to, and the sections of their
        page they chose to show (projects, pledges for their organisation, follows).

        An erased person is "Former member" with no organisation, memberships or sections.
        With `as_of`: the person as they were then, replayed from their events."""
        if "as_of" in args:
            return as_of.person(person_id, as_of.parse(args["as_of"]))
        wait_for_sections(args.get("min_position"))
        with runtime().db.reading() as db:  # one transaction for the whole answer
            row = people_view.get(db, str(person_id))
            if row is None:
                abort(404, message=f"No person with id {person_id}.")
            if row["erased"]:
                row.update(organisation_id=None, memberships=[])
            row.update(sections(db, row))
        return _suspension_shown(_with_organisations([row])[0])


def _suspension_shown(row: dict[str, Any]) -> dict[str, Any]:
    """Everyone reads that an account is suspended; only operators read since when and why."""
    reader = current_person()
    operator = reader is not None and reader.is_operator
    row["suspended_since"] = row.get("suspended_at") if operator else None
    row["suspension_reason"] = row.get("suspension_reason") if operator else None
    return row
