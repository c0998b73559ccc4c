"""Name normalisation, core names and the generic NameMatcher (no register data)."""

from __future__ import annotations

import pytest

from domain.names import Candidate, NameMatcher, Resolution, core_name, normalise

# --------------------------------------------------------------------------- normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Brighton & Hove City Council", "brighton and hove city council"),
        ("Brighton+Hove", "brighton and hove"),
        ("BRIGHTON AND HOVE CITY COUNCIL.", "brighton and hove city council"),
        ("brighton-and-hove", "brighton and hove"),
        ("Kingston upon Hull, City of", "kingston upon hull city of"),
        ("edinburgh (city of)", "edinburgh city of"),
        ("St. Helens", "st helens"),
        ("King's Lynn", "king s lynn"),
        ("  Ynys   Môn\t", "ynys mon"),
        ("Rhondda Cynon Tâf", "rhondda cynon taf"),
        ("Straße", "strasse"),
        ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),
    ],
)
def test_normalise_folds_case_accents_ampersands_and_punctuation(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "odd",
    ["", "   ", "🏛️ council 🏛️", "Sir Ynys Mï¿½n", "Cityï¾\xa0and County", "\ud800 lone", "\x00\x1f"],
)
def test_normalise_never_raises_and_gives_single_spaced_text(odd: str) -> None:
    result = normalise(odd)
    assert result == result.strip()
    assert "  " not in result


def test_normalise_drops_emoji_and_mojibake_symbols() -> None:
    assert normalise("🏛️ Camden 🏛️") == "camden"
    assert normalise("Sir Ynys Mï¿½n").startswith("sir ynys mi")


def test_normalise_tolerates_none() -> None:
    assert normalise(None) == ""  # type: ignore[arg-type]


# --------------------------------------------------------------------------- core_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wigan Metropolitan Borough Council", "wigan"),
        ("Wigan Borough Council", "wigan"),
        ("Wigan Council", "wigan"),
        ("wigan", "wigan"),
        ("London Borough of Camden", "camden"),
        ("Camden London Borough Council", "camden"),
        ("camden london boro", "camden"),
        ("Royal Borough of Kingston upon Thames", "kingston upon thames"),
        ("Brighton & Hove City Council", "brighton and hove"),
        ("Brighton & Hove UA", "brighton and hove"),
        ("Hull City Council", "hull"),
        ("Aberdeen City", "aberdeen"),
        ("Aberdeenshire Council", "aberdeenshire"),
        ("City of Bradford Metropolitan District Council", "bradford"),
        ("Kingston upon Hull, City of", "kingston upon hull"),
        ("City and County of Swansea", "swansea"),
        ("Council of the Isles of Scilly", "isles of scilly"),
        ("Borough Council of King's Lynn and West Norfolk", "king s lynn and west norfolk"),
        ("Northamptonshire County Council", "northamptonshire"),
        ("Greater London Authority", "greater london"),
        ("West Midlands Combined Authority", "west midlands"),
        ("St Albans City and District Council", "st albans"),
        ("The Highland Council", "highland"),
        ("Forest of Dean District Council", "forest of dean"),
    ],
)
def test_core_name_strips_type_words(text: str, expected: str) -> None:
    assert core_name(text) == expected


@pytest.mark.parametrize("text", ["City of London", "City of London Corporation", "the City of London"])
def test_city_of_london_keeps_its_city(text: str) -> None:
    assert core_name(text) == "city of london"


def test_aberdeen_city_stays_distinct_from_aberdeenshire() -> None:
    assert core_name("Aberdeen City Council") != core_name("Aberdeenshire Council")


@pytest.mark.parametrize("text", ["Council", "City Council", "The Borough", "London Borough"])
def test_core_name_of_only_type_words_is_the_normalised_text(text: str) -> None:
    assert core_name(text) == normalise(text)


def test_core_name_of_empty_text_is_empty() -> None:
    assert core_name("") == ""


# --------------------------------------------------------------------------- NameMatcher

ENTRIES = [
    ("KTT", ["Royal Borough of Kingston upon Thames", "Kingston upon Thames"], True),
    ("KHL", ["Hull City Council", "Kingston upon Hull", "hull city"], True),
    ("OLDX", ["Exampleshire County Council", "Exampleshire"], False),
    ("NEWX", ["Exampleshire Council", "Exampleshire"], True),
    ("OLDY", ["Ysgol Borough Council"], False),
    ("OLDY2", ["Ysgol District Council"], False),
    ("TFW", ["Telford & Wrekin Council", "Telford and Wrekin"], True),
    ("DUP1", ["Twin Town Council"], True),
    ("DUP2", ["Twin Town District Council"], True),
    ("UUID-1", ["Local Government Association", "LGA"], True),
]


@pytest.fixture(scope="module")
def matcher() -> NameMatcher:
    return NameMatcher(ENTRIES)


def test_exact_name_resolves_with_full_score(matcher: NameMatcher) -> None:
    found = matcher.resolve("hull city council")
    assert found == Resolution("resolved", "KHL", (Candidate("KHL", "Hull City Council", 1.0, True),))


def test_exact_name_shared_with_an_abolished_body_resolves_to_the_current_one(
    matcher: NameMatcher,
) -> None:
    found = matcher.resolve("Exampleshire")
    assert (found.status, found.key) == ("resolved", "NEWX")
    assert [c.key for c in found.candidates] == ["NEWX", "OLDX"]


def test_core_clash_prefers_the_only_current_body(matcher: NameMatcher) -> None:
    found = matcher.resolve("Exampleshire Borough Council")
    assert (found.status, found.key) == ("resolved", "NEWX")
    assert {c.key for c in found.candidates} == {"NEWX", "OLDX"}


def test_core_clash_without_a_single_current_body_is_ambiguous(matcher: NameMatcher) -> None:
    assert matcher.resolve("Ysgol Council").status == "ambiguous"
    assert matcher.resolve("Twin Town").status == "ambiguous"


def test_word_prefix_resolves_when_only_one_body_starts_with_it(matcher: NameMatcher) -> None:
    found = matcher.resolve("Telford Council")
    assert (found.status, found.key) == ("resolved", "TFW")
    assert found.candidates[0].score == 0.85


def test_kingston_council_is_ambiguous_between_thames_and_hull(matcher: NameMatcher) -> None:
    found = matcher.resolve("Kingston Council")
    assert found.status == "ambiguous"
    assert {c.key for c in found.candidates} == {"KTT", "KHL"}


def test_prefix_must_end_on_a_word_boundary(matcher: NameMatcher) -> None:
    assert matcher.resolve("Telf").status == "unknown"


def test_unknown_name_offers_close_suggestions(matcher: NameMatcher) -> None:
    found = matcher.resolve("Exampelshire")
    assert found.status == "unknown"
    assert found.key is None
    assert {c.key for c in found.candidates} == {"NEWX", "OLDX"}
    assert found.candidates[0].key == "NEWX"  # current first on equal scores


def test_nonsense_is_unknown_with_no_suggestions(matcher: NameMatcher) -> None:
    assert matcher.resolve("Qwxz Plorth Zzyzx") == Resolution("unknown", None, ())


@pytest.mark.parametrize("text", ["", "   ", "...", "🏛️"])
def test_empty_or_symbol_only_text_is_unknown(matcher: NameMatcher, text: str) -> None:
    assert matcher.resolve(text) == Resolution("unknown", None, ())
    assert matcher.search(text) == []


def test_keys_are_opaque_strings(matcher: NameMatcher) -> None:
    assert matcher.resolve("lga").key == "UUID-1"


def test_search_scores_exact_core_and_prefix_tiers(matcher: NameMatcher) -> None:
    assert [(c.key, c.score) for c in matcher.search("Hull City Council")][0] == ("KHL", 1.0)
    assert [(c.key, c.score) for c in matcher.search("Hull Council")][0] == ("KHL", 0.95)
    assert {(c.key, c.score) for c in matcher.search("kingston")} == {("KTT", 0.85), ("KHL", 0.85)}


def test_search_lists_each_key_once_with_its_display_name(matcher: NameMatcher) -> None:
    found = matcher.search("kingston upon hull")
    assert [c.key for c in found].count("KHL") == 1
    assert found[0] == Candidate("KHL", "Hull City Council", 1.0, True)


def test_search_finds_typos_below_the_exact_tiers(matcher: NameMatcher) -> None:
    found = matcher.search("kingstn upon thams")
    assert found[0].key == "KTT"
    assert 0.55 <= found[0].score < 0.85


def test_search_scores_are_sorted_and_within_bounds(matcher: NameMatcher) -> None:
    found = matcher.search("exampleshire council")
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_search_respects_the_limit(matcher: NameMatcher) -> None:
    assert len(matcher.search("council", limit=2)) <= 2
    assert matcher.search("Exampleshire", limit=0) == []


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        NameMatcher([("A", ["Alpha"], True), ("A", ["Beta"], True)])


def test_entries_without_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="no names"):
        NameMatcher([("A", [], True)])


def test_among_two_thousand_similar_names_a_misspelt_search_finds_the_one_meant_first() -> None:
    words = ["north", "south", "upper", "lower", "great", "little", "east", "west"]
    places = ["ford", "ham", "ton", "by", "wick", "borough", "field", "minster"]
    entries = [
        (f"K{i}", [f"{words[i % 8]} {chr(97 + i % 26)}{places[i // 8 % 8]}{i} Council"], True) for i in range(2000)
    ]
    found = NameMatcher(entries).search("nroth kford 192")
    assert found[0].key == "K192"
    assert found[0].score > found[1].score
