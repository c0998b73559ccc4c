"""The sign-up command's rules, on the in-memory event store (no I/O)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.application import OrganisationRef, PipelineApplication
from domain.errors import DuplicateEmail, NotFound, OrganisationNotResolved, RuleBroken
from domain.organisation import Organisation, council_id
from domain.person import Person
from tests.fakes import memory_application


@pytest.fixture(scope="module")
def loaded() -> PipelineApplication:
    return memory_application()


def sign_up(app: PipelineApplication, email: str | None = None, **ref: str) -> Person:
    written = app.sign_up(
        name="Ann Example",
        email=email or f"{uuid4().hex}@example.gov.uk",
        job_title="Delivery manager",
        organisation=OrganisationRef(**ref),
        password="a long enough test passphrase",
    )
    return written.aggregate


def test_loading_the_register_twice_adds_nothing() -> None:
    app = memory_application(load_register=False)
    first = app.load_register()
    second = app.load_register()
    assert (first.added, first.amended) == (470, 0)
    assert (second.added, second.amended, second.position) == (0, 0, None)
    assert (first.domains_added, second.domains_added) == (609, 0)  # each with its claim: two events
    assert app.recorder.max_notification_id() == 470 + 2 * 609


def test_a_changed_register_row_is_recorded_as_an_amendment(loaded: PipelineApplication) -> None:
    from dataclasses import replace

    from domain.register import load_register

    wigan = next(r for r in load_register() if r.code == "WGN")
    result = loaded.load_register([replace(wigan, current=False, end_date="2030-04-01")])
    council = loaded.repository.get(council_id("WGN"))
    assert (result.added, result.amended) == (0, 1)
    assert council.register["current"] is False
    loaded.load_register([wigan])  # put it back for the other tests


def test_signing_up_by_loosely_typed_council_name_joins_that_council(loaded: PipelineApplication) -> None:
    person = sign_up(loaded, name="Brighton & Hove Council")
    council = loaded.repository.get(person.organisation_id)
    assert council.code == "BNH"
    assert person.organisation_kind == "council"


def test_signing_up_by_register_code_is_case_insensitive(loaded: PipelineApplication) -> None:
    assert sign_up(loaded, code="ktt").organisation_id == council_id("KTT")


def test_an_ambiguous_council_name_is_refused_with_candidates(loaded: PipelineApplication) -> None:
    before = loaded.recorder.max_notification_id()
    with pytest.raises(OrganisationNotResolved) as refused:
        sign_up(loaded, name="Kingston Council")
    assert {c["code"] for c in refused.value.extra["candidates"]} == {"KTT", "KHL"}
    assert loaded.recorder.max_notification_id() == before


def test_an_unknown_name_without_a_kind_is_refused(loaded: PipelineApplication) -> None:
    with pytest.raises(OrganisationNotResolved, match="organisation_kind"):
        sign_up(loaded, name="Civic Widgets Ltd")


def test_an_unknown_name_with_a_kind_creates_the_organisation_once(loaded: PipelineApplication) -> None:
    first = sign_up(loaded, name="Open Data Makers", kind="community")
    second = sign_up(loaded, name="  open data makers. ", kind="community")
    org = loaded.repository.get(first.organisation_id)
    assert second.organisation_id == first.organisation_id
    assert isinstance(org, Organisation)
    assert (org.kind, org.name) == ("community", "Open Data Makers")


def test_a_council_name_wins_over_a_claimed_kind(loaded: PipelineApplication) -> None:
    person = sign_up(loaded, name="Wigan Council", kind="supplier")
    assert person.organisation_id == council_id("WGN")


def test_an_unknown_register_code_is_refused(loaded: PipelineApplication) -> None:
    with pytest.raises(OrganisationNotResolved, match="ZZZ"):
        sign_up(loaded, code="ZZZ")


def test_an_unknown_organisation_id_is_not_found(loaded: PipelineApplication) -> None:
    with pytest.raises(NotFound):
        sign_up(loaded, id=uuid4())


def test_a_second_sign_up_with_the_same_email_in_other_case_is_refused(loaded: PipelineApplication) -> None:
    sign_up(loaded, email="Dup@Example.gov.uk", code="WGN")
    before = loaded.recorder.max_notification_id()
    with pytest.raises(DuplicateEmail):
        sign_up(loaded, email=" dup@example.GOV.UK ", code="KTT")
    assert loaded.recorder.max_notification_id() == before


def test_moving_keeps_where_the_person_was(loaded: PipelineApplication) -> None:
    person = sign_up(loaded, code="NTH")  # Northamptonshire: abolished, still resolvable
    loaded.move_person(person.id, OrganisationRef(code="WNT"))
    moved = loaded.get_person(person.id)
    events = list(loaded.events.get(person.id))
    assert moved.organisation_id == council_id("WNT")
    assert [type(e).__name__ for e in events] == ["SignedUp", "MovedOrganisation"]
    assert events[1].from_organisation_id == council_id("NTH")


def test_moving_to_the_same_organisation_is_refused(loaded: PipelineApplication) -> None:
    person = sign_up(loaded, code="WGN")
    with pytest.raises(RuleBroken):
        loaded.move_person(person.id, OrganisationRef(code="WGN"))


def test_signing_up_before_the_register_is_loaded_says_to_run_init() -> None:
    from domain.errors import RegisterNotLoaded

    app = memory_application(load_register=False)
    with pytest.raises(RegisterNotLoaded, match="pipeline init"):
        sign_up(app, code="WGN")


def test_a_name_created_by_a_rival_between_two_looks_is_joined_not_refused(
    loaded: PipelineApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rival sign-up creates "Harbour Makers" after this one found no organisation of
    that name but before it looked for look-alikes: the same name is the same organisation."""
    import domain.base as base

    real = base.looks_like
    rival: list[Person] = []

    def rival_first(app: PipelineApplication, name: str, organisation_id: object) -> object:
        if not rival:
            monkeypatch.setattr(base, "looks_like", real)
            rival.append(sign_up(app, name="Harbour Makers", kind="community"))
        return real(app, name, organisation_id)  # type: ignore[arg-type]

    monkeypatch.setattr(base, "looks_like", rival_first)
    person = sign_up(loaded, name="HARBOUR MAKERS.", kind="community")
    assert rival and person.organisation_id == rival[0].organisation_id
