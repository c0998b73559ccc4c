"""The door: which characters, numbers, amounts and nestings a request may carry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError, fields

from domain.errors import ValidationFailed
from domain.project import parse_amount
from web.api.fields import Prose, Text
from web.http import door
from web.http.validation import InputSchema, printable, text_problem

REFUSED_IN_ANY_TEXT = {
    "NUL": "a\x00b",
    "another C0 control": "a\x07b",
    "escape": "\x1b[31mred",
    "DEL": "a\x7fb",
    "a C1 control": "a\x85b",
    "a lone high surrogate": "a\ud800b",
    "a lone low surrogate": "a\udfffb",
    "a noncharacter": "a\ufffeb",
    "a noncharacter beyond the BMP": "a\U0010ffffb",
    "a lone CR": "a\rb",
}
REFUSED_IN_ONE_LINE = {"LF": "a\nb", "CR LF": "a\r\nb", "tab": "a\tb"}
ACCEPTED_ANYWHERE = ["plain", "Kingston upon Thames", "café naïve", "emoji \U0001f600", "日本語", "Ærø"]


class Note(InputSchema):
    title = Text()
    body = Prose()
    tags = fields.List(Text())


@pytest.mark.parametrize("text", REFUSED_IN_ANY_TEXT.values(), ids=REFUSED_IN_ANY_TEXT.keys())
def test_control_characters_surrogates_and_noncharacters_are_refused_even_in_prose(text: str) -> None:
    assert text_problem(text, multiline=True)
    assert text_problem(text, multiline=False)


@pytest.mark.parametrize("text", REFUSED_IN_ONE_LINE.values(), ids=REFUSED_IN_ONE_LINE.keys())
def test_line_breaks_and_tabs_are_refused_in_one_line_text(text: str) -> None:
    assert "line break or tab" in (text_problem(text) or "")


@pytest.mark.parametrize("text", ACCEPTED_ANYWHERE)
def test_ordinary_text_in_any_script_is_accepted(text: str) -> None:
    assert text_problem(text) is None


def test_a_schema_names_the_field_that_holds_a_refused_character() -> None:
    with pytest.raises(ValidationError) as refused:
        Note().load({"title": "fine", "body": "fine", "tags": ["ok", "bad\x00"]})
    assert refused.value.messages == {"tags": {1: ["Must not contain a control character (U+0000)."]}}


def test_prose_keeps_tabs_and_newlines_and_stores_cr_lf_as_lf() -> None:
    loaded = Note().load({"title": "One line", "body": "First\r\n\tindented\nthird"})
    assert loaded["body"] == "First\n\tindented\nthird"


def test_a_title_with_cr_lf_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Note().load({"title": "Subject\r\nBcc: someone@example.com"})
    assert list(refused.value.messages) == ["title"]


def test_a_key_with_a_refused_character_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as refused:
        Note().load({"title\x00": "x"})
    assert "'title\\x00'" in refused.value.messages


def test_printable_replaces_what_xml_and_utf8_cannot_carry() -> None:
    assert printable("a\x00b\x0bc\ud800d\r\ne\tf") == "a\ufffdb\ufffdc\ufffdd\ne\tf"
    printable("x\ud800").encode("utf-8")  # no UnicodeEncodeError


@pytest.mark.parametrize("text", ["0", "5", "1500", "1500.5", "1500.50", "999999999999.99"])
def test_amounts_are_digit_strings_with_at_most_two_decimals(text: str) -> None:
    assert parse_amount(text) == Decimal(text)


BAD_AMOUNTS: list[Any] = [
    100,
    100.5,
    True,
    None,
    "1e2",
    "1E2",
    "1_000",
    "１００",
    "+5",
    "-5",
    " 5",
    "5 ",
    "5\n",
    "1,000",
    "1.234",
    ".5",
    "5.",
    "NaN",
    "Infinity",
    "",
    "1" * 13,
    "1" * 5000,
]


@pytest.mark.parametrize("value", BAD_AMOUNTS, ids=[repr(v)[:20] for v in BAD_AMOUNTS])
def test_anything_else_is_not_an_amount(value: Any) -> None:
    with pytest.raises(ValidationFailed):
        parse_amount(value)


def test_json_nested_deeper_than_the_limit_is_refused_without_recursing() -> None:
    door.loads("[" * (door.MAX_DEPTH - 1) + "]" * (door.MAX_DEPTH - 1))
    for depth in (door.MAX_DEPTH + 1, 30_000):
        with pytest.raises(ValueError, match="nested deeper"):
            door.loads("[" * depth + "]" * depth)
    with pytest.raises(ValueError, match="nested deeper"):
        door.loads('{"a":' * 40 + "1" + "}" * 40)


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    with pytest.raises(ValueError):
        door.loads(text)


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 40, "1e400", "1" * 5000 + ".5", str(2**63)])
def test_numbers_no_column_holds_are_named_by_their_field(number: str) -> None:
    body = door.loads('{"pledge": {"money": ' + number + "}}")
    assert dict(door.body_problems(body)) == {"pledge.money": ["The money is too large"]}


def test_the_largest_bigint_is_in_range() -> None:
    assert list(door.body_problems(door.loads(f"[{2**63 - 1}, {-(2**63 - 1)}, 1.5]"))) == []


def test_a_refused_character_anywhere_in_a_body_is_named() -> None:
    body = door.loads('{"a": [{"b": "x\\u0000"}], "c\\ud800": 1, "ok": "line\\r\\nbreak"}')
    problems = dict(door.body_problems(body))
    assert set(problems) == {"a.0.b", "c\ufffd"}
