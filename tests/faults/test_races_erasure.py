"""Races with an erasure: the person changing their profile at the same moment, and an
admin being removed as they erase themselves.

Invariants: nothing is recorded for a person after their erasure; an erased person is
nobody's admin; every command either lands before the erasure or is refused cleanly."""

from __future__ import annotations

from functools import partial

import pytest
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError
from domain.organisation import council_id
from tests.faults.races import at_once, log_order, name_of, officer
from tests.faults.test_races_membership import SEEDED
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6


def _clean(outcome: object) -> bool:
    """True if it succeeded; a refusal must be a domain error or a version conflict (409)."""
    if isinstance(outcome, Exception):
        assert isinstance(outcome, DomainError | IntegrityError), repr(outcome)
        return False
    return True


def test_nothing_changes_a_profile_after_its_erasure(race_runtime: Runtime) -> None:
    app = race_runtime.app
    for _ in range(TRIES):
        person, _ = officer(race_runtime, "WGN")
        erased, changed = at_once(
            partial(app.erase, person.id, actor=person.id),
            partial(app.update_profile, person.id, {"name": "A later name"}, actor=person.id),
        )
        assert _clean(erased) or _clean(changed), (erased, changed)  # (an erasure that lost answers 409: retry)
        names = [name_of(e) for e in log_order(race_runtime, person.id)]
        after = app.get_person(person.id)
        assert after.erased == _clean(erased)
        if after.erased:
            assert names[-1] == "Erased" and after.name is None, names


def test_an_admin_removed_while_erasing_themselves_is_nobodys_admin_after(race_runtime: Runtime) -> None:
    app = race_runtime.app
    for attempt in range(TRIES):
        code = SEEDED[len(SEEDED) // 2 + attempt]
        boss, _ = officer(race_runtime, code, admin=True)
        deputy, _ = officer(race_runtime, code, admin=True)
        erased, removed = at_once(
            partial(app.erase, deputy.id, actor=deputy.id),
            partial(app.remove_member, council_id(code), deputy.id, actor=boss.id),
        )
        assert _clean(erased) or _clean(removed), (erased, removed)
        org = app.get_organisation(council_id(code))
        assert org.admins == [boss.id], org.admins  # dropped by whichever came first, once
        assert app.get_person(deputy.id).erased == _clean(erased)
