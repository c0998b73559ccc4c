"""Who may do what: one table of rules (endpoint x role), enforced before every view.

Every write endpoint must appear in ``RULES``; one that does not is refused (fail
closed) and ``tests/integration/test_access_rules.py`` walks the whole API to prove
that every write endpoint enforces its rule."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from flask import Flask, current_app, g, request
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized

from domain.cache import CachingRepository
from domain.errors import NotAllowed, NotFound
from domain.membership import ADMIN_ONLY
from domain.organisation import organisation_id
from domain.person import Person
from web.pages.scope import is_page

if TYPE_CHECKING:  # pragma: no cover
    from workers.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # a valid session, verified or not
VERIFIED = "verified"  # a signed-in person whose email is verified: a member
ORG_ADMIN = "org_admin"  # an admin of the organisation in the URL (or an operator)
OPERATOR = "operator"  # granted only by `pipeline operators grant`
EVALUATOR = "evaluator"  # reads the whole event log; granted by an operator (or an operator)
ROLES = (PUBLIC, SIGNED_IN, VERIFIED, ORG_ADMIN, EVALUATOR, OPERATOR)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MODERATION = (
    "/projects/<uuid:project_id>/lock",
    "/projects/<uuid:project_id>/unlock",
    "/projects/<uuid:project_id>/status-updates/<uuid:update_id>/hide",
    "/projects/<uuid:project_id>/status-updates/<uuid:update_id>/unhide",
    "/people/<uuid:person_id>/suspend",
    "/people/<uuid:person_id>/reinstate",
    "/tag-renames",
)

RULES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/people"): PUBLIC,
    ("POST", "/api/v1/sessions"): PUBLIC,
    ("DELETE", "/api/v1/sessions/current"): SIGNED_IN,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("PATCH", "/api/v1/me"): SIGNED_IN,
    ("DELETE", "/api/v1/me"): SIGNED_IN,
    ("PUT", "/api/v1/me/password"): SIGNED_IN,
    ("POST", "/api/v1/me/verification-email"): SIGNED_IN,
    ("GET", "/api/v1/me/notifications"): SIGNED_IN,
    ("PUT", "/api/v1/me/notifications"): VERIFIED,  # choosing is acting: the domain asks a verified address
    ("POST", "/unsubscribe"): PUBLIC,  # the signed token in the email's link is the proof
    ("POST", "/api/v1/unsubscribe"): PUBLIC,
    ("POST", "/api/v1/email-verifications"): PUBLIC,
    ("POST", "/api/v1/password-resets"): PUBLIC,
    ("POST", "/api/v1/password-resets/confirm"): PUBLIC,
    ("POST", "/api/v1/email-changes/undo"): PUBLIC,  # the token mailed to the address given up is the proof
    ("PATCH", "/api/v1/organisations/<code_or_id>"): ORG_ADMIN,
    ("POST", "/api/v1/organisations/<code_or_id>/admins"): ORG_ADMIN,
    ("DELETE", "/api/v1/organisations/<code_or_id>/members/<uuid:person_id>"): ORG_ADMIN,
    ("DELETE", "/api/v1/organisations/<code_or_id>/admins/<uuid:person_id>"): ORG_ADMIN,
    ("POST", "/api/v1/organisations/<code_or_id>/handover"): ORG_ADMIN,
    ("PUT", "/api/v1/me/page"): SIGNED_IN,
    ("GET", "/api/v1/organisations/<code_or_id>/pending-members"): ORG_ADMIN,
    ("POST", "/api/v1/organisations/<code_or_id>/pending-members/<uuid:person_id>/approve"): ORG_ADMIN,
    ("POST", "/api/v1/organisations/<code_or_id>/pending-members/<uuid:person_id>/decline"): ORG_ADMIN,
    ("POST", "/api/v1/organisations/<code_or_id>/domains"): ORG_ADMIN,
    ("DELETE", "/api/v1/organisations/<code_or_id>/domains/<domain>"): ORG_ADMIN,
    # projects: members act; the domain then checks this project's own rules (team, owner)
    ("POST", "/api/v1/projects"): VERIFIED,
    ("PATCH", "/api/v1/projects/<uuid:project_id>"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/phase"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/archive"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/restore"): VERIFIED,
    ("PUT", "/api/v1/projects/<uuid:project_id>/goal"): VERIFIED,
    ("PUT", "/api/v1/projects/<uuid:project_id>/pledges/mine"): VERIFIED,
    ("DELETE", "/api/v1/projects/<uuid:project_id>/pledges/mine"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/status-updates"): VERIFIED,
    ("PATCH", "/api/v1/projects/<uuid:project_id>/status-updates/<uuid:update_id>"): VERIFIED,
    ("DELETE", "/api/v1/projects/<uuid:project_id>/status-updates/<uuid:update_id>"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/follow"): VERIFIED,
    ("DELETE", "/api/v1/projects/<uuid:project_id>/follow"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/needs"): VERIFIED,
    ("DELETE", "/api/v1/projects/<uuid:project_id>/needs"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/contribution-requests"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/contribution-requests/<uuid:request_id>/approve"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/contribution-requests/<uuid:request_id>/decline"): VERIFIED,
    ("POST", "/api/v1/projects/<uuid:project_id>/comments"): VERIFIED,  # the domain checks the rest
    ("PATCH", "/api/v1/comments/<uuid:comment_id>"): VERIFIED,  # the author only (domain)
    ("POST", "/api/v1/comments/<uuid:comment_id>/hide"): OPERATOR,
    ("POST", "/api/v1/comments/<uuid:comment_id>/unhide"): OPERATOR,
    ("GET", "/api/v1/events"): EVALUATOR,
    ("PUT", "/api/v1/people/<uuid:person_id>/roles/evaluator"): OPERATOR,
    ("GET", "/api/v1/people/<uuid:person_id>/mail-log"): OPERATOR,
    ("DELETE", "/api/v1/people/<uuid:person_id>/roles/evaluator"): OPERATOR,
    **{("POST", f"/api/v1{path}"): OPERATOR for path in MODERATION},  # web.api.moderation
    ("POST", "/api/v1/projects/<uuid:project_id>/restorations"): VERIFIED,  # owner, team or operator: the domain
}


class Unauthenticated(Unauthorized):
    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), ("WWW-Authenticate", 'Bearer realm="pipeline"')]


def rule_for(method: str, rule: str) -> str | None:
    return RULES.get((method, rule))


def current_person() -> Any:
    """The signed-in person (an aggregate), or None."""
    return g.get("person")


def actor_id() -> UUID:
    person = current_person()
    if person is None:  # only reachable if a view forgot its rule; the table prevents that
        raise Unauthenticated("Sign in first.")
    return person.id


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def events_table(rt: Runtime) -> str | None:
    """The event store's table, quoted, if it is a PostgreSQL table beside the sessions."""
    recorder = getattr(getattr(rt, "app", None), "recorder", None)  # (a test's stand-in runtime has none)
    table = getattr(recorder, "events_table_name", None)
    schema = getattr(getattr(recorder, "datastore", None), "schema", None)
    dialect = getattr(getattr(rt, "db", None), "dialect", None)
    if not (isinstance(table, str) and isinstance(schema, str) and dialect == "postgres"):
        return None
    if not (_NAME.fullmatch(table) and _NAME.fullmatch(schema)):
        return None
    return f'"{schema}"."{table}"'


def _person(rt: Runtime, person_id: UUID, head: int | None) -> Any:
    """The session's person, not erased (as ``app.active_person``), as the cache's shared read
    copy: this request and its commands only read it (see ``domain.cache``). When the session's
    query brought the person's head version, a cached person at that version is not checked
    against the event store again."""
    repository = rt.app.repository
    if not isinstance(repository, CachingRepository):
        return rt.app.active_person(person_id)
    try:
        person = repository.get_at_head(person_id, head, deepcopy_from_cache=False)
    except AggregateNotFoundError:
        raise NotFound("No person with that id.") from None
    if not isinstance(person, Person) or person.erased:
        raise NotFound("No person with that id.")
    return person


def _load_session() -> None:
    token = _bearer_token()
    if not token:
        return
    rt = runtime()
    session = rt.sessions.find(token, events_table=current_app.extensions.get(EVENTS_TABLE))
    if session is None:
        raise Unauthenticated("The token is not valid (it may have expired or been revoked); sign in again.")
    try:
        person = _person(rt, session.person_id, session.person_version)
    except NotFound:
        raise Unauthenticated("The token's account no longer exists.") from None
    if person.suspended:  # its sessions were ended with the suspension; this holds meanwhile too
        raise Unauthenticated("An operator has suspended this account: sign-in is refused until it is reinstated.")
    g.session, g.person = session, person
    g.acting = rt.app.acting_as(person)  # the commands of this request reuse it (see done_acting below)


def _enforce(role: str) -> None:
    person = current_person()
    if role == PUBLIC:
        return
    if person is None:
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/sessions.")
    if role == SIGNED_IN or person.is_operator:
        return
    if not person.email_verified:
        raise Forbidden("Verify your email address first: follow the link we sent you.")
    if role == VERIFIED:
        return
    if role == ORG_ADMIN:
        org_id = organisation_id(str((request.view_args or {}).get("code_or_id", "")))
        app = runtime().app
        try:
            app.require_admin(app.get_organisation(org_id), person.id)  # the domain's rule, checked early
        except (NotFound, NotAllowed):
            raise Forbidden(ADMIN_ONLY) from None
        return
    if role == EVALUATOR:
        if person.is_evaluator:
            return
        raise Forbidden("Only an evaluator or an operator may read the event log; an operator grants the role.")
    raise Forbidden("Only an operator may do this.")


EVENTS_TABLE = "pipeline_events_table"  # app.extensions key: events_table(), worked out once


def init_app(app: Flask) -> None:
    app.extensions[EVENTS_TABLE] = events_table(app.extensions["pipeline"])

    @app.teardown_request
    def forget_acting_person(_error: BaseException | None) -> None:
        token = g.pop("acting", None)
        if token is not None:
            runtime().app.done_acting(token)

    @app.before_request
    def check_access() -> None:
        if request.url_rule is None or request.method == "OPTIONS" or is_page():
            return  # a page signs in by cookie; its inner API calls pass this check themselves
        method = "GET" if request.method == "HEAD" else request.method  # HEAD runs the GET view
        role = rule_for(method, request.url_rule.rule)
        if role is None and request.method in WRITE_METHODS:
            log.error("no access rule for %s %s: refused", request.method, request.url_rule.rule)
            raise Forbidden("This endpoint has no access rule yet, so it is closed.")
        try:
            _load_session()
        except HTTPException:
            if role in (None, PUBLIC):
                g.person = None  # a bad token on a public read is ignored, not an error
                return
            raise
        _enforce(role or PUBLIC)


def runtime() -> Runtime:
    """The runtime the app factory put on the app (a guard sits below the API's helpers)."""
    return current_app.extensions["pipeline"]
