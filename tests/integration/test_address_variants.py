"""One mailbox, one account and one mail budget, however its address is spelt: letter case
and quoting name the same mailbox (so no second account), and a ``+tag`` reaches the same
inbox (so it spends the same per-recipient budget)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import PASSWORD
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "pg"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """Either mode (limits counted in memory, or in Redis as in production), with a budget of
    20 mails per recipient and no per-client limit to hide it."""
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    limits = {"sign_up_ip_limit": "1000/minute", "sign_in_ip_limit": "1000/minute", "mail_recipient_limit": "20/hour"}
    rt = build_runtime(dataclasses.replace(settings, **limits))
    yield rt
    rt.close()


def sign_up(client: Any, address: str) -> Any:
    body = {"name": "Vic Tim", "email": address, "organisation_code": "WGN", "password": PASSWORD}
    return client.post("/api/v1/people", json=body)


def verification_mails(rt: Runtime) -> int:
    rt.catch_up()  # the notifier writes the mail (inline already when embedded)
    return len(rt.db.query("SELECT id FROM outbox WHERE kind = 'verify-email'"))


def test_a_quoted_or_recased_spelling_of_a_taken_address_is_the_same_account(runtime: Runtime) -> None:
    client, tag = create_app(runtime=runtime).test_client(), uuid.uuid4().hex[:8]
    first = sign_up(client, f"victim.{tag}@example.gov.uk")
    assert first.status_code == 201

    for spelling in (
        f'"victim.{tag}"@example.gov.uk',
        f'"VICTIM.{tag}"@Example.GOV.uk',
        f" Victim.{tag}@EXAMPLE.gov.uk",
    ):
        again = sign_up(client, spelling)
        assert again.status_code == 409, (spelling, again.json)
        assert again.content_type == "application/problem+json"
    other = sign_up(client, f"other.{tag}@example.gov.uk")
    token = client.post("/api/v1/sessions", json={"email": f"other.{tag}@example.gov.uk", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {token.json['token']}"}
    moved = client.patch(
        "/api/v1/me", json={"email": f'"Victim.{tag}"@example.gov.uk', "current_password": PASSWORD}, headers=auth
    )
    assert moved.status_code == 409 and moved.content_type == "application/problem+json"

    runtime.catch_up()  # the people view (inline already when embedded)
    assert runtime.db.query("SELECT count(*) AS n FROM people")[0]["n"] == 2, other.json
    signed_in = client.post("/api/v1/sessions", json={"email": f'"victim.{tag}"@example.gov.uk', "password": PASSWORD})
    assert signed_in.status_code == 201 and signed_in.json["person_id"] == first.json["id"]


def test_plus_tags_quotes_and_case_spend_one_recipient_budget(runtime: Runtime) -> None:
    client, tag = create_app(runtime=runtime).test_client(), uuid.uuid4().hex[:8]
    spellings = [
        f'"victim.{tag}+{n}"@example.gov.uk'
        if n % 3 == 0
        else f"VICTIM.{tag}+{n}@example.gov.uk"
        if n % 3 == 1
        else f"victim.{tag}+{n}@Example.Gov.UK"
        for n in range(21)
    ]
    answers = [sign_up(client, spelling) for spelling in spellings]

    assert [a.status_code for a in answers] == [201] * 20 + [429]
    assert answers[-1].content_type == "application/problem+json"
    assert verification_mails(runtime) == 20  # the 21st was held back, and nothing of it stored
    assert runtime.db.query("SELECT count(*) AS n FROM people")[0]["n"] == 20
    assert sign_up(client, f"someone.else.{tag}@example.gov.uk").status_code == 201  # another inbox's budget
