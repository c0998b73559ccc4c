"""Stores written before addresses had one canonical form: `pipeline init` moves each stored
non-canonical address (a "quoted" local part) to its mailbox's index id, so the account is
still found by any spelling and its mailbox stays taken."""

from __future__ import annotations

import logging
import uuid

import pytest

from domain.application import OrganisationRef
from domain.person import Person, PersonEmail
from tests.factories import PASSWORD
from tests.integration.test_address_variants import sign_up
from web.app import create_app
from workers.adapters.keys import legacy_email_index_id
from workers.runtime.bootstrap import Runtime, initialise

pytestmark = pytest.mark.integration

WIGAN = OrganisationRef(code="WGN")


def test_init_moves_an_existing_quoted_address_to_its_mailbox_and_reports_a_clash(
    any_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """A store written before addresses were canonical holds a "quoted" address under the
    index id of its old key: `pipeline init` moves it to the mailbox's id, so the account is
    still found (and its mailbox taken); where another account already holds that mailbox,
    that one keeps it and the operator is told which person to look at."""
    runtime = any_runtime
    app, tag = runtime.app, uuid.uuid4().hex[:8]
    old, clash = f'"kept.{tag}"@example.gov.uk', f'"Taken.{tag}"@example.gov.uk'
    written = [old_style_sign_up(runtime, address) for address in (old, clash)]
    holder = app.sign_up(
        name="Holder", email=f"taken.{tag}@example.gov.uk", job_title=None, organisation=WIGAN, password=PASSWORD
    ).aggregate.id
    assert app.email_owner(old) is None  # unfindable under the canonical key until migrated

    with caplog.at_level(logging.WARNING):
        initialise(runtime.settings)
        initialise(runtime.settings)  # safe to repeat

    assert app.email_owner(old) == app.email_owner(f"kept.{tag}@example.gov.uk") == written[0]
    assert app.email_owner(clash) == holder
    assert str(written[1]) in caplog.text and f"taken.{tag}" not in caplog.text.casefold()
    client = create_app(runtime=runtime).test_client()
    assert sign_up(client, f"KEPT.{tag}@example.gov.uk").status_code == 409
    assert client.post("/api/v1/sessions", json={"email": old, "password": PASSWORD}).status_code == 201


def old_style_sign_up(rt: Runtime, address: str) -> uuid.UUID:
    """A person signed up as an earlier version did: the index id keyed on the address with
    only case and spaces folded."""
    app, person_id = rt.app, uuid.uuid4()
    app.personal.new_key(person_id)
    seal = lambda value: app.personal.seal(person_id, value)  # noqa: E731
    org = app.resolve_organisation(WIGAN, create=False)[0]
    person = Person(
        id=person_id,
        name=seal("Old Style"),
        email=seal(address),
        job_title=None,
        organisation_id=org.id,
        organisation_kind=org.kind,
        password_hash=seal(app.passwords.hash(PASSWORD)),
    )
    index = PersonEmail(id=legacy_email_index_id(rt.keys._email_index_key(), address), person_id=person_id)
    app.save(person, index)
    return person_id
