"""The one display rule for text that names something (issue 20, item 15), the whole-number
rule of the door (item 16a) and the look-alike keys of organisation names (item 11)."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError, fields

from domain.notifications import tag_problem
from web.api.fields import Prose, Text
from web.http.validation import InputSchema

REORDERING = {
    "RLO": "Hull\u202eCity",
    "LRO": "\u202dHull",
    "RLE": "\u202bHull",
    "PDF": "Hull\u202c",
    "LRI": "\u2066Hull",
    "RLI": "Hull\u2067",
    "FSI": "\u2068Hull",
    "PDI": "Hull\u2069",
}
MARKS = {"LRM": "Hull\u200e", "RLM": "Hull\u200f", "ALM": "\u061cHull"}
INVISIBLE = {
    "ZWSP": "Hu\u200bll",
    "lone ZWJ": "Hull\u200d",
    "ZWJ between letters": "Hu\u200dll",
    "lone ZWNJ": "H\u200cull",
    "BOM": "\ufeffHull",
    "word joiner": "Hu\u2060ll",
    "soft hyphen": "Hu\u00adll",
    "Hangul filler": "Hull\u3164City",
    "Hangul choseong filler": "Hull\u115f",
    "halfwidth Hangul filler": "Hull\uffa0",
    "combining grapheme joiner": "Hu\u034fll",
    "Mongolian vowel separator": "Hull\u180e",
    "tag letter alone": "Hull\U000e0041",
    "variation selector first": "\ufe0fHull",
    "interlinear annotation": "Hull\ufff9",
    "Arabic number sign": "\u0600Hull",
}
BLANK = ["\u3164", "\u2800", "\u200b", "\ufeff", "\u3164 \u2800\u200b", "\u115f\u1160"]
LEGITIMATE = [
    "Cyngor Sir Ynys Môn",
    "Isle of Anglesey County Council",
    "Zoë O'Brien-Ñúñez",
    "I ❤\ufe0f Hull",
    "Team 👩\u200d💻 digital",
    "Family 👨\u200d👩\u200d👧",
    "Cymru 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    "日本語",
    "葛\U000e0100城市",  # an ideographic variation sequence
    "Ελληνικά, русский, עברית, مشروع",
    "क्\u200dष",  # ZWJ after a virama (RFC 5892)
    "می\u200cخواهم",  # ZWNJ between joining Arabic letters
]


class Note(InputSchema):
    title = Text()
    body = Prose()
    description = Prose(free_text=True)
    count = fields.Integer()
    counts = fields.List(fields.Integer())


def refusal(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as refused:
        Note().load(data)
    return refused.value.messages  # type: ignore[return-value]


@pytest.mark.parametrize("text", [*REORDERING.values(), *MARKS.values()], ids=[*REORDERING, *MARKS])
def test_a_name_or_message_with_a_bidirectional_control_is_refused_saying_so(text: str) -> None:
    for field in ("title", "body"):
        (message,) = refusal({field: text})[field]
        assert "direction-changing character (U+" in message


@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_name_or_message_with_an_invisible_character_is_refused_naming_it(text: str) -> None:
    for field in ("title", "body"):
        (message,) = refusal({field: text})[field]
        assert "invisible character (U+" in message
    assert tag_problem(text.casefold()) is not None


@pytest.mark.parametrize("text", BLANK)
def test_a_name_tag_or_message_of_nothing_visible_is_required(text: str) -> None:
    for field in ("title", "body", "description"):
        (message,) = refusal({field: text})[field]
        assert message.startswith("Required")
    assert tag_problem(text) is not None


@pytest.mark.parametrize("text", REORDERING.values(), ids=REORDERING.keys())
def test_a_description_refuses_reordering_controls(text: str) -> None:
    assert "direction-changing" in refusal({"description": text})["description"][0]


@pytest.mark.parametrize("text", [*INVISIBLE.values(), *MARKS.values()], ids=[*INVISIBLE, *MARKS])
def test_a_description_keeps_zero_width_characters_and_marks_scripts_need(text: str) -> None:
    assert Note().load({"description": f"Some text {text}"}) == {"description": f"Some text {text}"}


@pytest.mark.parametrize("text", LEGITIMATE)
def test_names_in_any_script_with_emoji_sequences_are_taken(text: str) -> None:
    assert Note().load({"title": text, "body": text, "description": text}) == {
        "title": text,
        "body": text,
        "description": text,
    }
    assert tag_problem(text.casefold()[:50]) is None


@pytest.mark.parametrize("number", [1.9, 0.5, -2.5, 1e-9, 2.000001])
def test_a_number_with_a_fraction_is_refused_wherever_an_integer_belongs(number: float) -> None:
    assert refusal({"count": number}) == {"count": ["The count must be a whole number, like 3"]}
    assert refusal({"counts": [1, number]}) == {"counts": {1: ["The count must be a whole number, like 3"]}}


def test_whole_numbers_are_taken_even_written_with_a_point_zero() -> None:
    assert Note().load({"count": 2.0, "counts": [3, 4.0]}) == {"count": 2, "counts": [3, 4]}
    assert refusal({"count": 1e300}) == {"count": ["The count is too large"]}


@pytest.mark.parametrize(
    "impostor",
    [
        "\u041dull City Council",  # Cyrillic Н
        "Hull City Counc\u0456l",  # Ukrainian і
        "HULL CITY COUNC\u0406L",
        "\u04bbull c\u0456ty council",  # Cyrillic һ
        "Hull City C\u043euncil",  # Cyrillic о
        "The Hull City Council.",
        "Hull City Council\u3164",  # a filler is ignored by the comparison (and refused at the door)
    ],
)
def test_a_name_that_looks_like_a_councils_shares_a_key_with_it(impostor: str) -> None:
    from domain.lookalike import council_lookalikes, lookalike_keys

    assert {council_lookalikes().get(key) for key in lookalike_keys(impostor)} >= {("KHL", "Hull City Council")}


@pytest.mark.parametrize("name", ["Hull Food Partnership", "Acme Ltd", "Cyngor Cymuned Llanbedr", "Hullabaloo Ltd"])
def test_a_name_that_does_not_look_like_a_councils_shares_no_key(name: str) -> None:
    from domain.lookalike import council_lookalikes, lookalike_keys

    assert not any(key in council_lookalikes() for key in lookalike_keys(name))


@pytest.mark.parametrize("word", ["bins\u3164", "\u3164bins", "bi\u115fns"])
def test_an_interest_word_with_a_filler_letter_is_refused(word: str) -> None:
    from domain.errors import ValidationFailed
    from domain.notifications import clean_interests

    with pytest.raises(ValidationFailed, match="A word is one word"):
        clean_interests([], [word])
    assert clean_interests([], ["bins"]) == ([], ["bins"])
