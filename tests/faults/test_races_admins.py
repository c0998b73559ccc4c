"""Races on an organisation's last admins: the two admins of an organisation stepping down at
the same moment, or taking the role from each other at the same moment.

Invariant: the organisation ends every try with exactly one admin, and the loser is told why
(422: it would leave none), never a 500. Each command decides on the organisation's version it
saves (``Organisation.remove_admin``), so the second save meets the first at the store."""

from __future__ import annotations

from functools import partial

import pytest

from domain.organisation import council_id
from tests.faults.races import Api, at_once, officer
from tests.faults.test_races_membership import SEEDED, _answered
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6


def _admins(code: str, person_id: object) -> str:
    return f"/api/v1/organisations/{code}/admins/{person_id}"


@pytest.mark.parametrize("crosswise", [False, True], ids=["both-step-down", "each-removes-the-other"])
def test_the_last_two_admins_removed_at_once_leave_exactly_one(race_runtime: Runtime, crosswise: bool) -> None:
    api, app = Api(race_runtime), race_runtime.app
    for attempt in range(TRIES):
        code = SEEDED[attempt + (TRIES if crosswise else 0)]
        one, one_token = officer(race_runtime, code, admin=True)
        two, two_token = officer(race_runtime, code, admin=True)
        org_id = council_id(code)
        assert set(app.get_organisation(org_id).admins) == {one.id, two.id}
        first_target, second_target = (two.id, one.id) if crosswise else (one.id, two.id)
        first, second = at_once(
            partial(api.call, "DELETE", _admins(code, first_target), token=one_token),
            partial(api.call, "DELETE", _admins(code, second_target), token=two_token),
        )
        won = _answered([first, second], allowed_losses=(403, 409, 422))
        assert len(won) == 1, (first, second)
        assert len(app.get_organisation(org_id).admins) == 1, (first, second)
