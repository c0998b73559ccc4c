"""Race: redeeming a verification link while changing the address it was sent to.

Invariant: nobody ever becomes a member (or admin) of an organisation by an address they
never verified, and an address is marked verified only by a link mailed to it."""

from __future__ import annotations

from functools import partial

import pytest

from domain.organisation import council_id
from tests.factories import council_email
from tests.faults.races import Answer, Api, at_once, email_change_body, outsider
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 30  # on the code before issue 20's fix the attack won about 1 try in 4


def _try_to_verify_someone_elses_address(runtime: Runtime, api: Api, code: str) -> str | None:
    """One attack; a description of what it won, or None."""
    app = runtime.app
    person = outsider(runtime, code)
    mine = app.reveal(person)["email"]
    link = runtime.tokens.issue("verify-email", person.id, mine)  # the link mailed to the address they own
    session, _ = runtime.sessions.start(person.id)
    stolen = council_email(code)

    verified, changed = at_once(
        partial(api.call, "POST", "/api/v1/email-verifications", {"token": link}),
        partial(api.call, "PATCH", "/api/v1/me", email_change_body(stolen), token=session),
    )
    assert isinstance(verified, Answer) and verified.status in (200, 409, 422), verified
    assert isinstance(changed, Answer) and changed.status in (200, 409), changed

    after = app.get_person(person.id)
    address = app.reveal(after)["email"]
    if after.is_member:
        return f"became a member of {code} with {address} (verification {verified.status}, change {changed.status})"
    if app.get_organisation(council_id(code)).is_admin(person.id):
        return f"became an admin of {code}"
    if after.email_verified and address != mine:
        return f"{address} marked verified by a link mailed to {mine}"
    return None


def test_a_verification_link_never_verifies_an_address_changed_at_the_same_moment(race_runtime: Runtime) -> None:
    api = Api(race_runtime)
    for attempt in range(TRIES):
        won = _try_to_verify_someone_elses_address(race_runtime, api, "WGN")
        assert won is None, f"try {attempt + 1}: {won}"
