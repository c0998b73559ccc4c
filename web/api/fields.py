"""Input fields shared by the schemas. What characters text may hold is checked once,
for every field, by :class:`web.http.validation.InputSchema`; these add shape and range."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields

from domain.display import display_problem
from domain.errors import ValidationFailed
from domain.project import AMOUNT, parse_amount
from web import messages

EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def shown_safely(text: str, *, free_text: bool = False, key: str = "text") -> str:
    """``text`` if it displays as stored (:mod:`domain.display`), else a ValidationError
    saying so about the field ``key``."""
    problem = display_problem(text, free_text=free_text)
    if problem:
        raise ValidationError(messages.about(key, problem))
    return text


def key_of(field: fields.Field) -> str:
    """The name a request gives ``field``: what its messages call it."""
    return field.data_key or field.name or "value"


class Text(fields.String):
    """One line of text that names or says something (a name, title, tag, job title),
    surrounding whitespace removed; blank, invisible or reordering characters are invalid."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise self.make_error("blank")
        return shown_safely(text, key=key_of(self))


class Prose(fields.String):
    """Text that may run over several lines (messages, updates, Markdown): tab and newline
    are allowed, CR LF is stored as LF. ``blank=False``: trimmed, and blank is invalid.
    Held to the display rule of names; ``free_text`` (long descriptions) only to its
    first point, no reordering controls (:mod:`domain.display`)."""

    multiline = True  # what the input door (``web.http.validation``) reads to keep its newlines

    def __init__(self, *, blank: bool = True, free_text: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blank, self.free_text = blank, free_text

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            if not self.blank:
                raise self.make_error("blank")
            return text
        shown_safely(text, free_text=self.free_text, key=key_of(self))
        return text if self.blank else text.strip()


class Email(fields.Email):
    """An email address with surrounding whitespace removed before it is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data, **kwargs)


class AmountString(fields.Field):
    """Money or person-days: a string of at most 12 digits and 2 decimals, never a number."""

    message_family = "amount"  # its messages say "a number, like 2500 or 2500.50"

    def __init__(self, **kwargs: Any) -> None:
        openapi = {"type": "string", "pattern": f"^{AMOUNT.pattern}$", "example": "1500.00"}
        super().__init__(**{**kwargs, "metadata": {**openapi, **kwargs.get("metadata", {})}})

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            return parse_amount(value)
        except ValidationFailed:
            raise self.make_error("invalid") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


def within(moment: datetime, field: fields.Field | None = None) -> datetime:
    """``moment`` in UTC, if it lies between 1900 and 2199 (else ``field``'s error)."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        if field is None:
            raise ValidationError(messages.message("time", "out_of_range"))
        raise field.make_error("out_of_range")
    return utc


class Day(fields.Date):
    """A calendar day between 1900 and 2199."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise self.make_error("out_of_range")
        return day


class Moment(fields.AwareDateTime):
    """A date-time with a time zone, between 1900 and 2199, answered in UTC."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        return within(super()._deserialize(value, attr, data, **kwargs), self)


class OrganisationSummarySchema(Schema):
    """An organisation as embedded in other resources."""

    id = fields.UUID()
    code = fields.String(allow_none=True)
    name = fields.String()
    kind = fields.String()
