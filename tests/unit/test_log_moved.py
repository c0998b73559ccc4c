"""After every save the application itself tells the log's followers, whoever called the
command; a follower that cannot be told never fails the committed write."""

from __future__ import annotations

from typing import Any

import pytest

from domain.application import OrganisationRef
from tests.factories import PASSWORD, email
from tests.fakes import memory_application


def sign_up(app: Any) -> Any:
    return app.sign_up(
        name="Ann", email=email(), job_title=None, organisation=OrganisationRef(code="WGN"), password=PASSWORD
    )


def test_every_save_reports_its_recordings_once() -> None:
    app = memory_application()
    heard: list[list[Any]] = []
    app.log_moved = heard.append
    written = sign_up(app)
    (recordings,) = heard
    topics = {r.notification.topic for r in recordings}
    assert topics == {"domain.person:Person.SignedUp", "domain.person:PersonEmail.Claimed"}
    assert max(r.notification.id for r in recordings) == written.position
    app.verify_email(written.aggregate.id)
    assert len(heard) == 2


def test_a_failing_listener_is_logged_and_the_write_stands(caplog: pytest.LogCaptureFixture) -> None:
    app = memory_application()

    def broken(recordings: list[Any]) -> None:
        raise ConnectionError("the queue is away")

    app.log_moved = broken
    written = sign_up(app)
    assert app.get_person(written.aggregate.id).id == written.aggregate.id
    assert "could not tell the log's followers" in caplog.text
