"""/api/v1/people/{id}/roles/evaluator: operators grant and revoke the evaluator role,
which lets a person read the whole event log (``GET /api/v1/events``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from marshmallow import Schema, fields

from web.api.common import runtime
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema

blp = Blueprint(
    "roles", __name__, url_prefix="/api/v1/people", description="Roles operators grant: evaluator (reads the log)."
)


class EvaluatorRoleSchema(Schema):
    person_id = fields.UUID()
    evaluator = fields.Boolean(metadata={"description": "Whether the person may read GET /api/v1/events"})
    changed = fields.Boolean(metadata={"description": "False when the person already was (or was not) one"})
    event_position = fields.Integer(allow_none=True, metadata={"description": "The log position of the change"})


def _set(person_id: UUID, grant: bool) -> dict[str, Any]:
    written = runtime().app.set_evaluator(person_id, grant, actor=actor_id())
    return {
        "person_id": person_id,
        "evaluator": grant,
        "changed": written.position is not None,
        "event_position": written.position,
    }


@blp.route("/<uuid:person_id>/roles/evaluator")
class EvaluatorRole(MethodView):
    @blp.response(200, EvaluatorRoleSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Only an operator may grant roles")
    @blp.alt_response(404, schema=ProblemSchema, description="No such person (or erased)")
    def put(self, person_id: UUID) -> dict[str, Any]:
        """Make the person an evaluator (operators only). Repeating it changes nothing."""
        return _set(person_id, True)

    @blp.response(200, EvaluatorRoleSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Only an operator may revoke roles")
    @blp.alt_response(404, schema=ProblemSchema, description="No such person (or erased)")
    def delete(self, person_id: UUID) -> dict[str, Any]:
        """Take the evaluator role away (operators only). Repeating it changes nothing."""
        return _set(person_id, False)
