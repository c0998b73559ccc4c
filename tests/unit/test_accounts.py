"""Account commands on the in-memory store, with fake keys and a fast hasher."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain import clock
from domain.application import OrganisationRef, PipelineApplication
from domain.errors import DuplicateEmail, NotFound, RuleBroken, ValidationFailed
from domain.organisation import council_id
from domain.person import HELD_AFTER_CHANGE, Person
from tests.factories import PASSWORD, council_email
from tests.fakes import memory_application


@pytest.fixture
def app() -> PipelineApplication:
    return memory_application()


def sign_up(app: PipelineApplication, *, name: str = "Ann Example", email: str | None = None, code: str = "WGN") -> Any:
    """A person at a council, on the council's own domain unless ``email`` says otherwise."""
    return app.sign_up(
        name=name,
        email=email or council_email(code),
        job_title="Designer",
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate


def stored_text(app: PipelineApplication) -> str:
    notes = app.recorder.select_notifications(start=1, limit=100_000)
    return "\n".join(n.state.decode() for n in notes)


def test_personal_fields_are_stored_sealed_not_in_plain_text(app: PipelineApplication) -> None:
    sign_up(app, name="Zebedee Quartermaine", email="zebedee.q@example.gov.uk")
    text = stored_text(app)
    assert "Zebedee" not in text and "zebedee" not in text.casefold()
    assert PASSWORD not in text


def test_the_right_password_authenticates_and_a_wrong_one_does_not(app: PipelineApplication) -> None:
    person = sign_up(app, email="auth@example.gov.uk")
    assert app.authenticate(" AUTH@example.gov.uk", PASSWORD).id == person.id
    assert app.authenticate("auth@example.gov.uk", PASSWORD + "x") is None
    assert app.authenticate("nobody@example.gov.uk", PASSWORD) is None


def test_a_weak_password_is_refused_and_nothing_is_stored(app: PipelineApplication) -> None:
    before = app.recorder.max_notification_id()
    with pytest.raises(ValidationFailed):
        app.sign_up(
            name="Weak",
            email="weak@example.gov.uk",
            job_title=None,
            organisation=OrganisationRef(code="WGN"),
            password="password1234",
        )
    assert app.recorder.max_notification_id() == before


def test_the_first_verified_member_becomes_admin_and_the_second_does_not(app: PipelineApplication) -> None:
    first, second = sign_up(app, code="KTT"), sign_up(app, code="KTT")
    app.verify_email(second.id)
    app.verify_email(first.id)
    council = app.get_organisation(council_id("KTT"))
    assert council.admins == [second.id]
    events = list(app.events.get(council.id))
    assert events[-1].reason == "first verified member on kingston.gov.uk"
    assert app.get_person(first.id).is_member and app.get_person(second.id).is_member


def test_only_a_verified_member_can_be_appointed_admin(app: PipelineApplication) -> None:
    admin, member, outsider = sign_up(app, code="CMD"), sign_up(app, code="CMD"), sign_up(app, code="KTT")
    app.verify_email(admin.id)
    with pytest.raises(RuleBroken):
        app.appoint_admin(council_id("CMD"), member.id, actor=admin.id)  # not verified yet
    app.verify_email(outsider.id)
    with pytest.raises(RuleBroken):
        app.appoint_admin(council_id("CMD"), outsider.id, actor=admin.id)  # another council
    app.verify_email(member.id)
    app.appoint_admin(council_id("CMD"), member.id, actor=admin.id)
    assert app.get_organisation(council_id("CMD")).admins == [admin.id, member.id]


def test_changing_email_frees_the_old_address_and_needs_verifying_again(app: PipelineApplication) -> None:
    person = sign_up(app, email="old@example.gov.uk")
    app.verify_email(person.id)
    app.update_profile(person.id, {"email": "new@example.gov.uk"}, actor=person.id)
    changed = app.get_person(person.id)
    assert changed.email_verified is False
    assert app.email_owner("new@example.gov.uk") == person.id
    assert app.email_owner("old@example.gov.uk") is None
    with pytest.raises(DuplicateEmail):  # held for its account while the undo link works ...
        sign_up(app, email="old@example.gov.uk")
    with clock.set_to(clock.now() + HELD_AFTER_CHANGE):
        sign_up(app, email="old@example.gov.uk")  # ... then anyone's again
    with pytest.raises(DuplicateEmail):
        app.update_profile(person.id, {"email": "OLD@example.gov.uk"}, actor=person.id)


def test_every_command_event_records_who_acted(app: PipelineApplication) -> None:
    person = sign_up(app)
    app.update_profile(person.id, {"name": "Ann Other", "organisation": OrganisationRef(code="KTT")}, actor=person.id)
    events = list(app.events.get(person.id))
    assert [type(e).__name__ for e in events] == ["SignedUp", "ProfileChanged", "MovedOrganisation"]
    assert [e.actor for e in events[1:]] == [person.id, person.id]


def test_an_admin_removes_a_member_who_then_belongs_nowhere(app: PipelineApplication) -> None:
    admin, member = sign_up(app, code="BNH"), sign_up(app, code="BNH")
    app.verify_email(admin.id)
    app.remove_member(council_id("BNH"), member.id, actor=admin.id)
    assert app.get_person(member.id).organisation_id is None
    with pytest.raises(RuleBroken):
        app.remove_member(council_id("BNH"), admin.id, actor=admin.id)


def test_erasure_keeps_the_facts_and_loses_the_person(app: PipelineApplication) -> None:
    person = sign_up(app, name="Quintessa Vandersloot", email="quintessa@example.gov.uk", code="LDS")
    app.verify_email(person.id)
    app.erase(person.id, actor=person.id)
    erased = app.get_person(person.id)
    events = list(app.events.get(person.id))
    assert type(events[-1]).__name__ == "Erased"
    assert json.dumps(events[-1].__dict__, default=str).count("Quintessa") == 0
    assert (erased.erased, erased.organisation_id) == (True, council_id("LDS"))
    assert app.personal.open(person.id, events[0].name) is None  # the key is gone
    assert app.authenticate("quintessa@example.gov.uk", PASSWORD) is None
    assert app.get_organisation(council_id("LDS")).admins == []
    with pytest.raises(NotFound):
        app.active_person(person.id)
    again = sign_up(app, email="quintessa@example.gov.uk")  # the address is free again
    assert app.email_owner("quintessa@example.gov.uk") == again.id
    assert app.erase(person.id, actor=None).position is None  # erasing twice changes nothing


def test_operators_are_granted_and_revoked_by_email(app: PipelineApplication) -> None:
    person = sign_up(app, email="ops@example.gov.uk")
    app.set_operator("ops@example.gov.uk", True)
    assert app.get_person(person.id).is_operator
    assert app.set_operator("OPS@example.gov.uk", True).position is None
    app.set_operator("ops@example.gov.uk", False)
    assert not app.get_person(person.id).is_operator
    with pytest.raises(NotFound):
        app.set_operator("nobody@example.gov.uk", True)


def test_a_council_name_cannot_be_changed_but_a_supplier_name_can(app: PipelineApplication) -> None:
    supplier = app.sign_up(
        name="S",
        email="s@example.gov.uk",
        job_title=None,
        password=PASSWORD,
        organisation=OrganisationRef(name="Old Name Ltd", kind="supplier"),
    ).organisation
    app.update_organisation(supplier.id, {"name": "New Name Ltd", "website": "https://new.example"}, actor=None)
    assert app.get_organisation(supplier.id).name == "New Name Ltd"
    found, _ = app.resolve_organisation(OrganisationRef(name="new name ltd"), create=False)
    assert found.id == supplier.id
    with pytest.raises(RuleBroken):
        app.update_organisation(council_id("WGN"), {"name": "Wigan Republic"}, actor=None)


def test_person_events_never_hold_plain_personal_fields(app: PipelineApplication) -> None:
    person = sign_up(app, name="Plainname Nowhere")
    app.update_profile(person.id, {"name": "Othername Nowhere", "job_title": "Head of Secrets"}, actor=person.id)
    text = stored_text(app)
    assert "Plainname" not in text and "Othername" not in text and "Head of Secrets" not in text
    assert isinstance(app.get_person(person.id), Person)
