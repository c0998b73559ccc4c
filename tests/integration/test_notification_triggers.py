"""Every trigger of issue 11, end to end in production mode: PostgreSQL, Redis, one real
``pipeline worker`` and a real SMTP server (aiosmtpd). One story fires each trigger in turn;
after each step we wait for the mail it should send and then check, from what the SMTP
server received, who got which message, that nobody else did, and that every message one
may switch off carries the RFC 8058 one-click unsubscribe headers (and verify-email not)."""

from __future__ import annotations

import email
import re
import uuid
from datetime import timedelta
from email import policy
from email.message import EmailMessage as Message
from pathlib import Path
from typing import Any

import pytest

from domain import clock
from tests import support
from tests.conftest import worker_env
from tests.factories import PASSWORD, council_email
from tests.smtp import Inbox
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
PUBLIC_URL = "https://pipeline.example"


class Story:
    def __init__(self, runtime: Runtime, inbox: Inbox) -> None:
        self.rt, self.inbox = runtime, inbox
        self.client = create_app(runtime=runtime).test_client()
        self.names: dict[str, str] = {}  # address -> who
        self.ids: dict[str, uuid.UUID] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.seen = 0
        self.parsed: list[Message] = []

    def member(self, who: str, code: str, *, verified: bool = True) -> None:
        address = council_email(code)
        body = {"name": who, "email": address, "organisation_code": code, "password": PASSWORD}
        created = self.client.post("/api/v1/people", json=body)
        assert created.status_code == 201, created.json
        self.ids[who], self.names[address] = uuid.UUID(created.json["id"]), who
        if verified:
            self.rt.app.verify_email(self.ids[who])
            token = self.client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
            self.headers[who] = {"Authorization": f"Bearer {token}"}

    def as_(self, who: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.client.open(f"/api/v1{path}", method=method, json=json, headers=self.headers[who])
        assert response.status_code == status, (path, response.status_code, response.json)
        return response.json

    def mail(self, count: int) -> dict[str, set[str]]:
        """The next ``count`` messages (waiting for them), as kind -> who got it; the kind is
        read from the footer ("your notification choices for "pledge"")."""
        target = self.seen + count
        support.wait_until(lambda: len(self.inbox.messages) >= target, timeout=60, message=f"{target} messages")
        new = [
            email.message_from_bytes(e.content, policy=policy.default) for e in self.inbox.messages[self.seen : target]
        ]
        self.seen = target
        self.parsed.extend(new)
        found: dict[str, set[str]] = {}
        for message in new:
            found.setdefault(kind_of(message), set()).add(self.names[str(message["To"])])
        return found

    def last(self, who: str) -> tuple[str, str]:
        """Subject and text of the latest message to ``who``."""
        message = next(m for m in reversed(self.parsed) if self.names[str(m["To"])] == who)
        return str(message["Subject"]), text_of(message)


def text_of(message: Message) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "every message has a plain text part"
    return str(part.get_content())


def kind_of(message: Message) -> str:
    found = re.search(r'notification choices for "([^"]+)"', text_of(message))
    return found[1].replace(" ", "-") if found else "verify-email"


def test_each_trigger_reaches_the_right_people_over_smtp_and_nobody_else(
    pg_runtime: Runtime, smtp_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_server
    story = Story(pg_runtime, inbox)
    for who, code in (("Olu", "WGN"), ("Ash", "KTT"), ("Fay", "BNH"), ("Lee", "LDS"), ("Dee", "MAN")):
        story.member(who, code)  # owner; asker then teammate; follower; pledger; needs it, pledges, asks
    for who, code in (("Ivy", "BIR"), ("Sam", "YOR"), ("Bob", "BUR")):
        story.member(who, code)  # declared an interest; owns a project like it; a bystander
    story.member("Uma", "CAM", verified=False)
    env = worker_env(pg_runtime.settings, SMTP_URL=f"smtp://127.0.0.1:{port}", PIPELINE_PUBLIC_URL=PUBLIC_URL)
    worker = support.Process(["worker"], env, tmp_path / "worker.log")
    try:
        assert story.mail(1) == {"verify-email": {"Uma"}}
        _walk(story)
    finally:
        worker.stop()
    _check_headers(story.parsed)
    assert "Bob" not in {story.names[str(m["To"])] for m in story.parsed}  # the bystander heard nothing
    assert len(inbox.messages) == story.seen  # and nothing came after the story


def _walk(story: Story) -> None:
    garden = {"title": "Garden waste booking", "summary": "Book a collection", "tags": ["waste", "booking", "forms"]}
    story.as_("Sam", "POST", "/projects", garden, status=201)
    story.rt.app.choose_notifications(story.ids["Ivy"], tags=["bins"])
    bulky = {"title": "Bulky waste booking", "summary": "Book a bulky item collection", "tags": ["waste", "bins"]}
    project = story.as_("Olu", "POST", "/projects", bulky, status=201)["id"]
    assert story.mail(2) == {"matching-interest": {"Sam", "Ivy"}}
    assert "you follow the tag 'bins'" in story.last("Ivy")[1]
    assert "with your project “Garden waste booking”" in story.last("Sam")[1]

    story.as_("Fay", "POST", f"/projects/{project}/follow")
    assert story.mail(1) == {"new-follower": {"Olu"}}
    request = story.as_("Ash", "POST", f"/projects/{project}/contribution-requests", {"message": "We test"}, 201)["id"]
    assert story.mail(1) == {"contribution-request": {"Olu"}}
    link = f"{PUBLIC_URL}/projects/{project}/contribution-requests/{request}"
    assert story.last("Olu")[1].count(link) == 1
    story.as_("Olu", "POST", f"/projects/{project}/contribution-requests/{request}/approve")
    assert story.mail(1) == {"request-answered": {"Ash"}}  # Ash is on the team from now on
    story.as_("Dee", "POST", f"/projects/{project}/needs", {"comment": "Manchester needs it"})
    assert story.mail(2) == {"need-declared": {"Olu", "Ash"}}
    assert "Manchester needs it" in story.last("Ash")[1]
    pending = story.as_("Dee", "POST", f"/projects/{project}/contribution-requests", {"message": None}, 201)["id"]
    assert story.mail(2) == {"contribution-request": {"Olu", "Ash"}}
    _pledges(story, project)

    story.as_("Olu", "POST", f"/projects/{project}/status-updates", {"body": "Alpha starts Monday"}, 201)
    assert story.mail(4) == {"project-news": {"Ash", "Fay", "Lee", "Dee"}}
    story.rt.app.nudge_project(uuid.UUID(project), clock.now() - timedelta(days=61), 1)
    assert story.mail(1) == {"nudge": {"Olu"}}
    assert f"{PUBLIC_URL}/projects/{project}/status-updates/new" in story.last("Olu")[1]
    story.rt.app.warn_deadline(uuid.UUID(project))
    assert story.mail(2) == {"deadline-soon": {"Olu", "Ash"}}
    story.rt.app.unsubscribe(story.ids["Fay"], "project-archived")  # her email's link: that kind only
    story.as_("Olu", "POST", f"/projects/{project}/archive")
    assert story.mail(3) == {"project-archived": {"Ash", "Lee", "Dee"}}
    story.as_("Ash", "POST", f"/projects/{project}/restore")
    assert story.mail(3) == {"project-archived": {"Olu", "Lee", "Dee"}}
    _later(story, uuid.UUID(project), uuid.UUID(pending))


def _pledges(story: Story, project: str) -> None:
    deadline = (clock.now() + timedelta(days=3)).isoformat()
    story.as_("Olu", "PUT", f"/projects/{project}/goal", {"money": "1000.00", "deadline": deadline})
    story.as_("Lee", "PUT", f"/projects/{project}/pledges/mine", {"money": "500.00"})
    assert story.mail(2) == {"pledge": {"Olu", "Ash"}}
    story.as_("Dee", "PUT", f"/projects/{project}/pledges/mine", {"money": "300.00"})
    assert story.mail(2) == {"goal-progress": {"Olu", "Ash"}}  # 80%: instead of the pledge, not beside it
    assert story.last("Olu")[0] == "Bulky waste booking: 80% of the goal is pledged"
    story.as_("Lee", "PUT", f"/projects/{project}/pledges/mine", {"money": "700.00"})
    assert story.mail(2) == {"goal-progress": {"Olu", "Ash"}}
    assert story.last("Ash")[0] == "Bulky waste booking: the goal is reached"


def _later(story: Story, project: uuid.UUID, pending: uuid.UUID) -> None:
    """A week on: the unanswered request's reminder, its answer, and the goal decided."""
    with clock.set_to(clock.now() + timedelta(days=8)):
        story.rt.app.remind_request(pending)
        assert story.mail(2) == {"request-reminder": {"Olu", "Ash"}}
        story.rt.app.decide_contribution(project, pending, story.ids["Olu"], approve=False, reason="Team is full")
        assert story.mail(1) == {"request-answered": {"Dee"}}
        assert "Team is full" in story.last("Dee")[1]
        story.rt.app.decide_goal(project)
        assert story.mail(5) == {"goal-decided": {"Olu", "Ash", "Fay", "Lee", "Dee"}}  # Fay: another kind
        assert story.last("Fay")[0] == "Bulky waste booking: the goal was met"


def _check_headers(messages: list[Message]) -> None:
    for message in messages:
        verify = str(message["Subject"]).startswith("Confirm your email address")
        assert (message["List-Unsubscribe"] is None) is verify, message["Subject"]
        assert (message["List-Unsubscribe-Post"] is None) is verify
        if not verify:
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert f"<{PUBLIC_URL}/unsubscribe?token=" in str(message["List-Unsubscribe"])
