"""The most important races again between processes: two production servers (gunicorn,
PostgreSQL) on one database, each command of a pair sent to a different one over HTTP,
released together. Nothing in one process can serialise them (no shared lock, no shared
cache): only the event store decides."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from domain.organisation import council_id
from tests import support
from tests.factories import council_email
from tests.faults.conftest import Stack
from tests.faults.races import at_once, email_change_body, log_order, name_of, officer, outsider, pending
from tests.faults.test_races_membership import SEEDED

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 8


@pytest.fixture
def two_servers(make_stack: Callable[..., Stack]) -> tuple[Stack, str, str]:
    stack = make_stack()
    first = stack.exits.enter_context(support.server(stack.env, stack.workdir / "server-a.log"))
    second = stack.exits.enter_context(support.server(stack.env, stack.workdir / "server-b.log"))
    return stack, first, second


def _call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, answer = support.request(method, base + path, body, headers=headers, timeout=120)
    return status, answer


def test_between_servers_a_verification_link_never_verifies_an_address_changed_meanwhile(
    two_servers: tuple[Stack, str, str],
) -> None:
    stack, first, second = two_servers
    runtime, app = stack.runtime, stack.runtime.app
    for attempt in range(TRIES):
        person = outsider(runtime, "WGN")
        mine = app.reveal(person)["email"]
        link = runtime.tokens.issue("verify-email", person.id, mine)
        session, _ = runtime.sessions.start(person.id)
        verified, changed = at_once(
            partial(_call, first, "POST", "/api/v1/email-verifications", {"token": link}),
            partial(_call, second, "PATCH", "/api/v1/me", email_change_body(council_email("WGN")), session),
        )
        assert verified[0] in (200, 409, 422) and changed[0] in (200, 409), (verified, changed)
        after = app.get_person(person.id)
        assert not after.is_member, f"try {attempt + 1}: a member of Wigan by an address never verified"
        assert not (after.email_verified and app.reveal(after)["email"] != mine), f"try {attempt + 1}"


def test_between_servers_an_admin_removed_while_approving_admits_nobody_after(
    two_servers: tuple[Stack, str, str],
) -> None:
    stack, first, second = two_servers
    runtime = stack.runtime
    for attempt in range(TRIES):
        code = SEEDED[attempt]
        (_, boss), (deputy, deputy_token) = officer(runtime, code, admin=True), officer(runtime, code, admin=True)
        person = pending(runtime, code)
        base = f"/api/v1/organisations/{code}"
        approved, removed = at_once(
            partial(_call, first, "POST", f"{base}/pending-members/{person.id}/approve", token=deputy_token),
            partial(_call, second, "DELETE", f"{base}/members/{deputy.id}", token=boss),
        )
        assert removed[0] == 200 and approved[0] in (200, 403, 409), (approved, removed)
        if approved[0] == 200:
            order = [name_of(e) for e in log_order(runtime, person.id, council_id(code))]
            assert order.index("MembershipApproved") < order.index("AdminDropped"), f"try {attempt + 1}: {order}"
    assert "Traceback" not in stack.logs()
