"""Races with an erasure: the person changing their profile at the same moment, and an
admin being removed as they erase themselves.

Invariants: nothing is recorded for a person after their erasure; an erased person is
nobody's admin; every command either lands before the erasure or is refused cleanly."""

from __future__ import annotations

from functools import partial

import pytest

from domain.organisation import council_id
from tests.faults.races import at_once, landed, log_order, name_of, officer, self_erasure
from tests.faults.test_races_membership import SEEDED
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6


def test_nothing_changes_a_profile_after_its_erasure(race_runtime: Runtime) -> None:
    app = race_runtime.app
    for _ in range(TRIES):
        person, _ = officer(race_runtime, "WGN")
        erased, changed = at_once(
            self_erasure(race_runtime, person.id),
            partial(app.update_profile, person.id, {"name": "A later name"}, actor=person.id),
        )
        assert landed(erased) or landed(changed), (erased, changed)  # (an erasure that lost answers 409: retry)
        names = [name_of(e) for e in log_order(race_runtime, person.id)]
        after = app.get_person(person.id)
        assert after.erased == landed(erased)
        if after.erased:
            assert names[-1] == "Erased" and after.name is None, names


def test_an_admin_removed_while_erasing_themselves_is_nobodys_admin_after(race_runtime: Runtime) -> None:
    app = race_runtime.app
    for attempt in range(TRIES):
        code = SEEDED[len(SEEDED) // 2 + attempt]
        boss, _ = officer(race_runtime, code, admin=True)
        deputy, _ = officer(race_runtime, code, admin=True)
        erased, removed = at_once(
            self_erasure(race_runtime, deputy.id),
            partial(app.remove_member, council_id(code), deputy.id, actor=boss.id),
        )
        assert landed(erased) or landed(removed), (erased, removed)
        org = app.get_organisation(council_id(code))
        assert org.admins == [boss.id], org.admins  # dropped by whichever came first, once
        assert app.get_person(deputy.id).erased == landed(erased)
