"""Text is clean at the door: the one check every input schema runs on what it loads.

Refused everywhere: NUL and the other C0/C1 control characters, DEL, lone surrogates
(``"\\ud800"`` arrives through JSON escapes and cannot be encoded, stored or sent) and
Unicode noncharacters; a number with a fraction where a whole number belongs (marshmallow's
Integer, whichever schema declares it, would store ``1.9`` as 1). Tab and newline are
allowed only in fields that hold prose (:class:`web.api.fields.Prose`), where CR LF is
normalised to LF first. A stored NUL froze a PostgreSQL read model for good; a CR LF
in a title made its email unsendable: refusing them here is cheaper than guarding every
place text goes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load

from web import messages

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_ALWAYS_BAD = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + _NONCHARACTERS
_BAD_IN_PROSE = re.compile(f"[{_ALWAYS_BAD}]")
_BAD_IN_LINE = re.compile(f"[\t\n{_ALWAYS_BAD}]")
MAX_INTEGER = 2**63 - 1  # PostgreSQL BIGINT, the widest integer column we have


def _name(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X})"
    if code in (0x09, 0x0A, 0x0D):
        return f"a line break or tab (U+{code:04X}); this field is one line"
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"a control character (U+{code:04X})"
    return f"a Unicode noncharacter (U+{code:04X})"


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is refused, or None. ``multiline`` allows tab and LF (not CR)."""
    found = (_BAD_IN_PROSE if multiline else _BAD_IN_LINE).search(text)
    if found is None:
        return None
    return f"Must not contain {_name(found.group())}."


def clean_text(text: str, *, multiline: bool = False) -> str:
    """``text`` as stored: CR LF made LF in prose. Raises ValidationError if refused."""
    if multiline:
        text = text.replace("\r\n", "\n")
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise ValidationError(problem)
    return text


def printable(text: str) -> str:
    """``text`` safe to write out (XML, CSV, mail): what the door refuses becomes U+FFFD.
    For text stored before the door was there; CR LF becomes LF."""
    return _BAD_IN_PROSE.sub("\ufffd", text.replace("\r\n", "\n"))


def _fields_by_key(schema: Schema) -> dict[str, fields.Field]:
    return {field.data_key or name: field for name, field in schema.load_fields.items()}


def _inner_fields(field: fields.Field | None) -> tuple[dict[str, fields.Field], fields.Field | None]:
    """What the members of a container field are checked as: (by key, otherwise)."""
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        return _fields_by_key(field.schema), None
    if isinstance(field, fields.List):
        return {}, field.inner
    if isinstance(field, fields.Dict):
        return {}, field.value_field
    return {}, None


def _clean_mapping(data: Mapping[str, Any], by_key: dict[str, fields.Field], other: fields.Field | None) -> dict:
    cleaned: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for key in data:
        try:
            if isinstance(key, str):
                clean_text(key)
            cleaned[key] = clean_value(data[key], by_key.get(key, other))
        except ValidationError as error:
            name = key if isinstance(key, str) and not text_problem(key) else repr(key)
            errors[name] = _about(name, error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _about(key: str, found: Any) -> Any:
    """The door's own sentences ("Must not contain ...") said about the field they refuse."""
    if isinstance(found, list):
        return [messages.about(key, text) if isinstance(text, str) else text for text in found]
    return found


def _clean_list(items: list[Any], field: fields.Field | None) -> list[Any]:
    cleaned, errors = [], {}
    for index, item in enumerate(items):
        try:
            cleaned.append(clean_value(item, field))
        except ValidationError as error:
            errors[index] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _error(field: fields.Field | None, kind: str) -> ValidationError:
    """The table's message for ``kind`` on ``field`` (bound by its schema), or the fallback."""
    if field is not None and kind in field.error_messages:
        return field.make_error(kind)
    return ValidationError(messages.message("value", kind))


def clean_value(value: Any, field: fields.Field | None) -> Any:
    """``value`` with its text checked (and prose normalised) against ``field``, recursively."""
    if isinstance(value, str):
        return clean_text(value, multiline=getattr(field, "multiline", False))
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        raise _error(field, "too_large")
    if isinstance(value, float) and isinstance(field, fields.Integer):
        if not value.is_integer():
            raise _error(field, "whole")  # marshmallow would store int(1.9), a 1
        if abs(value) > MAX_INTEGER:
            raise _error(field, "too_large")
    by_key, other = _inner_fields(field)
    if isinstance(value, Mapping):
        return _clean_mapping(value, by_key, other)
    if isinstance(value, list):
        return _clean_list(value, other)
    return value


class InputSchema(Schema):
    """The base of every schema that loads a request (body or query string). Every field's
    messages, and its validators', come from the one table (:mod:`web.messages`)."""

    error_messages = {
        "unknown": messages.message("_", "unknown"),
        "type": messages.message("_", "type"),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        messages.bind(field_obj.data_key or field_name, field_obj)

    @pre_load
    def refuse_unclean_text(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow answers "Invalid input type" itself
        return _clean_mapping(data, _fields_by_key(self), None)
