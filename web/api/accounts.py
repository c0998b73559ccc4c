"""Accounts: sessions (sign in/out), /me (profile, password, erasure), email
verification and password reset. Tokens are never logged or echoed back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Response, after_this_request, g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from domain.application import OrganisationRef
from domain.errors import NotFound
from domain.inputs import ProfileChanges, checked
from domain.organisation import KINDS
from domain.person import email_key
from web.api.common import runtime
from web.api.fields import Email, OrganisationSummarySchema, Text
from web.http.arguments import Blueprint
from web.http.auth import actor_id, current_person
from web.http.errors import ProblemSchema
from web.http.limits import FailedSignIns
from web.http.validation import InputSchema
from workers.adapters import sessions
from workers.adapters.sessions import Link
from workers.notify import notifier
from workers.runtime.bootstrap import Runtime

log = logging.getLogger(__name__)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Sign-in, your account, verification.")
Password = lambda **kw: fields.String(validate=validate.Length(min=1, max=1024), load_only=True, **kw)  # noqa: E731


def _request_reset_after_answering(rt: Runtime, email: str) -> None:
    try:
        notifier.send_password_reset(rt, email)
    except Exception:  # the 202 is gone already; the failure must not vanish
        log.exception("password reset not mailed")


def _redeem(purpose: str, token: str) -> tuple[Link, str] | None:
    """The valid ``token``'s link, used up now, and the address it was mailed to, if that is
    the person's address of now. Whether the link still fits the account (its address and
    generation, in the version saved) is then the command's to decide."""
    rt = runtime()
    link = rt.tokens.peek(purpose, token)
    if link is None:
        return None
    try:
        address = rt.app.reveal(rt.app.active_person(link.person_id))["email"] or ""
    except NotFound:
        return None
    used = rt.tokens.redeem(purpose, token, address)
    return (used, address) if used is not None and used.person_id == link.person_id else None


INVALID_LINK: dict[str, Any] = {
    "message": "That link is not valid: it may have been used or have expired.",
    "errors": {"token": ["Unknown, used or expired."]},
}


# ------------------------------------------------------------------ schemas
class SignInSchema(InputSchema):
    email = Email(required=True, validate=validate.Length(max=254))
    password = Password(required=True)


class SessionSchema(Schema):
    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer <token>'"})
    expires_at = fields.String()
    person_id = fields.UUID()


class MeSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    email = fields.String()
    job_title = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationSummarySchema, allow_none=True)
    email_verified = fields.Boolean()
    is_operator = fields.Boolean()
    is_evaluator = fields.Boolean(metadata={"description": "May read the event log (GET /api/v1/events)"})
    membership = fields.String(
        allow_none=True,
        metadata={
            "enum": ["member", "pending"],
            "description": "member: may act for the organisation; pending: an admin must approve "
            "(or verify an address on one of its domains)",
        },
    )
    is_organisation_admin = fields.Boolean()
    event_position = fields.Integer(allow_none=True, metadata={"description": "Set on writes"})


class ProfileSchema(InputSchema):
    current_password = Password(metadata={"description": "Your current password: needed to change your email"})
    name = Text(validate=validate.Length(max=200))
    job_title = Text(allow_none=True, validate=validate.Length(max=200))
    email = Email(validate=validate.Length(max=254))
    organisation_code = Text(validate=validate.Length(max=20))
    organisation_id = fields.UUID()
    organisation_name = Text(validate=validate.Length(max=200))
    organisation_kind = fields.String(validate=validate.OneOf(KINDS))

    @validates_schema
    def something_and_one_organisation(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not set(data) - {"current_password"}:
            raise ValidationError("Give at least one field to change.", field_name="_schema")
        given = [k for k in ("organisation_code", "organisation_id", "organisation_name") if data.get(k)]
        if len(given) > 1:
            raise ValidationError(
                "Give at most one of organisation_code, organisation_id, organisation_name.", field_name="organisation"
            )

    @post_load
    def reference(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        code, org_id, name = (data.pop(k, None) for k in ("organisation_code", "organisation_id", "organisation_name"))
        kind = data.pop("organisation_kind", None)
        if code or org_id or name:
            data["organisation"] = OrganisationRef(code=code, id=org_id, name=name, kind=kind)
        return data


class PasswordChangeSchema(InputSchema):
    current_password = Password(required=True)
    new_password = Password(required=True)


class ErasureSchema(InputSchema):
    password = Password(required=True, metadata={"description": "Your current password, to confirm"})


class TokenSchema(InputSchema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=200), load_only=True)


class ResetRequestSchema(InputSchema):
    email = Email(required=True, validate=validate.Length(max=254))


class ResetConfirmSchema(TokenSchema):
    new_password = Password(required=True)


class WrittenSchema(Schema):
    event_position = fields.Integer(allow_none=True)


class UndoneSchema(WrittenSchema):
    address_restored = fields.Boolean(
        metadata={"description": "False if someone else holds the address now: the account keeps the new one"}
    )


def _after(response: Response, work: Callable[[], None]) -> Response:
    response.call_on_close(work)
    return response


def _me(event_position: int | None = None) -> dict[str, Any]:
    rt = runtime()
    person = rt.app.active_person(actor_id())
    me = rt.app.reveal(person)
    org = rt.app.get_organisation(person.organisation_id) if person.organisation_id else None
    me["organisation"] = {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind} if org else None
    me["is_organisation_admin"] = bool(org and org.is_admin(person.id))
    me["membership"] = person.membership
    me["event_position"] = event_position
    return me


def _my_address() -> str:
    return runtime().app.reveal(current_person())["email"] or ""


def _check_password(password: str, *, field: str = "password") -> None:
    """The signed-in person's current password, counted with failed sign-ins: a stolen
    session must not become a way to guess the password without limit."""
    rt = runtime()
    email = _my_address()
    failures, account = FailedSignIns(rt.settings.sign_in_failure_limit), email_key(email)
    failures.refuse_if_locked(account)
    if rt.app.authenticate(email, password) is None:
        failures.record_failure(account)
        abort(403, message="That is not your current password.", errors={field: ["Incorrect."]})


# ------------------------------------------------------------------ sessions
@blp.route("/sessions")
class Sessions(MethodView):
    @blp.arguments(SignInSchema)
    @blp.response(201, SessionSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="Email or password not recognised")
    @blp.alt_response(429, schema=ProblemSchema, description="Too many attempts (Retry-After)")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Sign in with email and password; returns a bearer token."""
        rt = runtime()
        failures = FailedSignIns(rt.settings.sign_in_failure_limit)
        account = email_key(data["email"])
        failures.refuse_if_locked(account)
        person = rt.app.authenticate(data["email"], data["password"])
        if person is None:
            failures.record_failure(account)
            abort(401, message="Email or password not recognised.")
        if person.suspended:
            abort(403, message="An operator has suspended this account: sign-in is refused until it is reinstated.")
        token, expires = rt.sessions.start(person.id)
        return {"token": token, "expires_at": expires, "person_id": person.id}


@blp.route("/sessions/current")
class CurrentSession(MethodView):
    @blp.response(204)
    def delete(self) -> None:
        """Sign out: revoke the token this request was made with."""
        runtime().sessions.revoke(g.session.token_hash)


# ------------------------------------------------------------------------ me
@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Your own account, email included (only you see it)."""
        return _me()

    @blp.arguments(ProfileSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Changing the email needs your current password")
    @blp.alt_response(409, schema=ProblemSchema, description="Email already used by someone else")
    def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change your name, job title, email (verified again; needs `current_password`) or
        organisation (you move). A new address is mailed a link; the old one is told, with a
        link that undoes the change. Every older verification and reset link stops working."""
        password = changes.pop("current_password", None)
        if "email" in changes and email_key(changes["email"]) != email_key(_my_address()):
            if password is None:
                abort(
                    403,
                    message="Give your current password to change your email address.",
                    errors={"current_password": ["Required to change your email."]},
                )
            _check_password(password, field="current_password")
        wanted = checked(ProfileChanges, changes)
        return _me(runtime().app.update_profile(actor_id(), wanted, actor=actor_id()).position)

    @blp.arguments(ErasureSchema)
    @blp.response(200, WrittenSchema)
    def delete(self, data: dict[str, Any]) -> dict[str, Any]:
        """Erase your account: your name, email and job title become unreadable everywhere, for ever."""
        _check_password(data["password"])
        return {"event_position": erase_person(actor_id(), actor=actor_id())}


def erase_person(person_id: UUID, *, actor: UUID | None) -> int | None:
    from workers.processes import erasure  # the same steps as `pipeline people erase`

    return erasure.erase_person(runtime(), person_id, actor=actor).position


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, WrittenSchema)
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Change your password; every other session of yours is signed out."""
        _check_password(data["current_password"])
        rt = runtime()
        written = rt.app.change_password(actor_id(), data["new_password"], reason="changed", actor=actor_id())
        rt.sessions.revoke_all(actor_id(), keep=g.session.token_hash)
        return {"event_position": written.position}


@blp.route("/me/verification-email")
class VerificationEmail(MethodView):
    @blp.response(202, WrittenSchema)
    def post(self) -> dict[str, Any]:
        """Send the verification email again (409 once verified)."""
        return {"event_position": runtime().app.request_verification(actor_id()).position}


@blp.route("/email-verifications")
class EmailVerifications(MethodView):
    @blp.arguments(TokenSchema)
    @blp.response(200, WrittenSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Token unknown, used or expired")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Verify an email address with the token from the verification email: only the
        address it was mailed to, and only while the account still holds it unchanged."""
        redeemed = _redeem(sessions.VERIFY_EMAIL, data["token"])
        if redeemed is None:
            abort(422, **INVALID_LINK)
        link, address = redeemed
        written = runtime().app.verify_email(link.person_id, address=address, generation=link.generation)
        return {"event_position": written.position}


@blp.route("/password-resets")
class PasswordResets(MethodView):
    @blp.arguments(ResetRequestSchema)
    @blp.response(202, WrittenSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Ask for a password-reset email. Always 202, so it never tells whether an account exists."""
        rt, email = runtime(), data["email"]
        # Looked up and mailed once the answer is sent: answering takes the same time either way.
        after_this_request(lambda response: _after(response, lambda: _request_reset_after_answering(rt, email)))
        return {"event_position": None}


@blp.route("/password-resets/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(ResetConfirmSchema)
    @blp.response(200, WrittenSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Token invalid, or password not acceptable")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Choose a new password with the token from the reset email; signs out every session.
        Refused once the account's address or password changed since the link was mailed, or a
        newer reset link was used."""
        rt = runtime()
        link = rt.tokens.peek(sessions.RESET_PASSWORD, data["token"])
        if link is None:
            abort(422, **INVALID_LINK)
        rt.app.check_new_password(link.person_id, data["new_password"])  # before the token is used up
        redeemed = _redeem(sessions.RESET_PASSWORD, data["token"])
        if redeemed is None or redeemed[0].person_id != link.person_id:
            abort(422, **INVALID_LINK)
        used, address = redeemed
        written = rt.app.reset_password(
            used.person_id, data["new_password"], address=address, generation=used.generation
        )
        rt.sessions.revoke_all(used.person_id)
        return {"event_position": written.position}


@blp.route("/email-changes/undo")
class EmailChangeUndo(MethodView):
    @blp.arguments(TokenSchema)
    @blp.response(200, UndoneSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Token unknown, used or expired")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """ "This wasn't me", with the token mailed to the address an account gave up: signs
        every session of the account out, removes its password (whoever changed the address knew
        it; a reset link to the restored address sets a new one) and gives the account that
        address back, verified, if nobody else holds it now."""
        rt = runtime()
        link = rt.tokens.peek(sessions.UNDO_EMAIL_CHANGE, data["token"])
        if link is None:
            abort(422, **INVALID_LINK)
        try:
            former = rt.app.former_addresses(link.person_id)
        except NotFound:
            abort(422, **INVALID_LINK)
        address = next((a for a in former if link.sent_to(data["token"], a)), None)
        if address is None or rt.tokens.redeem(sessions.UNDO_EMAIL_CHANGE, data["token"], address) is None:
            abort(422, **INVALID_LINK)
        rt.sessions.revoke_all(link.person_id)  # first: whatever happens next, the intruder is out
        undone = rt.app.undo_email_change(link.person_id, address=address)
        return {"event_position": undone.written.position, "address_restored": undone.restored}
