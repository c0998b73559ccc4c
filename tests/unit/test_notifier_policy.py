"""The notifier's policy (who is told what about which event), without any I/O: events made
by the aggregates themselves, and what the read side knows given by a fake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from domain.interest import StatusUpdate
from domain.person import Person
from domain.project import Project
from workers.notify_policy import TOKEN_SLOT, ProjectFacts, Recipient, messages


@dataclass
class FakeFacts:
    people: dict[UUID, Recipient] = field(default_factory=dict)
    projects: dict[UUID, ProjectFacts] = field(default_factory=dict)
    similar: list[ProjectFacts] = field(default_factory=list)
    public_url: str = "https://pipeline.example"

    def person(self, person_id: UUID) -> Recipient | None:
        return self.people.get(person_id)

    def project(self, project_id: UUID) -> ProjectFacts | None:
        return self.projects.get(project_id)

    def projects_sharing_tags(self, project_id: UUID, tags: frozenset[str], at_least: int) -> list[ProjectFacts]:
        return self.similar

    def opened(self, person_id: UUID, sealed: Any) -> str | None:
        return str(sealed)  # the fake "seals" nothing


def person(facts: FakeFacts, email: str, *, verified: bool = True, erased: bool = False, name: str = "Ann") -> UUID:
    person_id = uuid4()
    facts.people[person_id] = Recipient(person_id, name, email, verified, erased)
    return person_id


def signed_up(person_id: UUID, email: str) -> Any:
    created = Person(
        id=person_id, name="x", email=email, job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    return created.collect_events()[0]


def a_project(facts: FakeFacts, related: set[UUID], tags: tuple[str, ...] = ()) -> tuple[Project, ProjectFacts]:
    proposer = next(iter(related))
    project = Project(organisation_id=uuid4(), proposer_id=proposer, phase="alpha", details={"title": "Bins"})
    known = ProjectFacts(project.id, "Bins", "Better bins", frozenset(tags), proposer, frozenset(related))
    facts.projects[project.id] = known
    return project, known


def test_a_sign_up_gets_a_tokened_verification_link_without_a_greeting_by_name() -> None:
    facts = FakeFacts()
    ann = person(facts, "ann@wigan.gov.uk", verified=False, name="BUY PILLS")
    (message,) = messages(signed_up(ann, "ann@wigan.gov.uk"), facts)
    assert (message.person_id, message.kind, message.recipient) == (ann, "verify-email", "ann@wigan.gov.uk")
    assert message.token_purpose == "verify-email"
    assert f"https://pipeline.example/verify-email?token={TOKEN_SLOT}" in message.body
    assert "PILLS" not in message.body and "PILLS" not in message.subject


def test_no_verification_once_verified_erased_or_superseded_by_a_newer_address() -> None:
    facts = FakeFacts()
    verified = person(facts, "v@wigan.gov.uk", verified=True)
    erased = person(facts, "e@wigan.gov.uk", verified=False, erased=True)
    moved = person(facts, "new@wigan.gov.uk", verified=False)
    assert messages(signed_up(verified, "v@wigan.gov.uk"), facts) == []
    assert messages(signed_up(erased, "e@wigan.gov.uk"), facts) == []
    assert messages(signed_up(moved, "old@wigan.gov.uk"), facts) == []  # the change sends its own
    assert messages(signed_up(uuid4(), "nobody@wigan.gov.uk"), facts) == []


def test_a_reset_request_mails_the_address_the_account_holds() -> None:
    facts = FakeFacts()
    ann = person(facts, "ann@wigan.gov.uk", verified=False)
    account = Person(
        id=ann, name="x", email="ann@wigan.gov.uk", job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    account.request_password_reset()
    (message,) = messages(account.collect_events()[-1], facts)
    assert (message.recipient, message.kind, message.token_purpose) == (
        "ann@wigan.gov.uk",
        "reset-password",
        "reset-password",
    )
    facts.people[ann] = Recipient(ann, None, None, False, True)  # erased meanwhile
    assert messages(_reset_event(ann), facts) == []


def _reset_event(person_id: UUID) -> Any:
    again = Person(
        id=person_id, name="x", email="a@b.c", job_title=None, organisation_id=uuid4(), organisation_kind="c"
    )
    again.request_password_reset()
    return again.collect_events()[-1]


def test_project_news_goes_to_everyone_related_but_the_actor_and_only_to_verified_addresses() -> None:
    facts = FakeFacts()
    actor = person(facts, "actor@wigan.gov.uk")
    follower = person(facts, "f@leeds.gov.uk", name="Fay")
    unverified = person(facts, "u@leeds.gov.uk", verified=False)
    gone = person(facts, "g@leeds.gov.uk", erased=True)
    project, _ = a_project(facts, {actor, follower, unverified, gone})
    project.change_phase("beta", actor=actor, moderation=False)
    (message,) = messages(project.collect_events()[-1], facts)
    assert (message.person_id, message.kind, message.recipient) == (follower, "project-news", "f@leeds.gov.uk")
    assert message.subject == "Bins: now in beta" and message.body.startswith("Hello Fay,")
    assert message.token_purpose is None and f"/projects/{project.id}" in message.body


def test_an_edit_names_the_fields_changed_and_a_status_update_carries_its_text() -> None:
    facts = FakeFacts()
    actor, other = person(facts, "a@wigan.gov.uk"), person(facts, "o@leeds.gov.uk")
    project, _ = a_project(facts, {actor, other})
    project.edit({"summary": "New", "title": "Bins 2"}, actor=actor, moderation=False)
    (edited,) = messages(project.collect_events()[-1], facts)
    assert "Changed: summary, title." in edited.body and edited.subject == "Bins: edited"
    update = StatusUpdate(project_id=project.id, author_id=other, body="Shipped the alpha")
    (posted,) = messages(update.collect_events()[0], facts)
    assert posted.person_id == actor and "Shipped the alpha" in posted.body


def test_a_new_project_with_three_shared_tags_tells_the_other_projects_key_contacts() -> None:
    facts = FakeFacts()
    proposer, contact = person(facts, "p@wigan.gov.uk"), person(facts, "c@leeds.gov.uk")
    project, _ = a_project(facts, {proposer}, tags=("bins", "waste", "gis"))
    _, other = a_project(facts, {contact}, tags=("bins", "waste", "gis", "apis"))
    facts.similar = [other]
    (message,) = messages(project.collect_events()[0], facts)
    assert (message.person_id, message.kind) == (contact, "matching-interest")
    few, _ = a_project(facts, {proposer}, tags=("bins", "waste"))
    assert messages(few.collect_events()[0], facts) == []  # fewer than three tags: nobody


def test_events_nobody_is_told_about_make_no_messages() -> None:
    facts = FakeFacts()
    ann = person(facts, "ann@wigan.gov.uk")
    project, _ = a_project(facts, {ann})
    project.archive(actor=ann, moderation=False)
    events = project.collect_events()[1:]
    assert events and all(messages(event, facts) == [] for event in events)
