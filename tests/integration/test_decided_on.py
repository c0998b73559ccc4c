"""A command decides on the versions it saves against (issue 20): what its rules read
without changing (the actor, the organisation whose admins may approve) must not have
moved by the time it saves, on either store. The race suite (``tests/faults/test_races_*``)
finds the same at full speed; these take one losing interleaving step by step."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import OrganisationRef
from domain.errors import NotAllowed
from domain.organisation import council_id
from domain.person import Person
from tests.factories import PASSWORD, council_email
from tests.faults.races import officer, pending
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def test_a_save_whose_decision_read_something_that_moved_is_refused_and_stores_nothing(any_runtime: Runtime) -> None:
    app = any_runtime.app
    admin, _ = officer(any_runtime, "WGN", admin=True)
    person = pending(any_runtime, "WGN")
    read = app.get_organisation(council_id("WGN"))  # what the decision is about to rest on
    app.update_organisation(read.id, {"description": "Moved on"}, actor=admin.id)  # ... moves before the save
    person.admit(actor=admin.id, reason="approved")
    head = app.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        app.save(person, decided_on=[read])
    assert app.recorder.max_notification_id() == head
    assert not app.get_person(person.id).is_member
    app.approve_member(read.id, person.id, actor=admin.id)  # decided again on what is there now, it holds
    assert app.get_person(person.id).is_member


def test_a_pledge_decided_on_the_requests_copy_of_someone_removed_meanwhile_is_refused(
    any_runtime: Runtime,
) -> None:
    app = any_runtime.app
    owner, _ = officer(any_runtime, "WGN")
    admin, _ = officer(any_runtime, "KTT", admin=True)
    backer, _ = officer(any_runtime, "KTT")
    project = app.propose_project(owner.id, "beta", {"title": "Stale", "summary": "s"}).aggregate
    acting = app.acting_as(app.get_person(backer.id))  # the web's access check, at the request's start
    try:
        app.remove_member(council_id("KTT"), backer.id, actor=admin.id)  # another request, meanwhile
        with pytest.raises(NotAllowed):
            app.pledge_for_organisation(project.id, backer.id, {"money": "5", "days": "0", "contributions": []})
    finally:
        app.done_acting(acting)
    assert app.get_project(project.id).pledges == {}


def test_an_approval_by_an_admin_removed_after_their_rights_were_read_is_refused(any_runtime: Runtime) -> None:
    app = any_runtime.app
    _, _ = officer(any_runtime, "KTT", admin=True)
    deputy, _ = officer(any_runtime, "KTT", admin=True)
    person = pending(any_runtime, "KTT")
    org = app.get_organisation(council_id("KTT"))
    deciders = app.require_admin(org, deputy.id)  # the approval's check ...
    meanwhile = app.get_organisation(org.id)
    meanwhile.drop_admin(deputy.id, actor=None, reason="removed")  # ... then the deputy loses the role
    app.save(meanwhile)
    person.admit(actor=deputy.id, reason="approved")
    with pytest.raises(IntegrityError):
        app.save(person, decided_on=deciders)
    assert not app.get_person(person.id).is_member


def test_a_verification_admits_nobody_by_a_domain_removed_before_it_saved(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = any_runtime.app
    admin, _ = officer(any_runtime, "WGN", admin=True)
    address = council_email("WGN")
    person = app.sign_up(
        name="Joiner", email=address, job_title=None, organisation=OrganisationRef(code="WGN"), password=PASSWORD
    ).aggregate
    domain = address.rpartition("@")[2]
    admit, removed = app.admit_by_domain, []

    def admit_then_lose_the_domain(who: Person) -> list[Any]:
        decided = admit(who)  # admitted by the domain as read ...
        if not removed:  # ... which an admin removes before the verification saves
            removed.append(app.remove_domain(council_id("WGN"), domain, actor=admin.id))
        return decided

    monkeypatch.setattr(app, "admit_by_domain", admit_then_lose_the_domain)
    app.verify_email(person.id)
    after = app.get_person(person.id)
    assert removed and after.email_verified
    assert not after.is_member  # decided again on the organisation as saved: no domain, no membership
