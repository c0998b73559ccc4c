"""What the comments API takes and gives (``web.api.comments``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.comment import MAX_BODY, MAX_REASON, MENTION_HELP
from web.api.fields import Prose
from web.http.validation import InputSchema


# --------------------------------------------------------------------- input
class CommentInSchema(InputSchema):
    body = Prose(
        blank=False, required=True, validate=validate.Length(max=MAX_BODY), metadata={"description": MENTION_HELP}
    )
    parent_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "The comment this one answers (a reply)"}
    )


class CommentEditSchema(InputSchema):
    body = Prose(
        blank=False, required=True, validate=validate.Length(max=MAX_BODY), metadata={"description": MENTION_HELP}
    )


class HideSchema(InputSchema):
    reason = Prose(blank=False, required=True, validate=validate.Length(max=MAX_REASON))


# -------------------------------------------------------------------- output
class MentionSchema(Schema):
    label = fields.String(metadata={"description": "As written between @[ and ]"})
    organisation_id = fields.UUID()


class CommentOutSchema(Schema):
    id = fields.UUID()
    project_id = fields.UUID()
    parent_id = fields.UUID(allow_none=True)
    thread_id = fields.UUID(allow_none=True, metadata={"description": "The thread's first comment (null: this is it)"})
    author_id = fields.UUID()
    author_name = fields.String(metadata={"description": "'Former member' once the author is erased"})
    organisation_id = fields.UUID(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    origin = fields.String(
        allow_none=True,
        metadata={"description": "'like' or 'join': a message taken in from the original Pipeline (2014)"},
    )
    body = fields.String(allow_none=True, metadata={"description": "null when hidden or removed with its author"})
    mentions = fields.List(fields.Nested(MentionSchema))
    posted_at = fields.String()
    edited_at = fields.String(allow_none=True)
    versions = fields.Integer(metadata={"description": "How many versions of the text there are"})
    hidden = fields.Boolean()
    hidden_reason = fields.String(allow_none=True, metadata={"description": "The moderator's reason"})
    hidden_at = fields.String(allow_none=True)
    author_erased = fields.Boolean()
    text_removed = fields.Boolean(metadata={"description": "The text left with its erased author"})


class CommentListSchema(Schema):
    items = fields.List(
        fields.Nested(CommentOutSchema), metadata={"description": "In thread order: whole threads, never split"}
    )
    total = fields.Integer(metadata={"description": "How many threads the discussion has, over all pages"})
    next = fields.String(allow_none=True, metadata={"description": "The next page of threads, or null"})


class CommentVersionSchema(Schema):
    version = fields.Integer()
    body = fields.String(allow_none=True)
    written_at = fields.String()


class ModerationEntrySchema(Schema):
    action = fields.String(metadata={"enum": ["hidden", "unhidden"]})
    reason = fields.String(metadata={"description": "The operator's reason"})
    at = fields.String(metadata={"description": "When (UTC)"})


class CommentHistorySchema(Schema):
    id = fields.UUID()
    versions = fields.List(fields.Nested(CommentVersionSchema), metadata={"description": "Oldest first"})
    moderation = fields.List(
        fields.Nested(ModerationEntrySchema), metadata={"description": "Every hiding and un-hiding, oldest first"}
    )


class CommentWrittenSchema(Schema):
    id = fields.UUID()
    event_position = fields.Integer(allow_none=True)
