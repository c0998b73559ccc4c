"""The activity feed over HTTP, as JSON and as Atom, in both modes."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from tests.e2e.conftest import Api
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

ATOM = "{http://www.w3.org/2005/Atom}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_sign_up_and_a_proposal_appear_in_the_feed_and_its_atom(api: Api) -> None:
    supplier, address = f"Feed Test {uuid.uuid4().hex[:6]} Ltd", f"feed.{uuid.uuid4().hex[:8]}@example.gov.uk"
    status, _, person = api.post(
        "/api/v1/people",
        {
            "name": "Fay Feed",
            "email": address,
            "password": PASSWORD,
            "organisation_name": supplier,
            "organisation_kind": "supplier",
        },
    )
    assert status == 201, person
    org = person["organisation"]["id"]
    status, _, page = api.get(f"/api/v1/activity?organisation={org}&min_position={person['event_position']}")
    assert status == 200, page
    assert [(i["type"], i["summary"]) for i in page["items"]] == [
        ("organisation.admin_appointed", f"Fay Feed became an admin of {supplier}"),  # its creator
        ("person.signed_up", f"Fay Feed ({supplier}) signed up"),
        ("organisation.created", f"{supplier} joined Pipeline"),
    ]
    assert page["next"] is None and address not in str(page)

    assert api.post("/api/v1/email-verifications", {"token": api.token_sent_to(address, "verify-email")})[0] == 200
    me = bearer(api.post("/api/v1/sessions", {"email": address, "password": PASSWORD})[2]["token"])
    status, _, project = api.post(
        "/api/v1/projects", {"title": "Feed test project", "summary": "For the feed", "phase": "alpha"}, headers=me
    )
    assert status == 201, project

    status, headers, text = api.get(
        f"/api/v1/activity.atom?person={person['id']}&min_position={project['event_position']}"
    )
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(text)
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        f"Fay Feed ({supplier}) proposed Feed test project, in alpha",
        f"Fay Feed became an admin of {supplier}",
        f"Fay Feed ({supplier}) signed up",
    ]
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 3
    updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated", "")) for e in entries]
    assert updated == sorted(updated, reverse=True)
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(f"/api/v1/projects/{project['id']}")
    assert entries[1].find(f"{ATOM}link") is None

    first = api.get(f"/api/v1/activity?person={person['id']}&limit=2")[2]
    second = api.get(first["next"])[2]
    assert [i["type"] for i in first["items"] + second["items"]] == [
        "project.proposed",
        "organisation.admin_appointed",
        "person.signed_up",
    ]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/activity?type=person.sneezed", 422),
        ("/api/v1/activity?project=not-a-uuid", 422),
        ("/api/v1/activity?limit=0", 422),
        ("/api/v1/activity?cursor=garbage", 400),
        ("/api/v1/activity.atom?person=42", 422),
        ("/api/v1/activity.atom?min_position=-1", 422),
    ],
)
def test_a_bad_feed_query_gets_a_problem(api: Api, path: str, expected: int) -> None:
    status, headers, problem = api.get(path)
    assert status == expected, problem
    assert headers["Content-Type"] == "application/problem+json" and problem["status"] == expected
