"""Membership is earned: a verified address on the organisation's domain, or an admin's
approval. Before that a person is pending and cannot act for the organisation."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from domain.application import OrganisationRef, PipelineApplication
from domain.errors import Conflict, NotAllowed, ValidationFailed
from domain.organisation import council_id
from tests.factories import PASSWORD, council_email, email
from tests.fakes import memory_application


@pytest.fixture
def app() -> PipelineApplication:
    return memory_application()


def person(app: PipelineApplication, code: str, address: str | None = None, *, verified: bool = True) -> Any:
    signed = app.sign_up(
        name=f"P {code}",
        email=address or council_email(code),
        job_title=None,
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate
    if verified:
        app.verify_email(signed.id)
    return app.get_person(signed.id)


def founder(app: PipelineApplication, supplier: str, *, verified: bool = True) -> Any:
    """Whoever signs up creating a new supplier: the written sign-up (person and organisation)."""
    written = app.sign_up(
        name="Founder",
        email=email(),
        job_title=None,
        password=PASSWORD,
        organisation=OrganisationRef(name=supplier, kind="supplier"),
    )
    if verified:
        app.verify_email(written.aggregate.id)
    return written


def project_of(app: PipelineApplication, owner: Any) -> Any:
    return app.propose_project(owner.id, "discovery", {"title": "Bulky waste", "summary": "Book it"}).aggregate


def test_moving_to_another_council_makes_a_pending_member_who_cannot_act_for_it(app: PipelineApplication) -> None:
    kingston = person(app, "KTT")
    project = project_of(app, kingston)
    leeds = person(app, "LDS")
    app.update_profile(leeds.id, {"organisation": OrganisationRef(code="KTT")}, actor=leeds.id)
    moved = app.get_person(leeds.id)
    assert (moved.organisation_id, moved.membership) == (council_id("KTT"), "pending")
    with pytest.raises(NotAllowed):
        app.edit_project(project.id, {"title": "Hijacked"}, actor=leeds.id)
    with pytest.raises(NotAllowed):
        app.archive_project(project.id, leeds.id, restore=False)
    app.update_profile(leeds.id, {"organisation": OrganisationRef(code="WGN")}, actor=leeds.id)
    with pytest.raises(NotAllowed):
        app.make_pledge(project.id, leeds.id, {"money": Decimal("10000000")})
    assert app.get_project(project.id).details["title"] == "Bulky waste" and not app.get_project(project.id).pledges


def test_a_verified_address_on_the_councils_domain_makes_a_member_and_the_first_an_admin(
    app: PipelineApplication,
) -> None:
    outsider = person(app, "WGN", email())  # verified first, but not on wigan.gov.uk
    first, second = person(app, "WGN"), person(app, "WGN")
    council = app.get_organisation(council_id("WGN"))
    assert council.admins == [first.id]
    assert (outsider.membership, first.membership, second.membership) == ("pending", "member", "member")


def test_a_pending_member_may_follow_and_need_but_not_propose_or_pledge(app: PipelineApplication) -> None:
    project = project_of(app, person(app, "KTT"))
    pending = person(app, "CMD", email())
    app.follow(project.id, pending.id, following=True)
    app.declare_need(project.id, pending.id, "We need this too")
    camden = person(app, "CMD")
    app.declare_need(project.id, camden.id, "Camden needs it for bulky waste")
    with pytest.raises(NotAllowed):  # nor overrule what a member said for the organisation
        app.declare_need(project.id, pending.id, None, withdraw=True)
    with pytest.raises(NotAllowed):
        app.propose_project(pending.id, "discovery", {"title": "Mine", "summary": "S"})
    with pytest.raises(NotAllowed):
        app.make_pledge(project.id, pending.id, {"days": Decimal("5")})


def test_an_admin_approves_a_pending_member_who_may_then_act(app: PipelineApplication) -> None:
    admin, pending = person(app, "BNH"), person(app, "BNH", email())
    with pytest.raises(NotAllowed):
        app.approve_member(council_id("BNH"), pending.id, actor=pending.id)  # not by themselves
    app.approve_member(council_id("BNH"), pending.id, actor=admin.id)
    assert app.get_person(pending.id).is_member
    project_of(app, pending)
    with pytest.raises(Conflict):
        app.approve_member(council_id("BNH"), pending.id, actor=admin.id)


def test_a_removed_member_stays_out_until_approved_again_even_on_the_domain(app: PipelineApplication) -> None:
    admin, member = person(app, "LDS"), person(app, "LDS")
    app.remove_member(council_id("LDS"), member.id, actor=admin.id)
    app.update_profile(member.id, {"organisation": OrganisationRef(code="LDS")}, actor=member.id)
    back = app.get_person(member.id)
    assert (back.organisation_id, back.membership) == (council_id("LDS"), "pending")
    with pytest.raises(NotAllowed):
        project_of(app, back)
    app.approve_member(council_id("LDS"), member.id, actor=admin.id)
    assert app.get_person(member.id).is_member and app.get_person(member.id).excluded_from == []


def test_a_declined_person_leaves_the_organisation(app: PipelineApplication) -> None:
    admin, pending = person(app, "MAN"), person(app, "MAN", email())
    app.decline_member(council_id("MAN"), pending.id, actor=admin.id, reason="Not one of ours")
    declined = app.get_person(pending.id)
    assert (declined.organisation_id, declined.membership) == (None, None)
    events = list(app.events.get(pending.id))
    assert type(events[-1]).__name__ == "MembershipDeclined" and events[-1].reason == "Not one of ours"


def test_without_a_domain_member_nobody_becomes_admin_until_an_operator_appoints(app: PipelineApplication) -> None:
    first = person(app, "NTH", "jo@northamptonshire.gov.uk")  # abolished: its domain was not seeded
    assert app.get_organisation(council_id("NTH")).admins == []
    assert first.membership == "pending"
    operator = person(app, "WGN")
    app.set_operator(app.personal.open(operator.id, operator.email) or "", True)
    app.approve_member(council_id("NTH"), first.id, actor=operator.id)
    app.appoint_admin(council_id("NTH"), first.id, actor=operator.id)
    assert app.get_organisation(council_id("NTH")).admins == [first.id]


def test_the_creator_of_a_new_organisation_is_its_member_and_admin(app: PipelineApplication) -> None:
    written = founder(app, "Civic Widgets Ltd", verified=False)
    assert written.organisation.admins == [written.aggregate.id]
    assert written.aggregate.membership == "member"


def test_no_organisation_may_take_a_councils_or_anothers_name(app: PipelineApplication) -> None:
    acme = founder(app, "Acme Ltd")
    supplier = acme.organisation.id
    for name in (
        "Royal Borough of Kingston upon Thames",
        "royal borough of KINGSTON upon thames",
        "Kingston upon Thames",
    ):
        with pytest.raises(Conflict):
            app.update_organisation(supplier, {"name": name}, actor=acme.aggregate.id)
    other = founder(app, "Beta Ltd")
    with pytest.raises(Conflict):
        app.update_organisation(other.organisation.id, {"name": "ACME LTD."}, actor=other.aggregate.id)
    assert app.get_organisation(supplier).name == "Acme Ltd"


def test_admins_manage_domains_one_organisation_per_domain(app: PipelineApplication) -> None:
    admin, member = person(app, "KTT"), person(app, "KTT")
    with pytest.raises(NotAllowed):
        app.add_domain(council_id("KTT"), "rbk.kingston.gov.uk", actor=member.id)
    app.add_domain(council_id("KTT"), " RBK.Kingston.gov.uk. ", actor=admin.id)  # a subdomain of their own
    assert "rbk.kingston.gov.uk" in app.get_organisation(council_id("KTT")).domains
    with pytest.raises(NotAllowed):  # no proof that they write from there
        app.add_domain(council_id("KTT"), "rbk.example.org", actor=admin.id)
    for shared in ("gmail.com", "gov.uk", "not a domain"):
        with pytest.raises(ValidationFailed):
            app.add_domain(council_id("KTT"), shared, actor=admin.id)
    wigan_admin = person(app, "WGN")
    app.set_operator(app.personal.open(wigan_admin.id, wigan_admin.email) or "", True)
    with pytest.raises(Conflict):
        app.add_domain(council_id("WGN"), "kingston.gov.uk", actor=wigan_admin.id)
    app.add_domain(council_id("KTT"), "rbk.example.org", actor=wigan_admin.id)  # an operator may
    app.remove_domain(council_id("KTT"), "rbk.example.org", actor=admin.id)
    app.add_domain(council_id("WGN"), "rbk.example.org", actor=wigan_admin.id)  # released: free to claim
    newcomer = person(app, "WGN", f"{uuid.uuid4().hex[:8]}@dept.rbk.example.org")  # a subdomain counts
    assert newcomer.membership == "member"


def test_invisible_characters_do_not_make_a_councils_name_new(app: PipelineApplication) -> None:
    gamma = founder(app, "Gamma Ltd")
    for disguised in ("Kings\u00adton upon Thames", "Kingston\u200b upon Thames"):  # soft hyphen, zero-width space
        with pytest.raises(Conflict):
            app.update_organisation(gamma.organisation.id, {"name": disguised}, actor=gamma.aggregate.id)


def test_a_seed_never_puts_back_a_domain_someone_took_off(app: PipelineApplication) -> None:
    admin = person(app, "LDS")
    app.remove_domain(council_id("LDS"), "leeds.gov.uk", actor=admin.id)
    again = app.load_register()
    assert again.domains_added == 0
    assert "leeds.gov.uk" not in app.get_organisation(council_id("LDS")).domains
