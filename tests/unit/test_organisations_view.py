"""The organisations view: event in, rows out (no database server needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from projections.base import timestamp
from projections.organisations import OrganisationsProjection
from tests.unit.projection_helpers import View, council, organisation, person


@pytest.fixture
def view() -> Iterator[View]:
    view = View(OrganisationsProjection())
    yield view
    view.close()


def test_a_council_is_listed_with_its_register_entry_sorted_by_short_name(view: View) -> None:
    wigan = council("WGN", "Wigan Metropolitan Borough Council", alt_names=["Wigan MBC"], gss_code="E08000010")
    (registered,) = view.apply(wigan)
    row = view.row("organisations", id=str(wigan.id))
    assert (row["code"], row["name"], row["short_name"], row["kind"]) == (
        "WGN",
        "Wigan Metropolitan Borough Council",
        "Wigan",
        "council",
    )
    assert (row["sort_name"], row["gss_code"], row["nation"], row["current"]) == ("wigan", "E08000010", "England", 1)
    assert json.loads(row["alt_names"]) == ["Wigan MBC"]
    assert (row["member_count"], row["first_signup_at"]) == (0, None)
    assert row["registered_at"] == timestamp(registered.timestamp)


def test_an_organisation_made_at_sign_up_sorts_by_its_name_with_no_alternative_names(view: View) -> None:
    acme = organisation("Acme Ltd")
    view.apply(acme)
    row = view.row("organisations", id=str(acme.id))
    assert (row["code"], row["kind"], row["sort_name"], row["current"], json.loads(row["alt_names"])) == (
        None,
        "supplier",
        "acme ltd",
        1,
        [],
    )


def test_a_newer_register_entry_changes_only_what_changed(view: View) -> None:
    wigan = council("WGN", "Wigan Metropolitan Borough Council")
    view.apply(wigan)
    wigan.amend_register_entry({**wigan.register, "short_name": "Wigan Council", "current": False})
    view.apply(wigan)
    row = view.row("organisations", id=str(wigan.id))
    assert (row["short_name"], row["sort_name"], row["current"]) == ("Wigan Council", "wigan council", 0)
    assert row["name"] == "Wigan Metropolitan Borough Council"


def test_members_are_counted_as_they_sign_up_move_and_are_removed(view: View) -> None:
    wigan, acme = council(), organisation()
    view.apply(wigan, acme)
    ann, bob = person(wigan), person(wigan)
    first, second = view.apply(ann, bob)
    row = view.row("organisations", id=str(wigan.id))
    assert row["member_count"] == 2
    assert (row["first_signup_at"], row["latest_signup_at"]) == (
        timestamp(first.timestamp),
        timestamp(second.timestamp),
    )
    ann.move_to(acme.id, acme.kind, actor=ann.id)
    bob.remove_from_organisation(actor=None)
    view.apply(ann, bob)
    counts = {r["id"]: r["member_count"] for r in view.rows("organisations")}
    assert counts == {str(wigan.id): 0, str(acme.id): 1}


def test_an_admin_edit_changes_the_details_and_a_new_name_resorts(view: View) -> None:
    acme = organisation("Acme Ltd")
    view.apply(acme)
    acme.change_details({"name": "Zenith Ltd", "website": "https://zenith.example"}, actor=None)
    view.apply(acme)
    row = view.row("organisations", id=str(acme.id))
    assert (row["name"], row["sort_name"], row["website"], row["description"]) == (
        "Zenith Ltd",
        "zenith ltd",
        "https://zenith.example",
        None,
    )


def test_email_domains_are_listed_when_added_and_gone_when_removed(view: View) -> None:
    wigan = council()
    wigan.add_domain("wigan.gov.uk", actor=None, source="register")
    wigan.add_domain("wigan.example", actor=None, source="admin")
    view.apply(wigan)
    listed = view.rows("organisation_domains", order_by="domain", organisation_id=str(wigan.id))
    assert [(d["domain"], d["source"]) for d in listed] == [("wigan.example", "admin"), ("wigan.gov.uk", "register")]
    wigan.remove_domain("wigan.example", actor=None)
    view.apply(wigan)
    assert [d["domain"] for d in view.rows("organisation_domains")] == ["wigan.gov.uk"]
