"""Red team (issue 11): interest words that can never match.

A new project's text is cut into significant words (``terms``: three letters or more,
starting with a letter, common council words left out) before it is matched against the
words people follow. ``PUT /api/v1/me/notifications`` took words that ``terms`` never
yields ("AI", "5G", "digital", "council"): 200, stored, and then silence for ever, however
many projects said them. Such a word is now refused, naming it and why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import council_member
from tests.integration.test_notification_preferences import URL, member
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


@pytest.mark.parametrize("word", ["AI", "5G", "digital", "Council", "²"])
def test_a_word_that_no_project_can_ever_match_is_refused_and_nothing_is_stored(client: Any, word: str) -> None:
    _, me = member(client)
    response = client.put(URL, json={"interests": {"words": ["potholes", word]}}, headers=me)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "interests" in response.json["errors"]
    assert word.casefold() in str(response.json["errors"]).casefold()
    assert client.get(URL, headers=me).json["interests"]["words"] == []


def test_a_word_that_is_kept_does_match_a_new_project(client: Any, sqlite_runtime: Runtime) -> None:
    reader_id, me = member(client)
    words = ["e-bikes", "don't", "Potholes"]
    assert client.put(URL, json={"interests": {"words": words}}, headers=me).status_code == 200
    proposer = council_member(sqlite_runtime.app, "KTT", name="Proposer")
    sqlite_runtime.app.propose_project(proposer.id, "idea", {"title": "E-bike loans", "summary": "Lend them"})
    sqlite_runtime.catch_up()
    rows = sqlite_runtime.db.query("SELECT person_id FROM outbox WHERE kind = 'matching-interest'")
    assert [r["person_id"] for r in rows] == [reader_id]


def test_a_word_kept_from_before_the_check_does_not_block_other_changes(client: Any, sqlite_runtime: Runtime) -> None:
    from uuid import UUID

    from domain.notifications import NotificationPreferences, preferences_id

    person_id, me = member(client)
    app = sqlite_runtime.app
    old = NotificationPreferences(
        id=preferences_id(UUID(person_id)),
        person_id=UUID(person_id),
        frequency="immediate",
        off=[],
        tags=[],
        words=["ai"],
    )
    app.save(old)  # chosen before such words were refused
    response = client.put(URL, json={"frequency": "daily", "kinds": {"pledge": False}}, headers=me)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["frequency"] == "daily" and response.json["interests"]["words"] == ["ai"]
    refused = client.put(URL, json={"interests": {"words": ["ai", "potholes"]}}, headers=me)
    assert refused.status_code == 422
