"""``as_of=<ISO time>`` on the GETs of a project, an organisation and a person: the state
then, replayed from the event store (``domain.timetravel``), in the shape of the
current answer plus ``as_of``.

Rules: the time must carry its zone (``Z`` or ``+01:00``), else 400; a time in the
future is 400 (the state then is not known yet: omit ``as_of`` for the present); a
time before the resource existed is 404 saying so. Fields the events cannot give at
that time are null: documented on each builder below."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields

from domain import clock
from domain.errors import NotFound
from domain.organisation import Organisation
from domain.person import Person
from domain.personal import FORMER_MEMBER
from domain.timetravel import state_at, state_or_none
from projections.base import timestamp
from web import messages
from web.api.common import ReadArgs, runtime
from web.api.fields import within

AS_OF_HELP = (
    "An ISO 8601 time with its zone (e.g. 2015-01-31T12:00:00Z): the state at that moment, "
    "computed from the events. 404 before the resource existed; 400 without a zone or in the future."
)


class AsOfArgs(ReadArgs):
    as_of = fields.String(metadata={"description": AS_OF_HELP, "example": "2015-01-31T12:00:00Z"})


def with_as_of(schema: type[Schema]) -> type[Schema]:
    """``schema`` plus the ``as_of`` an answer from the past carries."""
    as_of = fields.String(metadata={"description": "Present only when as_of was asked: the time asked, in UTC"})
    return type(f"{schema.__name__.removesuffix('Schema')}AsOfSchema", (schema,), {"as_of": as_of})


def parse(text: str) -> datetime:
    """The moment ``as_of`` names, in UTC; 400 if it has no zone, is not a time, or is ahead."""
    if not text.strip():
        _bad("required")
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        _bad("invalid")
    if moment.tzinfo is None:
        _bad("zone")
    try:
        moment = within(moment)
    except ValidationError:
        _bad("out_of_range")
    if moment > clock.now():
        _bad("future")
    return moment


def _bad(kind: str) -> Any:
    said = messages.message("as_of", kind, "moment")
    abort(400, message=said, errors={"as_of": [said]})


def summary(organisation: Any, organisation_id: UUID | None) -> dict[str, Any] | None:
    if organisation_id is None:
        return None
    if not isinstance(organisation, Organisation):
        return {"id": organisation_id, "code": None, "name": "(unknown)", "kind": "unknown"}
    return {"id": organisation.id, "code": organisation.code, "name": organisation.name, "kind": organisation.kind}


def name_of(person_id: UUID) -> str | None:
    """A person's name as shown today ("Former member" once erased)."""
    app = runtime().app
    try:
        person: Any = app.repository.get(person_id)
    except AggregateNotFoundError:
        return None
    if not isinstance(person, Person):
        return None
    return app.personal.open(person_id, person.name) or FORMER_MEMBER


# ------------------------------------------------------------------ organisation
def organisation(organisation_id: UUID, moment: datetime) -> dict[str, Any]:
    """Null at a past time: ``member_count``, ``first_signup_at``, ``latest_signup_at``
    (they come from people's events, not the organisation's)."""
    org = state_at(runtime().app, organisation_id, moment)
    if not isinstance(org, Organisation):
        raise NotFound(f"No organisation with id {organisation_id}.")
    register = org.register
    return {
        **{key: register.get(key) for key in ("short_name", "type_code", "type_name", "nation", "region")},
        **{key: register.get(key) for key in ("gss_code", "start_date", "end_date", "replaced_by")},
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "current": bool(register.get("current", True)),
        "alt_names": list(register.get("alt_names") or []),
        "website": org.details.get("website"),
        "description": org.details.get("description"),
        "member_count": None,
        "first_signup_at": None,
        "latest_signup_at": None,
        "registered_at": timestamp(org.created_on),
        "domains": sorted(org.domains),
        "as_of": timestamp(moment),
    }


# ------------------------------------------------------------------------ person
# By event type (``type(event).__qualname__``): mypy cannot see the classes @event makes.
LEAVING = ("Person.MovedOrganisation", "Person.RemovedFromOrganisation", "Person.MembershipDeclined")
JOINING = ("Person.SignedUp", "Person.MovedOrganisation")


def _memberships(person_id: UUID, version: int, moment: datetime) -> list[dict[str, Any]]:
    app, spans = runtime().app, list[dict[str, Any]]()
    event: Any
    for event in app.events.get(person_id, lte=version):
        at = timestamp(event.timestamp)
        if type(event).__qualname__ in LEAVING and spans and spans[-1]["until"] is None:
            spans[-1]["until"] = at
        if type(event).__qualname__ in JOINING:
            spans.append({"organisation_id": event.organisation_id, "since": at, "until": None})
    for span in spans:
        span["organisation"] = summary(state_or_none(app, span["organisation_id"], moment), span["organisation_id"])
    return spans


def person(person_id: UUID, moment: datetime) -> dict[str, Any]:
    """The name and job title are the ones recorded then, opened with today's key: an
    erased person is "Former member" at every time."""
    app = runtime().app
    then = state_at(app, person_id, moment)
    if not isinstance(then, Person):
        raise NotFound(f"No person with id {person_id}.")
    org = state_or_none(app, then.organisation_id, moment) if then.organisation_id else None
    shown = [] if then.erased else list(then.page_shown)
    return {
        "shown": shown,  # the page's sections chosen then; their items are not in the person's own events
        **dict.fromkeys(shown),
        "id": then.id,
        "name": app.personal.open(then.id, then.name) or FORMER_MEMBER,
        "job_title": app.personal.open(then.id, then.job_title),
        "organisation": summary(org, then.organisation_id),
        "is_admin": bool(isinstance(org, Organisation) and org.is_admin(then.id) and not then.erased),
        "membership": then.membership,
        "erased": then.erased,
        "suspended": bool(then.suspended),
        "suspended_since": None,  # since when and why: operators read them now, not as of a time
        "suspension_reason": None,
        "signed_up_at": timestamp(then.created_on),
        "memberships": _memberships(then.id, int(then.version), moment),
        "as_of": timestamp(moment),
    }
