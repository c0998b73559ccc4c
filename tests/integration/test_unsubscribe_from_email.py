"""The unsubscribe link of a real email (its List-Unsubscribe header and the link in its body),
followed against a real server with no session: it stops that kind, for that person, only."""

from __future__ import annotations

import re

import pytest

from tests import support
from tests.integration.test_delivery_guarantees import Scene, received, scene  # noqa: F401
from tests.smtp import Inbox

pytestmark = pytest.mark.integration
TAGS = ["waste", "bins", "recycling"]
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


def mails(inbox: Inbox, to: str, subject_part: str) -> list:
    return [m for m in received(inbox) if str(m["To"]) == to and subject_part in str(m["Subject"])]


def test_a_received_emails_link_unsubscribes_that_person_from_that_kind_only(scene: Scene) -> None:  # noqa: F811
    _, _, owner = scene.member("WGN")
    _, ann, ann_session = scene.member("KTT")
    _, bo, bo_session = scene.member("LDS")
    _, _, newcomer = scene.member("BNH")
    client = scene.client
    own = {"title": "Ann's bins", "summary": "S", "tags": TAGS}
    assert client.post("/api/v1/projects", json=own, headers=ann_session).status_code == 201
    interests = {"interests": {"tags": TAGS}}  # matched however the policy matches: by her project or these
    assert client.put("/api/v1/me/notifications", json=interests, headers=ann_session).status_code == 200
    project = client.post("/api/v1/projects", json={"title": "Bins", "summary": "S"}, headers=owner).json["id"]
    for session in (ann_session, bo_session):
        assert client.post(f"/api/v1/projects/{project}/follow", headers=session).status_code == 200
    update = {"body": "First news"}
    assert client.post(f"/api/v1/projects/{project}/status-updates", json=update, headers=owner).status_code == 201

    with support.server(scene.env, scene.workdir / "server.log") as base:
        scene.worker("worker", PIPELINE_PUBLIC_URL=base)
        support.wait_until(lambda: mails(scene.inbox, ann, "Bins:") and mails(scene.inbox, bo, "Bins:"), timeout=90)
        email = mails(scene.inbox, ann, "Bins:")[0]
        header = email["List-Unsubscribe"].strip("<>")
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = email.get_body(("plain",)).get_content()
        in_body = re.search(r"https?://\S+/unsubscribe\?token=[\w.-]+", text)
        assert in_body and in_body.group() == header and header.startswith(base)

        page = support.request("GET", in_body.group(), headers={"Accept": "text/html"})
        assert page[0] == 200 and "project news" in page[2]
        forged = header.replace(".project-news.", ".matching-interest.")
        status, _, problem = support.request("POST", forged, raw=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert status == 400, problem
        status, _, _ = support.request("POST", header, raw=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert status == 200  # a mail client's one-click: no session, no cookie, no CSRF token

        second = {"body": "Second news"}
        assert client.post(f"/api/v1/projects/{project}/status-updates", json=second, headers=owner).status_code == 201
        similar = {"title": "Bins for all", "summary": "S", "tags": TAGS}
        assert client.post("/api/v1/projects", json=similar, headers=newcomer).status_code == 201
        support.wait_until(lambda: len(mails(scene.inbox, bo, "Bins:")) == 2, timeout=90, message="bo's second")
        support.wait_until(lambda: mails(scene.inbox, ann, "Bins for all"), timeout=90, message="another kind")
        scene.marker(ann)  # mailed after everything before it: ann's second project news would be here by now
    assert len(mails(scene.inbox, ann, "Bins:")) == 1  # that kind stopped for her
    assert len(mails(scene.inbox, bo, "Bins:")) == 2  # and not for him
