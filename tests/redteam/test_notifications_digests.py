"""Red team (issue 11): a digest reader who changes their address loses their news.

Changing one's address leaves it unverified until the new link is clicked. The digest
sweep treated "not verified now" like "erased": it deleted every item waiting for the
person, so the news of the day they changed address was gone for good once they verified
the next morning. Items now wait for a verified address; only an erasure drops them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import council_email, council_member
from workers.notify.digests import send_due
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def waiting(runtime: Runtime, person_id: object) -> int:
    rows = runtime.db.query(
        "SELECT COUNT(*) AS n FROM digest_items WHERE person_id = :p AND digest_id IS NULL", {"p": str(person_id)}
    )
    return int(rows[0]["n"])


def digests_for(runtime: Runtime, person_id: object) -> int:
    rows = runtime.db.query("SELECT id FROM outbox WHERE kind = 'digest' AND person_id = :p", {"p": str(person_id)})
    return len(rows)


def test_items_wait_while_a_new_address_is_unverified_and_go_once_it_is(sqlite_runtime: Runtime) -> None:
    app = sqlite_runtime.app
    reader = council_member(app, "WGN", name="Reader")
    owner = council_member(app, "KTT", name="Owner")
    app.choose_notifications(reader.id, frequency="daily")
    project = app.propose_project(owner.id, "idea", {"title": "Gritting", "summary": "Grit roads"}).aggregate
    app.follow(project.id, reader.id, following=True)
    app.post_status_update(project.id, "Salt ordered.", owner.id)
    sqlite_runtime.catch_up()
    assert waiting(sqlite_runtime, reader.id) == 1

    app.update_profile(reader.id, {"email": council_email("WGN")}, actor=reader.id)  # unverified until clicked
    tomorrow = app.now() + timedelta(days=1, hours=1)
    assert send_due(sqlite_runtime, tomorrow) == 0  # nowhere to send it yet
    assert waiting(sqlite_runtime, reader.id) == 1, "the news was deleted while the address was unverified"

    app.verify_email(reader.id)
    assert send_due(sqlite_runtime, tomorrow + timedelta(days=1)) == 1
    assert digests_for(sqlite_runtime, reader.id) == 1 and waiting(sqlite_runtime, reader.id) == 0
