"""What the outbox holds for one person: the answer to "was I told?", for
``pipeline mail log`` and for operators over the API
(``GET /api/v1/people/<id>/mail-log``). A plain read: no addresses, no bodies."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from flask.views import MethodView
from marshmallow import Schema, fields

from projections.db import ReadDatabase
from web.api.common import runtime
from web.http.arguments import Blueprint
from web.http.errors import ProblemSchema

blp = Blueprint(
    "mail_log", __name__, url_prefix="/api/v1/people", description="Operators: the email written for a person."
)

MESSAGES = (
    "SELECT id, kind, subject, created_at, sent_at, attempts, last_error, events, project_id"
    " FROM outbox WHERE person_id = :person ORDER BY created_at, id"
)
DIGEST_ITEMS = (
    "SELECT d.kind, d.subject, d.project_title, d.events, d.created_at, d.digest_id, o.sent_at AS digest_sent_at"
    " FROM digest_items d LEFT JOIN outbox o ON o.id = d.digest_id"
    " WHERE d.person_id = :person ORDER BY d.created_at, d.dedupe"
)


def _events(text: str | None) -> list[str]:
    return list(json.loads(text)) if text else []


def mail_log(db: ReadDatabase, person_id: UUID) -> dict[str, Any]:
    """What the outbox and the digest items hold for the person (a plain read, no writes)."""
    person = {"person": str(person_id)}
    messages = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "subject": r["subject"],
            "created_at": r["created_at"],
            "sent_at": r["sent_at"],
            "attempts": r["attempts"],
            "last_error": r["last_error"],
            "events": _events(r["events"]),
            "project_id": r["project_id"],
        }
        for r in db.query(MESSAGES, person)
    ]
    items = [
        {
            "kind": r["kind"],
            "subject": r["subject"],
            "project_title": r["project_title"],
            "created_at": r["created_at"],
            "events": _events(r["events"]),
            "digest_id": r["digest_id"],
            "digest_sent_at": r["digest_sent_at"],
        }
        for r in db.query(DIGEST_ITEMS, person)
    ]
    return {"person_id": str(person_id), "messages": messages, "digest_items": items}


def person_state(rt: Any, person_id: UUID) -> tuple[str, dict[str, Any] | None]:
    """How the person stands, in words, and their notification choices (None if gone)."""
    from domain.errors import NotFound

    try:
        person = rt.app.get_person(person_id)
    except NotFound:
        return "no such person (never signed up here)", None
    if person.erased:
        return "erased (their outbox rows and digest items were deleted with their data)", None
    verified = "" if person.email_verified else " (address not verified)"
    return f"signed up{verified}", rt.app.notification_preferences(person_id)


class MailMessageSchema(Schema):
    id = fields.String()
    kind = fields.String()
    subject = fields.String()
    created_at = fields.String()
    sent_at = fields.String(allow_none=True, metadata={"description": "null: not sent (yet)"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    events = fields.List(fields.String(), metadata={"description": "aggregate id:version of each event"})
    project_id = fields.String(allow_none=True)


class DigestItemSchema(Schema):
    kind = fields.String()
    subject = fields.String()
    project_title = fields.String(allow_none=True)
    created_at = fields.String()
    events = fields.List(fields.String())
    digest_id = fields.String(allow_none=True, metadata={"description": "null: waiting for the next digest"})
    digest_sent_at = fields.String(allow_none=True)


class ChoicesSchema(Schema):
    frequency = fields.String()
    off = fields.List(fields.String())
    tags = fields.List(fields.String())
    words = fields.List(fields.String())


class MailLogSchema(Schema):
    person_id = fields.String()
    person = fields.String(metadata={"description": "How the person stands, in words"})
    preferences = fields.Nested(ChoicesSchema, allow_none=True)
    messages = fields.List(fields.Nested(MailMessageSchema), metadata={"description": "Oldest first"})
    digest_items = fields.List(fields.Nested(DigestItemSchema), metadata={"description": "Oldest first"})


@blp.route("/<uuid:person_id>/mail-log")
class PersonMailLog(MethodView):
    @blp.response(200, MailLogSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Not an operator")
    @blp.alt_response(404, schema=ProblemSchema, description="No such person")
    def get(self, person_id: UUID) -> dict[str, Any]:
        """Operators: every email written for the person, oldest first (sent, or why not), the events each
        stands for, their digest items, and the choices that applied. The same as `pipeline mail log`."""
        rt = runtime()
        rt.app.get_person(person_id)  # 404 if nobody ever signed up with this id
        status, choices = person_state(rt, person_id)
        return {**mail_log(rt.db, person_id), "person": status, "preferences": choices}
