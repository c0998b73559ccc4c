"""What the race suite (``tests/faults/test_races_*``) shares: start calls at the same
moment, the API in-process for threads, and the bodies the tests send.

A race test runs a pair of conflicting commands many times, each time released together
by a barrier, and checks the invariant after every try: any one losing interleaving fails
the test. Nothing is timed; the tries only make a losing interleaving likely to happen."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.application import OrganisationRef
from domain.errors import DomainError
from domain.person import Person
from tests.factories import PASSWORD, council_email
from web.api.accounts import ProfileSchema
from web.app import create_app
from workers.runtime.bootstrap import Runtime


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def at_once(*calls: Callable[[], Any], timeout: float = 120) -> list[Any]:
    """Run ``calls`` in threads released together by a barrier; each one's result, or the
    exception it raised (never swallowed: the caller checks every outcome)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # the caller asserts which errors are an acceptable loss
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing call never returned"
    return results


def landed(outcome: object) -> bool:
    """True if a racing call (an ``at_once`` result) succeeded; a refusal must be clean: a
    domain error, or a version conflict (answered 409), never anything else."""
    if isinstance(outcome, Exception):
        assert isinstance(outcome, DomainError | IntegrityError), repr(outcome)
        return False
    return True


def self_erasure(runtime: Runtime, person_id: uuid.UUID) -> Callable[[], Any]:
    """The person erasing their own account: one side of the races with an erasure."""
    return partial(runtime.app.erase, person_id, actor=person_id)


class Api:
    """The API of one runtime, in-process: each call gets its own test client, so calls
    from several threads are served at once as a threaded server would."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.flask = create_app(runtime=runtime)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.flask.test_client().open(path, method=method, json=body, headers=headers)
        if response.status_code >= 400:
            assert response.content_type == "application/problem+json", (path, response.status_code)
        return Answer(response.status_code, response.get_json(silent=True))


def email_change_body(email: str, password: str = PASSWORD) -> dict[str, Any]:
    """``PATCH /api/v1/me`` changing the address: with the current password wherever the
    profile schema takes one (issue 20 asks that an email change require it)."""
    body: dict[str, Any] = {"email": email}
    if "current_password" in ProfileSchema().fields:
        body["current_password"] = password
    return body


def outsider(runtime: Runtime, code: str) -> Person:
    """Someone who signed up under council ``code`` with an address on none of its domains:
    a pending member, not verified."""
    person: Person = runtime.app.sign_up(
        name="Outsider",
        email=f"{uuid.uuid4().hex[:12]}@example.org",
        job_title=None,
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate
    return person


def officer(runtime: Runtime, code: str, *, admin: bool = False) -> tuple[Person, str]:
    """A verified member of council ``code`` (its admin if ``admin``) and a session token."""
    app = runtime.app
    person: Person = app.sign_up(
        name=f"Officer of {code}",
        email=council_email(code),
        job_title=None,
        organisation=OrganisationRef(code=code),
        password=PASSWORD,
    ).aggregate
    app.verify_email(person.id)
    org = app.get_organisation(person.organisation_id)  # type: ignore[arg-type]
    if admin and not org.is_admin(person.id):
        org.appoint_admin(person.id, actor=None, reason="appointed by an operator")
        app.save(org)
    token, _ = runtime.sessions.start(person.id)
    return app.get_person(person.id), token


def pending(runtime: Runtime, code: str) -> Person:
    """A verified person who asked to join council ``code`` and waits for an admin."""
    person = outsider(runtime, code)
    runtime.app.verify_email(person.id)
    return runtime.app.get_person(person.id)


def event_names(runtime: Runtime, aggregate_id: uuid.UUID) -> list[str]:
    return [type(event).__qualname__.rpartition(".")[2] for event in runtime.app.events.get(aggregate_id)]


def log_order(runtime: Runtime, *ids: uuid.UUID, back: int = 500) -> list[Any]:
    """The events of aggregates ``ids`` among the last ``back`` of the log, in log order."""
    chosen = set(ids)
    head = runtime.app.recorder.max_notification_id() or 0
    found = runtime.app.recorder.select_notifications(start=max(head - back, 1), limit=back + 1)
    return [runtime.app.mapper.to_domain_event(n) for n in found if n.originator_id in chosen]


def name_of(event: Any) -> str:
    return type(event).__qualname__.rpartition(".")[2]
