"""/api/v1/me/notifications: which emails you get, how often, and what interests you.

The choices live in the person's ``NotificationPreferences`` (``domain.notifications``);
this module only reads the body, checks its shape and names what is wrong, and answers
the state after the write. A left-out field keeps its value."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from domain.errors import ValidationFailed
from domain.notifications import FREQUENCIES, KINDS, MAX_TAGS, MAX_WORDS, WORD, clean_interests, switched_off
from web.api.common import runtime
from web.http.arguments import Blueprint
from web.http.auth import actor_id
from web.http.errors import ProblemSchema
from web.http.validation import InputSchema

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/me/notifications",
    description="Your email notifications: kinds on or off, immediate or a digest, your interests.",
)


# ------------------------------------------------------------------ schemas (in)
class OnOff(fields.Boolean):
    """true or false, nothing else ("yes", 1, "off" are not guessed at)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")  # the table's "must be yes or no (true or false)"
        return value


class InterestsInSchema(InputSchema):
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": f"At most {MAX_TAGS}; matched like project tags (case does not matter)"},
    )
    words = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=MAX_WORDS),
        metadata={"description": f"At most {MAX_WORDS} single words, found in a new project's title or summary"},
    )

    @validates("tags")
    def tags_not_blank(self, tags: list[str], **kwargs: Any) -> None:
        blank = {i: ["Enter a tag"] for i, tag in enumerate(tags) if not tag.strip()}
        if blank:
            raise ValidationError(blank)

    @validates("words")
    def single_words(self, words: list[str], **kwargs: Any) -> None:
        bad = {
            i: ["One word of letters or digits (inner - or ' allowed), up to 40 characters."]
            for i, word in enumerate(words)
            if not WORD.fullmatch(word.strip().casefold())
        }
        if bad:
            raise ValidationError(bad)


class PreferencesInSchema(InputSchema):
    frequency = fields.String(
        validate=validate.OneOf(FREQUENCIES),
        metadata={"description": "immediate: each email as it happens; daily or weekly: news gathered in a digest"},
    )
    kinds = fields.Dict(
        keys=fields.String(),
        values=OnOff(),
        metadata={"description": "Kind name -> on (true) or off (false); kinds left out keep their setting"},
    )
    interests = fields.Nested(InterestsInSchema)

    @validates("kinds")
    def known_switchable_kinds(self, kinds: dict[str, bool], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        for name, on in kinds.items():
            kind = KINDS.get(name)
            if kind is None:
                problems[name] = [f"No such notification; known: {', '.join(KINDS)}."]
            elif not kind.switchable and not on:
                problems[name] = ["This email is about your account itself and cannot be switched off."]
        if problems:
            raise ValidationError(problems)

    @validates_schema
    def something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give at least one of frequency, kinds, interests.", field_name="_schema")

    @post_load
    def interests_as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Tags and words as the domain keeps them (trimmed, lower case, no repeats);
        one left out stays None (keeps its value)."""
        given = data.get("interests")
        if given:
            try:
                tags, words = clean_interests(given.get("tags"), given.get("words"))
            except ValidationFailed as error:
                raise ValidationError(error.detail, field_name="interests") from None
            data["interests"] = {
                "tags": tags if "tags" in given else None,
                "words": words if "words" in given else None,
            }
        return data


# ------------------------------------------------------------------ schemas (out)
class KindSchema(Schema):
    name = fields.String()
    audience = fields.String(metadata={"description": "Who receives it"})
    trigger = fields.String(metadata={"description": "What sends it"})
    on = fields.Boolean(metadata={"description": "Whether you get it"})
    switchable = fields.Boolean(metadata={"description": "False for your account's own emails"})
    digestible = fields.Boolean(metadata={"description": "Gathered into your digest if you chose daily or weekly"})


class InterestsSchema(Schema):
    tags = fields.List(fields.String())
    words = fields.List(fields.String())


class PreferencesSchema(Schema):
    frequency = fields.String(metadata={"enum": list(FREQUENCIES)})
    kinds = fields.List(fields.Nested(KindSchema))
    interests = fields.Nested(InterestsSchema)
    event_position = fields.Integer(
        allow_none=True, metadata={"description": "On a write: the log position, or null if nothing changed"}
    )


def state(choices: dict[str, Any], event_position: int | None = None) -> dict[str, Any]:
    """The answer's shape, from ``app.notification_preferences`` and the catalogue."""
    kinds = [
        {
            "name": kind.name,
            "audience": kind.audience,
            "trigger": kind.trigger,
            "on": not switched_off(kind.name, choices["off"]),
            "switchable": kind.switchable,
            "digestible": kind.digestible,
        }
        for kind in KINDS.values()
    ]
    return {
        "frequency": choices["frequency"],
        "kinds": kinds,
        "interests": {"tags": list(choices["tags"]), "words": list(choices["words"])},
        "event_position": event_position,
    }


@blp.route("")
class MyNotifications(MethodView):
    @blp.response(200, PreferencesSchema)
    def get(self) -> dict[str, Any]:
        """Your notification choices: every kind of email with whether you get it, how often, your interests."""
        return state(runtime().app.notification_preferences(actor_id()))

    @blp.arguments(PreferencesInSchema)
    @blp.response(200, PreferencesSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Your email address is not verified yet")
    @blp.alt_response(422, schema=ProblemSchema, description="An unknown field, kind, frequency or a bad word")
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Change any of frequency, kinds ({name: true|false}) and interests ({tags, words});
        what you leave out keeps its value. Answers the new state."""
        app, person_id = runtime().app, actor_id()
        interests = data.get("interests") or {}
        kinds = data.get("kinds") or {}
        written = app.choose_notifications(
            person_id,
            frequency=data.get("frequency"),
            switch={name: on for name, on in kinds.items() if KINDS[name].switchable},  # the others are always on
            tags=interests.get("tags"),
            words=interests.get("words"),
        )
        return state(app.notification_preferences(person_id), written.position)
