"""Input fields shared by the schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields


class Text(fields.String):
    """A string with surrounding whitespace removed; blank counts as invalid."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        return text


class Email(fields.Email):
    """An email address with surrounding whitespace removed before it is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs)


class OrganisationSummarySchema(Schema):
    """An organisation as embedded in other resources."""

    id = fields.UUID()
    code = fields.String(allow_none=True)
    name = fields.String()
    kind = fields.String()
