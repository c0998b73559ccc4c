"""Reading the original Pipeline's values: times, phases, summaries, tags, migration
stamps, kinds of organisation and organisation names placed in the register."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.application import Application

from domain import legacy as L
from domain.legacy_orgs import ALIAS, AMBIGUOUS, EXACT_MATCH, FUZZY, NOT_FOUND, place, readings
from domain.names import normalise
from domain.person import Person
from domain.register import council_matcher, load_register


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-09-17 19:57:16.1584991", datetime(2014, 9, 17, 18, 57, 16, 158499, tzinfo=UTC)),  # BST
        ("2014-09-17 19:57:16.1584991Z", datetime(2014, 9, 17, 19, 57, 16, 158499, tzinfo=UTC)),
        ("2014-12-01 10:00:00", datetime(2014, 12, 1, 10, 0, tzinfo=UTC)),  # GMT in winter
        ("2014-10-22 14:43:52.200371", datetime(2014, 10, 22, 13, 43, 52, 200371, tzinfo=UTC)),
        ("2014-09-24 08:09:40", datetime(2014, 9, 24, 7, 9, 40, tzinfo=UTC)),
    ],
)
def test_times_without_a_zone_are_uk_local_and_z_is_utc(text: str, expected: datetime) -> None:
    assert L.parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2014-13-01", None])
def test_a_time_that_cannot_be_read_is_refused(text: str | None) -> None:
    with pytest.raises(ValueError):
        L.parse_time(text)


def test_statuses_map_to_phases_and_dates_to_days() -> None:
    assert [L.phase_of(s) for s in ("Concept", "Discovery", "Alpha", "Beta", "Live", "Retired")] == [
        "concept", "discovery", "alpha", "beta", "live", None,
    ]  # fmt: skip
    assert L.date_of("2014-09-17 00:00:00") == "2014-09-17" and L.date_of("") is None


def test_summary_is_the_first_sentence_after_the_heading() -> None:
    text = "##Pipeline\n\nA place to share. And *more* besides.\n\nLater."
    assert L.summary_of(text, "Pipeline") == "A place to share."
    assert L.summary_of("## Only a heading", "Title") == "Title"
    assert len(L.summary_of("word " * 200, "T")) <= L.SUMMARY_MAX


def test_language_is_one_more_tag_except_when_it_is_any() -> None:
    assert L.tags_of("collaboration, Homepage,,", "C#") == ["collaboration", "homepage", "c#"]
    assert L.tags_of("", "Non-dependant") == []


def test_a_createdon_shared_by_several_users_is_a_migration_stamp() -> None:
    created = ["2014-09-24 08:09:40"] * 3 + ["2014-10-24 08:09:40", "2014-10-25 09:00:00"] * 2
    assert L.migration_stamps(created) == {"2014-09-24 08:09:40"}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Acme Digital Ltd", "supplier"),
        ("Local Government Association", "association"),
        ("Department for Communities and Local Government", "central_government"),
        ("NHS Digital", "public_body"),
        ("LocalGov Digital", "community"),
    ],
)
def test_kind_of_an_organisation_from_its_name(name: str, kind: str) -> None:
    assert L.guess_kind(name)[0] == kind


def test_ids_derive_from_legacy_ids() -> None:
    assert L.user_id("ABC") == L.user_id("abc") != L.user_id("abd")
    assert L.page_id(3) != L.org_id(3) and L.join_id("user5", 3) == L.join_id("user5", 3)


def test_readings_spell_out_abbreviations_and_brackets() -> None:
    assert "Hertfordshire County Council" in readings("Hertfordshire CC")
    assert "Hertfordshire City Council" in readings("Hertfordshire CC")
    assert {"Derry", "City of Londonderry"} <= set(readings("Derry (City of Londonderry)"))


@pytest.fixture(scope="module")
def register() -> tuple:
    records = load_register()
    return council_matcher(records), {r.code: normalise(r.official_name) for r in records}


@pytest.mark.parametrize(
    ("name", "how", "code"),
    [
        ("Kirklees Council", EXACT_MATCH, "KIR"),
        ("Northampton Borough Council", EXACT_MATCH, "NOR"),  # abolished, still in the register
        ("Hertfordshire CC", ALIAS, "HRT"),
        ("Derry (City of Londonderry)", ALIAS, "NIR-A"),
        ("Kirkless Council", FUZZY, "KIR"),
        ("Kingston", AMBIGUOUS, None),  # upon Thames or upon Hull: never merged
        ("Acme Digital Ltd", NOT_FOUND, None),
    ],
)
def test_names_are_placed_in_the_register_only_when_clear(register: tuple, name: str, how: str, code: str) -> None:
    placement = place(name, *register)
    assert (placement.how, placement.code) == (how, code)
    if how == FUZZY:
        assert placement.score is not None and "score" in placement.describe()


def test_a_sign_up_stored_before_imported_existed_still_loads() -> None:
    app = Application[object]()
    person = Person(
        id=uuid4(), name="n", email="e", job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    stored = app.mapper.to_stored_event(person.collect_events()[0])
    state = json.loads(stored.state)
    del state["imported"]  # as written before the field existed
    old = type(stored)(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())
    event = app.mapper.to_domain_event(old)
    loaded = event.mutate(None)
    assert loaded is not None and loaded.imported is None and getattr(event, "imported", None) is None


def test_an_explicit_offset_is_read_with_it() -> None:
    assert L.parse_time("2014-09-24T08:09:40+01:00") == datetime(2014, 9, 24, 7, 9, 40, tzinfo=UTC)
    assert L.parse_time("2014-12-01 10:00:00-05:30") == datetime(2014, 12, 1, 15, 30, tzinfo=UTC)
    assert L.has_offset("2014-09-24T08:09:40+01:00") and not L.has_offset("2014-09-24 08:09:40Z")


@pytest.mark.parametrize(
    "text",
    ["24/09/2014 08:09:40", "1411542580", "2014-09-24 08:09:40+25:00", "0001-01-01 00:00:00+14:00", "2014-02-30 10:00"],
)
def test_other_forms_and_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        L.parse_time(text)


@pytest.mark.parametrize("text", ["soon", "2015-02-30 00:00:00", "2014-09-17 25:00:00", "2014-09-17garbage"])
def test_a_project_date_must_be_a_real_day(text: str) -> None:
    with pytest.raises(ValueError):
        L.date_of(text)


@pytest.mark.parametrize(
    "text", ["2014-10-09 16:46:51", "2014-10-09 16:46:51.1234567", "2014-10-09T16:46:51.1234567Z", "2014-10-09 23:59"]
)
def test_a_project_date_with_a_time_of_day_is_that_day(text: str) -> None:
    assert L.date_of(text) == "2014-10-09"  # what the original's date picker left: the day is what it meant


@pytest.mark.parametrize(
    "name",
    [
        "Local Government Association", "LGA", "Society of IT Management", "Socitm",
        "Association of North East Councils", "District Councils' Network", "London Councils",
        "Convention of Scottish Local Authorities", "SOLACE",
    ],
)  # fmt: skip
def test_a_body_of_councils_or_their_officers_is_an_association_not_community(name: str) -> None:
    assert L.guess_kind(name)[0] == "association"
    assert L.association_of_councils(name)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Acme Digital Ltd", "supplier"), ("LocalGov Digital", "community"),
        ("Department for Communities and Local Government", "central_government"),
    ],
)  # fmt: skip
def test_other_organisations_keep_their_kinds(name: str, kind: str) -> None:
    assert L.guess_kind(name)[0] == kind


def test_orgid_zero_or_null_is_no_organisation() -> None:
    assert L.no_organisation(0) and L.no_organisation(None) and not L.no_organisation(12)
