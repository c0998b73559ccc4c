"""The packaged council register and council name matching over it."""

from __future__ import annotations

import pytest

from domain.names import NameMatcher
from domain.register import (
    REGISTER_CSV,
    CouncilRecord,
    council_matcher,
    load_register,
    split_alt_names,
)


@pytest.fixture(scope="module")
def records() -> tuple[CouncilRecord, ...]:
    return load_register()


@pytest.fixture(scope="module")
def by_code(records: tuple[CouncilRecord, ...]) -> dict[str, CouncilRecord]:
    return {record.code: record for record in records}


@pytest.fixture(scope="module")
def councils(records: tuple[CouncilRecord, ...]) -> NameMatcher:
    return council_matcher(records)


# --------------------------------------------------------------------------- loading


def test_register_csv_ships_inside_the_domain_package() -> None:
    assert REGISTER_CSV.parent.parent.name == "domain"
    assert REGISTER_CSV.is_file()


def test_all_470_councils_load_and_397_are_current(records: tuple[CouncilRecord, ...]) -> None:
    assert len(records) == 470
    assert sum(record.current for record in records) == 397


def test_records_are_sorted_by_unique_code(records: tuple[CouncilRecord, ...]) -> None:
    codes = [record.code for record in records]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)


def test_a_current_council_has_its_register_fields(by_code: dict[str, CouncilRecord]) -> None:
    wigan = by_code["WGN"]
    assert wigan.official_name == "Wigan Metropolitan Borough Council"
    assert wigan.short_name == "Wigan"
    assert wigan.gss_code == "E08000010"
    assert (wigan.type_code, wigan.type_name) == ("MD", "Metropolitan district")
    assert (wigan.nation, wigan.region) == ("England", "North West")
    assert (wigan.start_date, wigan.end_date, wigan.replaced_by) == ("1974-04-01", None, None)
    assert wigan.current is True


def test_an_abolished_council_keeps_its_end_and_successors(by_code: dict[str, CouncilRecord]) -> None:
    northants = by_code["NTH"]
    assert northants.current is False
    assert northants.end_date == "2021-04-01"
    assert northants.replaced_by == "NNT,WNT"
    assert northants.start_date is None  # empty cells become None


def test_names_lead_with_official_then_short_name_without_repeats(
    by_code: dict[str, CouncilRecord],
) -> None:
    camden = by_code["CMD"]
    assert camden.names[:2] == ("London Borough of Camden", "Camden")
    assert camden.names.count("Camden") == 1
    assert "camden london boro" in camden.names


def test_alt_names_keep_comma_inversions_whole(by_code: dict[str, CouncilRecord]) -> None:
    hull = by_code["KHL"].alt_names
    assert "Kingston upon Hull, City of" in hull
    assert "City of" not in hull and " City of" not in hull


def test_alt_names_keep_armagh_banbridge_craigavon_whole(by_code: dict[str, CouncilRecord]) -> None:
    assert by_code["ABC"].alt_names == (
        "Armagh City, Banbridge and Craigavon",
        "armagh city, banbridge and craigavon",
        "armagh, banbridge and craigavon",
    )


def test_alt_names_are_trimmed(by_code: dict[str, CouncilRecord]) -> None:
    assert by_code["NMD"].alt_names == ("Newry, Mourne and Down", "newry, mourne and down")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Bristol, City of,bristol", ("Bristol, City of", "bristol")),
        ("rhondda, cynon, taff,rhondda", ("rhondda, cynon, taff", "rhondda")),
        ("a,,b, ,a", ("a", "b")),
        (" leading,x", ("leading", "x")),
        ("", ()),
        (None, ()),
    ],
)
def test_split_alt_names(field: str | None, expected: tuple[str, ...]) -> None:
    assert split_alt_names(field) == expected


def test_mojibake_alt_names_load_as_data(by_code: dict[str, CouncilRecord]) -> None:
    assert "Sir Ynys Mï¿½n" in by_code["AGY"].alt_names
    assert any(name.startswith("Cityï¾") for name in by_code["SWA"].alt_names)


def test_mojibake_does_not_break_matching(councils: NameMatcher) -> None:
    assert councils.resolve("Isle of Anglesey County Council").key == "AGY"
    assert councils.resolve("Sir Ynys Mï¿½n").key == "AGY"
    assert councils.resolve("City and County of Swansea").key == "SWA"


# --------------------------------------------------------------------------- resolving


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Wigan Borough Council", "WGN"),
        ("Wigan Council", "WGN"),
        ("Brighton & Hove Council", "BNH"),
        ("BRIGHTON AND HOVE CITY COUNCIL.", "BNH"),
        ("brighton-and-hove", "BNH"),
        ("Telford Council", "TFW"),
        ("London Borough of Camden", "CMD"),
        ("Camden Council", "CMD"),
        ("camden london boro", "CMD"),
        ("Durham County Council", "DUR"),
        ("Hull City Council", "KHL"),
        ("Royal Borough of Kingston upon Thames", "KTT"),
        ("City of London", "LND"),
        ("Aberdeen City Council", "ABE"),
        ("Aberdeenshire Council", "ABD"),
        ("City of Leeds Council", "LDS"),
        ("St Helens Metropolitan Borough Council", "SHN"),
    ],
)
def test_typed_council_names_resolve(councils: NameMatcher, typed: str, code: str) -> None:
    found = councils.resolve(typed)
    assert (found.status, found.key) == ("resolved", code)


def test_kingston_council_is_ambiguous_between_thames_and_hull(councils: NameMatcher) -> None:
    found = councils.resolve("Kingston Council")
    assert found.status == "ambiguous"
    assert found.key is None
    assert {c.key for c in found.candidates} == {"KTT", "KHL"}


def test_abolished_northamptonshire_county_council_still_resolves(councils: NameMatcher) -> None:
    found = councils.resolve("Northamptonshire County Council")
    assert (found.status, found.key) == ("resolved", "NTH")
    assert found.candidates[0].current is False


def test_nonsense_name_is_unknown(councils: NameMatcher) -> None:
    found = councils.resolve("Flibbertigibbet Wobble Council")
    assert (found.status, found.key, found.candidates) == ("unknown", None, ())


def test_bare_london_is_not_taken_for_the_city_of_london(councils: NameMatcher) -> None:
    found = councils.resolve("London")
    assert found.status == "unknown"
    assert "LND" in {c.key for c in found.candidates}


def test_unknown_misspelling_suggests_the_council(councils: NameMatcher) -> None:
    found = councils.resolve("Camdn Council")
    assert found.status == "unknown"
    assert found.candidates[0].key == "CMD"


# No current council's own official or short name is ambiguous: where an abolished
# body shares the short name (North Yorkshire, Somerset), the current one wins.
KNOWN_AMBIGUOUS: dict = {}


def test_every_current_council_resolves_from_its_own_names(
    records: tuple[CouncilRecord, ...], councils: NameMatcher
) -> None:
    wrong, ambiguous = [], {}
    for record in (r for r in records if r.current):
        for name in (record.official_name, record.short_name):
            found = councils.resolve(name or "")
            if found.status == "ambiguous":
                ambiguous[(record.code, name)] = {c.key for c in found.candidates}
            elif found.key != record.code:
                wrong.append((record.code, name, found.status, found.key))
    assert wrong == []
    assert ambiguous == KNOWN_AMBIGUOUS


def test_current_and_abolished_namesakes_resolve_by_their_full_names(councils: NameMatcher) -> None:
    assert councils.resolve("North Yorkshire Council").key == "NYE"
    assert councils.resolve("North Yorkshire County Council").key == "NYK"
    assert councils.resolve("Somerset Council").key == "SMT"
    assert councils.resolve("Somerset").key == "SMT"
    assert councils.resolve("Somerset County Council").key == "SOM"


# --------------------------------------------------------------------------- searching


def _codes(councils: NameMatcher, text: str) -> list[str]:
    return [c.key for c in councils.search(text)]


def test_search_aberden_finds_aberdeen_city_then_aberdeenshire(councils: NameMatcher) -> None:
    codes = _codes(councils, "aberden")
    assert codes[0] == "ABE"
    assert "ABD" in codes


def test_search_camdn_finds_camden_first(councils: NameMatcher) -> None:
    assert _codes(councils, "camdn")[0] == "CMD"


def test_search_hackney_finds_hackney_exactly(councils: NameMatcher) -> None:
    top = councils.search("hackney")[0]
    assert (top.key, top.score, top.name) == ("HCK", 1.0, "London Borough of Hackney")


def test_search_northampton_finds_the_town_and_the_shires(councils: NameMatcher) -> None:
    found = councils.search("northampton")
    codes = [c.key for c in found]
    assert codes[0] == "NOR"
    assert {"NNT", "WNT", "NTH"} <= set(codes)
    assert {c.key: c.current for c in found}["NTH"] is False


def test_search_kingston_offers_both_kingstons_equally(councils: NameMatcher) -> None:
    found = councils.search("kingston")
    assert {(c.key, c.score) for c in found[:2]} == {("KTT", 0.85), ("KHL", 0.85)}


def test_search_ties_put_current_councils_first(councils: NameMatcher) -> None:
    found = councils.search("somerset")
    assert [(c.key, c.current) for c in found[:2]] == [("SMT", True), ("SOM", False)]


def test_search_for_a_name_split_in_two_still_finds_the_county_and_its_successors(councils: NameMatcher) -> None:
    found = [c.key for c in councils.search("north amptonshire council")]
    assert found[0] == "NTH"
    assert {"NNT", "WNT"} <= set(found)
