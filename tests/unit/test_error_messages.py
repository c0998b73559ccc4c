"""The one table of error messages (web/messages.py): GOV.UK's words for every field of
every schema that loads a request, so no answer or page can show marshmallow's own."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate

import web.api
from web import messages
from web.api.projects import ProjectListArgs
from web.http.validation import InputSchema

# Words only marshmallow's defaults use, and the jargon a person should not meet.
FOREIGN = (
    "Missing data",
    "Not a valid",
    "may not be null",
    "Unknown field",
    "Invalid input type",
    "Invalid value",
    "Invalid type",
    "Shorter than",
    "Longer than",
    "Length must be",
    "Must be one of",
    "Must be greater",
    "Must be less",
    "does not match",
    "cannot be formatted",
    "ISO",
)
BAD_VALUES = (None, "", "   ", "x", "2027-02-30", 1.5, -1, 10**30, True, [], [1], {}, {"a": 1}, "a" * 25000)


def defaults() -> set[str]:
    """Every message marshmallow would give by itself (fields, schemas, validators)."""
    found = set(Schema._default_error_messages.values())
    for _, kind in inspect.getmembers(fields, inspect.isclass):
        for klass in kind.__mro__:
            found |= {m for m in getattr(klass, "default_error_messages", {}).values() if isinstance(m, str)}
    for _, check in inspect.getmembers(validate, inspect.isclass):
        found |= {v for k, v in vars(check).items() if isinstance(v, str) and k.startswith(("message", "default"))}
    return found


def input_schemas() -> list[type[InputSchema]]:
    for module in pkgutil.iter_modules(web.api.__path__):
        importlib.import_module(f"web.api.{module.name}")
    found, todo = [], list(InputSchema.__subclasses__())
    while todo:
        schema = todo.pop()
        found.append(schema)
        todo += schema.__subclasses__()
    return sorted(set(found), key=lambda s: s.__qualname__)


def every_field(schema: Schema) -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.load_fields.items():
        yield from _with_members(field.data_key or name, field)


def _with_members(key: str, field: fields.Field) -> Iterator[tuple[str, fields.Field]]:
    yield key, field
    inner = getattr(field, "inner", None) or getattr(field, "value_field", None)
    if isinstance(inner, fields.Field):
        yield from _with_members(f"{key}[]", inner)
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        yield from ((f"{key}.{k}", f) for k, f in every_field(field.schema))


SCHEMAS = input_schemas()


def test_every_schema_that_loads_a_request_is_found() -> None:
    names = {schema.__name__ for schema in SCHEMAS}
    assert {"ProjectProposalSchema", "PledgeSchema", "GoalSchema", "SignUpSchema", "ProjectListArgs"} <= names


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_no_field_of_any_schema_keeps_a_marshmallow_message(schema: type[InputSchema]) -> None:
    marshmallow_says = defaults()
    for key, field in every_field(schema()):
        kept = {kind: text for kind, text in field.error_messages.items() if text in marshmallow_says}
        assert not kept, f"{schema.__name__}.{key} keeps marshmallow's {kept}"
        for check in field.validators:
            error = getattr(check, "error", "")
            assert error is not None and error not in marshmallow_says, f"{schema.__name__}.{key}: {check!r}"


def _messages(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _messages(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _messages(inner)
    else:
        yield str(value)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_no_wrong_value_in_any_field_is_answered_in_marshmallows_words(schema: type[InputSchema]) -> None:
    said: set[str] = set()
    for key, _ in every_field(schema()):
        if "[]" in key or "." in key:
            continue
        for value in BAD_VALUES:
            try:
                schema().load({key: value})
            except ValidationError as error:
                said |= set(_messages(error.messages))
    for body in ([], "text", {"not a field": 1}):
        try:
            schema().load(body)  # type: ignore[arg-type]
        except ValidationError as error:
            said |= set(_messages(error.messages))
    foreign = sorted(text for text in said if any(word in text for word in FOREIGN))
    assert not foreign, f"{schema.__name__} says {foreign}"


def test_a_field_with_its_own_words_uses_them_and_others_fall_back_by_kind() -> None:
    assert messages.message("title", "required") == "Enter a title"
    assert messages.message("title", "null") == "Enter a title"
    assert messages.message("money", "invalid", "amount") == "The money must be a number, like 2500 or 2500.50"
    assert messages.message("department", "required") == "Enter the department"
    assert (
        messages.message("phase_start", "invalid", "date")
        == "The phase start date must be a real date, like 2027-03-31"
    )
    assert messages.message("min_partners", "range", "whole", min=0, max=1000) == (
        "The number of partner organisations must be between 0 and 1000"
    )


def test_a_rules_own_sentence_is_said_about_its_field() -> None:
    assert messages.about("title", "Must not contain an invisible character (U+200B).") == (
        "The title must not contain an invisible character (U+200B)"
    )
    assert messages.about("tag", "A tag is 1 to 50 characters.") == "A tag is 1 to 50 characters"


def test_every_kind_of_error_a_field_raises_has_words_in_the_table() -> None:
    root = Path(web.api.__file__).parents[1]
    raised = {kind for path in root.rglob("*.py") for kind in re.findall(r'make_error\("(\w+)"', path.read_text())}
    worded = {kind for kinds in messages.FALLBACK.values() for kind in kinds}
    assert raised and raised <= worded, raised - worded


def test_braces_in_a_message_survive_marshmallows_formatting() -> None:
    class Braces(InputSchema):
        x = fields.String(validate=validate.OneOf(["{a}", "b"]))

    with pytest.raises(ValidationError) as refused:
        Braces().load({"x": "c"})
    assert refused.value.messages == {"x": ["Select the x from the list: {a} or b"]}


def test_a_choice_refused_is_said_in_the_words_a_person_reads_not_the_apis_codes() -> None:
    said = ProjectListArgs().validate({"phase": "gamma", "collaboration_level": "x", "budget_band": "y"})
    assert said["phase"] == ["Select the phase from the list: Concept, Discovery, Alpha, Beta, Live or Decommissioned"]
    assert said["collaboration_level"] == [
        "Select the collaboration level from the list: Share ideas, Open to conversation or Share funding"
    ]
    assert said["budget_band"][0].endswith("£250,000 to £500,000 or £500,000 to £1 million")


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_no_select_message_names_a_code_with_an_underscore(schema: type[InputSchema]) -> None:
    for key, field in every_field(schema()):
        for check in field.validators:
            if isinstance(check, validate.OneOf):
                codes = [str(c) for c in check.choices if "_" in str(c)]
                named = [code for code in codes if code in str(check.error)]
                assert not named, f"{schema.__name__}.{key}: {check.error}"


# Modules whose people-facing refusals must all come from the table: no sentence of their own
# handed to abort, a problem, a ValidationError or the report's BadParameter.
WORDED_BY_THE_TABLE = ("web/api/as_of.py", "web/api/events.py", "web/api/reports.py", "workers/report/params.py")
REFUSALS = {"abort", "problem", "ValidationError", "BadParameter", "_bad", "flash"}


def _own_sentences(node: ast.AST) -> Iterator[str]:
    """Text written into ``node`` itself: an f-string, or a string literal of several words."""
    if isinstance(node, ast.JoinedStr):
        yield ast.unparse(node)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value.strip():
        yield node.value
    else:
        for inner in ast.iter_child_nodes(node):
            yield from _own_sentences(inner)


def refusals_in_own_words(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if called in REFUSALS:
            said = [*node.args, *(k.value for k in node.keywords if k.arg in ("message", "errors", "detail"))]
            found += [f"line {node.lineno}: {text}" for arg in said for text in _own_sentences(arg)]
    return found


@pytest.mark.parametrize("module", WORDED_BY_THE_TABLE)
def test_refusals_about_as_of_the_event_log_and_the_report_take_their_words_from_the_table(module: str) -> None:
    root = Path(web.api.__file__).parents[2]
    assert refusals_in_own_words((root / module).read_text()) == []


def test_the_check_finds_a_sentence_of_a_handlers_own() -> None:
    source = (
        'abort(400, message=f"{x!r} is not a date", errors={"as_of": ["Not a date."]})\n'
        'raise ValidationError("Give a log position.")\n'
        'abort(400, message=said, errors={"as_of": [said]})\n'
    )
    assert [line.split(":")[0] for line in refusals_in_own_words(source)] == ["line 1", "line 1", "line 2"]


def test_as_of_event_log_and_report_messages_read_like_govuk() -> None:
    assert messages.message("as_of", "future", "moment") == "The 'as of' date and time must be now or in the past"
    assert messages.message("as_of", "required", "moment") == (
        "Enter the 'as of' date and time, or leave it out for the present"
    )
    assert messages.message("to", "before_start", "period") == (
        "The 'to' date must be the same as or after the 'from' date"
    )
    assert messages.message("from", "real", "period") == "The 'from' date must be a real date"
    assert messages.message("forgotten_days", "range", "whole", min=1, max=3650) == (
        "The number of days after which a project counts as forgotten must be between 1 and 3650"
    )
