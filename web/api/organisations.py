"""/api/v1/organisations: the directory of councils and other organisations."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.inputs import OrganisationChanges, checked
from domain.names import Candidate, NameMatcher
from domain.organisation import KINDS, organisation_id
from domain.register import places
from domain.results import Written
from projections import organisations as directory
from projections import people as people_view
from projections import runner
from projections.db import ReadDatabase
from web.api import as_of
from web.api.common import (
    NAME_ID_CURSOR,
    TIME_ID_CURSOR,
    ListArgs,
    answers_from,
    decode_cursor,
    decode_offset,
    next_link,
    page_of,
    runtime,
)
from web.api.fields import Prose, Text
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/api/v1/organisations",
    description="Councils from the register and other organisations people sign up from.",
)
PROJECTION = "organisations"


class OrganisationSchema(Schema):
    id = fields.UUID()
    code = fields.String(allow_none=True, metadata={"description": "Register code (councils only)"})
    name = fields.String()
    short_name = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": list(KINDS)})
    type_code = fields.String(allow_none=True)
    type_name = fields.String(allow_none=True)
    nation = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    gss_code = fields.String(allow_none=True)
    start_date = fields.String(allow_none=True)
    end_date = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    current = fields.Boolean()
    alt_names = fields.List(fields.String())
    website = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    member_count = fields.Integer(
        metadata={"description": "People who belong to it now: members and pending members (see /people)"}
    )
    project_count = fields.Integer(metadata={"description": "Its live (not archived) projects; in lists only"})
    first_signup_at = fields.String(allow_none=True)
    latest_signup_at = fields.String(allow_none=True)
    registered_at = fields.String()
    domains = fields.List(
        fields.String(),
        metadata={"description": "Email domains: a verified address on one makes its owner a member (detail only)"},
    )
    score = fields.Float(metadata={"description": "Match score in (0, 1], only when searching with q"})


OrganisationPageSchema = page_of(OrganisationSchema, "OrganisationPageSchema")


class OrganisationListArgs(ListArgs):
    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "Name as people type it; best match first"}
    )
    kind = fields.String(validate=validate.OneOf(KINDS))
    nation = fields.String(validate=validate.OneOf(places()[0]), metadata={"description": "A nation of the UK"})
    region = fields.String(
        validate=validate.OneOf(places()[1]), metadata={"description": "A region, as the register names it"}
    )
    current = fields.Boolean()
    has_members = fields.Boolean()


class _MatcherCache:
    """The search matcher, rebuilt only when the directory has moved on, and the answers it
    gave to the last few hundred queries: fuzzy matching costs tens of milliseconds of CPU,
    and the same words are searched again and again (a type-ahead sends each prefix)."""

    KEEP = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._position = -1
        self._matcher: NameMatcher | None = None
        self._answers: OrderedDict[str, list[Candidate]] = OrderedDict()

    def get(self, db: ReadDatabase) -> NameMatcher:
        position = runner.position(db, PROJECTION)
        with self._lock:
            if self._matcher is None or position != self._position:
                self._matcher = NameMatcher(directory.all_names(db))
                self._position = position
                self._answers.clear()
            return self._matcher

    def search(self, db: ReadDatabase, text: str, limit: int) -> list[Candidate]:
        """``NameMatcher.search`` of the current matcher, answered again from memory."""
        matcher = self.get(db)
        with self._lock:
            found = self._answers.get(text) if matcher is self._matcher else None
            if found is not None:
                self._answers.move_to_end(text)
                return found
        found = matcher.search(text, limit=limit)
        with self._lock:
            if matcher is self._matcher:  # not rebuilt meanwhile: the answer belongs to it
                self._answers[text] = found
                while len(self._answers) > self.KEEP:
                    self._answers.popitem(last=False)
        return found


def _matcher_cache() -> _MatcherCache:
    cache: _MatcherCache = current_app.extensions.setdefault("pipeline_search", _MatcherCache())
    return cache


def _search(db: ReadDatabase, args: dict[str, Any]) -> dict[str, Any]:
    offset = decode_offset(args.get("cursor"))
    candidates = _matcher_cache().search(db, args["q"], limit=MAX_SEARCH)
    rows = directory.filtered(db, [c.key for c in candidates], **_filters(args))
    matches = [{**rows[c.key], "score": round(c.score, 3)} for c in candidates if c.key in rows]
    page = matches[offset : offset + args["limit"]]
    more = offset + args["limit"] < len(matches)
    return {"items": page, "next": next_link([offset + args["limit"]]) if more else None}


MAX_SEARCH = 500


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    return {key: args.get(key) for key in ("kind", "nation", "region", "current", "has_members")}


@blp.route("")
class Organisations(MethodView):
    @blp.arguments(OrganisationListArgs, location="query")
    @blp.response(200, OrganisationPageSchema)
    @blp.alt_response(400, schema=ProblemSchema, description="Invalid cursor")
    @blp.alt_response(503, schema=ProblemSchema, description="min_position not reached yet")
    @answers_from(directory.list_page, directory.all_names, directory.filtered)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search and list organisations.

        Without `q`: alphabetical. With `q`: best match first, each with a score."""
        db = runtime().db
        if args.get("q"):
            return _search(db, args)
        after = decode_cursor(args.get("cursor"), NAME_ID_CURSOR)
        rows = directory.list_page(db, **_filters(args), after=after, limit=args["limit"] + 1)
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        return {"items": rows, "next": next_link([rows[-1]["sort_name"], rows[-1]["id"]]) if more else None}


@blp.route("/<code_or_id>")
class OrganisationDetail(MethodView):
    @blp.arguments(as_of.AsOfArgs, location="query")
    @blp.response(200, as_of.with_as_of(OrganisationSchema))
    @blp.alt_response(404, schema=ProblemSchema, description="No such organisation (or not yet, at as_of)")
    @answers_from(directory.get_by_id, directory.get_by_code)
    def get(self, args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
        """One organisation, by register code (e.g. `KTT`) or by id.

        With `as_of`: the organisation as it was then, replayed from its events."""
        if "as_of" in args:
            return as_of.organisation(organisation_id(code_or_id), as_of.parse(args["as_of"]))
        db = runtime().db
        try:
            row = directory.get_by_id(db, str(UUID(code_or_id)))
        except ValueError:
            row = directory.get_by_code(db, code_or_id)
        if row is None:
            abort(404, message=f"No organisation with code or id {code_or_id!r}.")
        return row


# ------------------------------------------------------------ admin actions
def _recorded(written: Written) -> dict[str, Any]:
    """What an admin action answers."""
    return {"event_position": written.position}


class OrganisationChangeSchema(InputSchema):
    name = Text(validate=validate.Length(max=200), metadata={"description": "Not for councils"})
    website = fields.Url(allow_none=True, validate=validate.Length(max=500))
    description = Prose(allow_none=True, free_text=True, validate=validate.Length(max=2000))

    @validates_schema
    def something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.", field_name="_schema")


class AdminAppointmentSchema(InputSchema):
    person_id = fields.UUID(required=True)


class WriteResultSchema(Schema):
    event_position = fields.Integer(allow_none=True)


@blp.route("/<code_or_id>", methods=["PATCH"], endpoint="OrganisationChange")
@blp.arguments(OrganisationChangeSchema)
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
def change_organisation(changes: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """Change an organisation's details (its admins; a council's name comes from the register)."""
    wanted = checked(OrganisationChanges, changes)
    return _recorded(runtime().app.update_organisation(organisation_id(code_or_id), wanted, actor=actor_id()))


@blp.route("/<code_or_id>/admins", methods=["POST"])
@blp.arguments(AdminAppointmentSchema)
@blp.response(201, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
@blp.alt_response(422, schema=ProblemSchema, description="Not a verified member of the organisation")
def appoint_admin(data: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """Make a verified member of the organisation one of its admins."""
    return _recorded(runtime().app.appoint_admin(organisation_id(code_or_id), data["person_id"], actor=actor_id()))


@blp.route("/<code_or_id>/admins/<uuid:person_id>", methods=["DELETE"])
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
@blp.alt_response(422, schema=ProblemSchema, description="Not an admin, or its last admin")
def remove_admin(code_or_id: str, person_id: UUID) -> dict[str, Any]:
    """Take the admin role from one of its admins (your own id: step down); they stay a member.
    The last admin's role is never taken: appoint another first, or hand over."""
    return _recorded(runtime().app.remove_admin(organisation_id(code_or_id), person_id, actor=actor_id()))


@blp.route("/<code_or_id>/handover", methods=["POST"])
@blp.arguments(AdminAppointmentSchema)
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
@blp.alt_response(422, schema=ProblemSchema, description="Not a verified member of the organisation")
def hand_over(data: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """Hand your admin role to a verified member: they become an admin and you stop being one."""
    return _recorded(runtime().app.hand_over(organisation_id(code_or_id), data["person_id"], actor=actor_id()))


@blp.route("/<code_or_id>/members/<uuid:person_id>", methods=["DELETE"])
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
def remove_member(code_or_id: str, person_id: UUID) -> dict[str, Any]:
    """Remove a member from the organisation (they keep their account and history)."""
    return _recorded(runtime().app.remove_member(organisation_id(code_or_id), person_id, actor=actor_id()))


# ------------------------------------------------------- pending members, domains
class PendingMemberSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    job_title = fields.String(allow_none=True)
    email_domain = fields.String(allow_none=True, metadata={"description": "Only the domain of their address"})
    email_verified = fields.Boolean()
    signed_up_at = fields.String()


PendingMemberPageSchema = page_of(PendingMemberSchema, "PendingMemberPageSchema")


class MembershipDeclineSchema(InputSchema):
    reason = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class DomainSchema(InputSchema):
    domain = Text(required=True, validate=validate.Length(max=253), metadata={"example": "wigan.gov.uk"})


class DomainsSchema(Schema):
    domains = fields.List(fields.String())
    event_position = fields.Integer(allow_none=True)


def _pending_row(row: dict[str, Any]) -> dict[str, Any]:
    rt = runtime()
    person = rt.app.get_person(UUID(row["id"]))
    email = rt.app.personal.open(person.id, person.email) or ""
    return {**row, "email_domain": email.rpartition("@")[2] or None, "email_verified": bool(row["email_verified"])}


@blp.route("/<code_or_id>/pending-members", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, PendingMemberPageSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
@answers_from(people_view.list_page)
def pending_members(args: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """People waiting for an admin to approve their membership, oldest first."""
    rows = people_view.list_page(
        runtime().db,
        organisation_id=str(organisation_id(code_or_id)),
        membership="pending",
        after=decode_cursor(args.get("cursor"), TIME_ID_CURSOR),
        limit=args["limit"] + 1,
    )
    more = len(rows) > args["limit"]
    rows = [_pending_row(r) for r in rows[: args["limit"]]]
    return {"items": rows, "next": next_link([rows[-1]["signed_up_at"], rows[-1]["id"]]) if more else None}


@blp.route("/<code_or_id>/pending-members/<uuid:person_id>/approve", methods=["POST"])
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
@blp.alt_response(404, schema=ProblemSchema, description="That person has not asked to join")
def approve_member(code_or_id: str, person_id: UUID) -> dict[str, Any]:
    """Approve a pending member: they may then act for the organisation."""
    return _recorded(runtime().app.approve_member(organisation_id(code_or_id), person_id, actor=actor_id()))


@blp.route("/<code_or_id>/pending-members/<uuid:person_id>/decline", methods=["POST"])
@blp.arguments(MembershipDeclineSchema)
@blp.response(200, WriteResultSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
def decline_member(data: dict[str, Any], code_or_id: str, person_id: UUID) -> dict[str, Any]:
    """Decline a pending member: they leave the organisation and stay out until an admin approves them."""
    return _recorded(
        runtime().app.decline_member(organisation_id(code_or_id), person_id, actor=actor_id(), reason=data["reason"])
    )


@blp.route("/<code_or_id>/domains", methods=["POST"])
@blp.arguments(DomainSchema)
@blp.response(201, DomainsSchema)
@blp.alt_response(409, schema=ProblemSchema, description="Another organisation lists that domain")
@blp.alt_response(422, schema=ProblemSchema, description="Not a domain, or one that many organisations share")
def add_domain(data: dict[str, Any], code_or_id: str) -> dict[str, Any]:
    """List an email domain as the organisation's: verified addresses on it join as members."""
    written = runtime().app.add_domain(organisation_id(code_or_id), data["domain"], actor=actor_id())
    return {**_recorded(written), "domains": written.aggregate.domains}


@blp.route("/<code_or_id>/domains/<domain>", methods=["DELETE"])
@blp.response(200, DomainsSchema)
@blp.alt_response(403, schema=ProblemSchema, description="Not an admin of this organisation")
def remove_domain(code_or_id: str, domain: str) -> dict[str, Any]:
    """Stop listing an email domain (members who joined by it stay members)."""
    written = runtime().app.remove_domain(organisation_id(code_or_id), domain, actor=actor_id())
    return {**_recorded(written), "domains": written.aggregate.domains}
