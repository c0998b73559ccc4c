"""What the API says when it refuses (GOV.UK's words from one table, never marshmallow's),
and the rule that an organisation backs others' projects, not its own: on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from projections import runner
from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
MARSHMALLOW = ("Missing data for required field", "Not a valid", "Field may not be null", "Unknown field", "ISO")


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def join(client: Any, code: str) -> dict[str, str]:
    address = council_email(code)
    person = client.post(
        "/api/v1/people",
        json={"name": f"Pat {code}", "email": address, "organisation_code": code, "password": PASSWORD},
    )
    assert person.status_code == 201, person.json
    client.application.extensions["pipeline"].app.verify_email(uuid.UUID(person.json["id"]))
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def said(response: Any) -> list[str]:
    """Every message in a problem's ``errors``, flattened."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            found.append(str(value))

    walk(response.json.get("errors"))
    return found


def test_a_proposal_without_a_title_is_told_to_enter_one_in_govuk_words(client: Any) -> None:
    headers = join(client, "KTT")
    refused = client.post(
        "/api/v1/projects",
        json={"summary": "Bins", "phase_start": "2027-02-30", "tags": [1], "links": {"blog": "nope"}, "extra": 1},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    errors = refused.json["errors"]
    assert errors["title"] == ["Enter a title"]
    assert errors["phase_start"] == ["The phase start date must be a real date, like 2027-03-31"]
    assert errors["links"]["blog"] == ["Enter the blog link as a full web address, like https://www.example.gov.uk"]
    assert errors["extra"] == ["Remove this field: it is not one this request takes"]
    assert not [text for text in said(refused) if any(word in text for word in MARSHMALLOW)], said(refused)


def test_money_that_is_not_a_number_is_explained_with_an_example(client: Any) -> None:
    owner, other = join(client, "KTT"), join(client, "LDS")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=owner).json["id"]
    refused = client.put(
        f"/api/v1/projects/{project}/pledges/mine", json={"money": "lots", "days": "-1"}, headers=other
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["money"] == ["The money must be a number, like 2500 or 2500.50"]
    assert refused.json["errors"]["days"] == ["The staff time must be a number, like 2500 or 2500.50"]
    goal = client.put(f"/api/v1/projects/{project}/goal", json={"min_partners": "three"}, headers=owner)
    assert goal.json["errors"] == {
        "min_partners": ["The number of partner organisations must be a whole number, like 3"],
        "deadline": ["Enter a deadline"],
    }


def test_an_organisation_cannot_pledge_to_or_need_its_own_project_and_nothing_is_stored(
    client: Any, any_runtime: Runtime
) -> None:
    owner, colleague = join(client, "KTT"), join(client, "KTT")
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=owner).json["id"]
    before = runner.head(any_runtime.app)
    pledge = client.put(
        f"/api/v1/projects/{project}/pledges/mine",
        json={"money": "100", "days": "0", "contributions": []},
        headers=colleague,
    )
    assert pledge.status_code == 422 and pledge.mimetype == "application/problem+json"
    assert pledge.json["detail"] == "Your organisation owns this project, so it cannot pledge to it."
    need = client.post(f"/api/v1/projects/{project}/needs", json={}, headers=owner)
    assert need.status_code == 422
    assert need.json["detail"] == 'Your organisation owns this project, so it cannot say "we need this too" about it.'
    assert runner.head(any_runtime.app) == before  # no event recorded
    other = join(client, "LDS")
    assert client.post(f"/api/v1/projects/{project}/needs", json={}, headers=other).status_code in (200, 201)
