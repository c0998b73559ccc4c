"""Hot answers dumped without marshmallow's per-field machinery, to the same dicts.

marshmallow dumps a row by asking every field of every nested schema for its value through
several layers of calls: for the project list (50 rows of 25 fields, an organisation and a
goal each) that was about a third of the request's CPU. :func:`plain_dumper` reads a
schema's declared output fields once and builds a function that makes the same dict from a
row, for the field types our output schemas use; it refuses (``TypeError``, when the app
starts) any schema it cannot copy exactly: dump hooks, dotted attributes, field types it does
not know. The schemas stay the one declaration of each answer and the OpenAPI document is
made from them as before; ``tests/unit/test_plain_dump.py`` proves, over many generated rows,
that each dumper gives what ``Schema().dump(row)`` gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields
from marshmallow.schema import POST_DUMP, PRE_DUMP
from marshmallow.utils import missing

Convert = Callable[[Any], Any]
Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]


def _text(value: Any) -> str | None:  # fields.String
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _uuid(value: Any) -> str | None:  # fields.UUID: str() of what it is given
    return None if value is None else str(value)


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_is(value: Any) -> Any:  # fields.Boolean and fields.Raw dump what they are given
    return value


SIMPLE: dict[type[fields.Field], Convert] = {
    fields.String: _text,
    fields.UUID: _uuid,
    fields.Integer: _integer,
    fields.Float: _float,
    fields.Boolean: _as_is,
    fields.Raw: _as_is,
}


def _list(inner: Convert) -> Convert:
    return lambda value: None if value is None else [inner(each) for each in value]


def _nested(dump: Dumper, many: bool) -> Convert:
    if many:
        return lambda value: None if value is None else [dump(each) for each in value]
    return lambda value: None if value is None else dump(value)


def _dict(key: Convert | None, value_of: Convert | None) -> Convert:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if key is None and value_of is None:
            return dict(value)
        keys = {k: (key(k) if key else k) for k in value}
        return {keys[k]: (value_of(v) if value_of else v) for k, v in value.items()}

    return convert


def converter(field: fields.Field) -> Convert:
    """What ``field._serialize`` does to a value, as one plain function."""
    kind = type(field)
    if kind in SIMPLE:
        if isinstance(field, fields.Number) and field.as_string:
            raise TypeError(f"plain_dumper: {kind.__name__}(as_string=True) is not supported")
        return SIMPLE[kind]
    if kind is fields.List and isinstance(field, fields.List):
        return _list(converter(field.inner))
    if kind is fields.Nested and isinstance(field, fields.Nested):
        nested = field.schema
        return _nested(plain_dumper(nested), bool(nested.many or field.many))
    if kind is fields.Dict and isinstance(field, fields.Dict):
        key = converter(field.key_field) if field.key_field else None
        value = converter(field.value_field) if field.value_field else None
        return _dict(key, value)
    raise TypeError(f"plain_dumper: no plain copy of {kind.__name__}; use the schema")


def plain_dumper(schema: Schema | type[Schema]) -> Dumper:
    """A function giving ``schema.dump(row)`` for a row that is a mapping (one row, not many)."""
    instance = schema() if isinstance(schema, type) else schema
    if instance._hooks[PRE_DUMP] or instance._hooks[POST_DUMP]:
        raise TypeError(f"plain_dumper: {type(instance).__name__} has dump hooks; use the schema")
    steps = []
    for name, field in instance.dump_fields.items():
        source = field.attribute or name
        if "." in source:
            raise TypeError(f"plain_dumper: {type(instance).__name__}.{name} is not a plain key")
        key = field.data_key if field.data_key is not None else name
        steps.append((source, key, converter(field), field.dump_default))
    # A key that names a dict method ("items"): marshmallow would dump the method if the row
    # lacked it (and fail); here such a key must be in the row.
    needed = [source for source, *_ in steps if hasattr(dict, source)]

    def dump(row: Mapping[str, Any]) -> dict[str, Any]:
        for source in needed:
            if source not in row:
                raise KeyError(source)
        out = {}
        for source, key, convert, default in steps:
            value = row.get(source, missing)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            out[key] = convert(value)
        return out

    return dump


def answer(dump: Dumper, body: Mapping[str, Any]) -> Response:
    """``body`` dumped and sent as JSON, as flask-smorest's ``@blp.response`` would send it
    (a Response passes through that decorator untouched, which still documents the schema)."""
    return jsonify(dump(body))
