"""The notifier's policy (who is told what about which event), without any I/O: events made
by the aggregates themselves, and what the read side knows given by a fake. The account's
own messages and project news here; the other triggers in test_notice_*.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from domain.interest import Follow, Need, StatusUpdate
from domain.notifications import KINDS
from domain.person import UNDONE, Person
from tests.unit.notice_fakes import FakeFacts
from workers.notify.policy import TOKEN_SLOT, Recipient, messages, reset_message


def signed_up(person_id: UUID, email: str) -> Any:
    created = Person(
        id=person_id, name="x", email=email, job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    return created.collect_events()[0]


def test_a_sign_up_gets_a_tokened_verification_link_without_a_greeting_by_name() -> None:
    facts = FakeFacts()
    ann = facts.add_person("ann@wigan.gov.uk", verified=False, name="BUY PILLS")
    (message,) = messages(signed_up(ann, "ann@wigan.gov.uk"), facts)
    assert (message.person_id, message.kind, message.recipient) == (ann, "verify-email", "ann@wigan.gov.uk")
    assert message.token_purpose == "verify-email"
    assert f"https://pipeline.example/verify-email?token={TOKEN_SLOT}" in message.body
    assert "PILLS" not in message.body and "PILLS" not in message.subject


def test_no_verification_once_verified_erased_or_superseded_by_a_newer_address() -> None:
    facts = FakeFacts()
    verified = facts.add_person("v@wigan.gov.uk", verified=True)
    erased = facts.add_person("e@wigan.gov.uk", verified=False, erased=True)
    moved = facts.add_person("new@wigan.gov.uk", verified=False)
    assert messages(signed_up(verified, "v@wigan.gov.uk"), facts) == []
    assert messages(signed_up(erased, "e@wigan.gov.uk"), facts) == []
    assert messages(signed_up(moved, "old@wigan.gov.uk"), facts) == []  # the change sends its own
    assert messages(signed_up(uuid4(), "nobody@wigan.gov.uk"), facts) == []


def test_a_reset_request_mails_the_address_the_account_holds() -> None:
    facts = FakeFacts()
    ann = facts.add_person("ann@wigan.gov.uk", verified=False)
    (message,) = reset_message(facts, ann)
    assert (message.recipient, message.kind, message.token_purpose) == (
        "ann@wigan.gov.uk",
        "reset-password",
        "reset-password",
    )
    facts.people[ann] = Recipient(ann, None, None, False, True)  # erased meanwhile
    assert reset_message(facts, ann) == []


def test_a_reset_request_stored_by_an_older_version_is_still_mailed() -> None:
    facts = FakeFacts()
    ann = facts.add_person("ann@wigan.gov.uk")
    account = Person(
        id=ann, name="x", email="ann@wigan.gov.uk", job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    account._request_password_reset()  # what older versions recorded; nothing records it now
    (message,) = messages(account.collect_events()[-1], facts)
    assert (message.recipient, message.token_purpose) == ("ann@wigan.gov.uk", "reset-password")


def test_an_address_change_mails_the_new_address_a_link_and_the_old_one_an_undo_link() -> None:
    facts = FakeFacts()
    ann = facts.add_person("new@wigan.gov.uk", verified=False)
    account = Person(
        id=ann, name="x", email="old@wigan.gov.uk", job_title=None, organisation_id=uuid4(), organisation_kind="council"
    )
    account.change_email("new@wigan.gov.uk", actor=ann)
    changed = account.collect_events()[-1]
    facts.former[(ann, changed.originator_version)] = "old@wigan.gov.uk"
    verify, notice = messages(changed, facts)
    assert (verify.recipient, verify.token_purpose, verify.generation) == ("new@wigan.gov.uk", "verify-email", 0)
    assert (notice.recipient, notice.kind, notice.token_purpose) == (
        "old@wigan.gov.uk",
        "email-changed",
        "undo-email-change",
    )
    assert f"https://pipeline.example/undo-email-change?token={TOKEN_SLOT}" in notice.body


def test_an_address_taken_back_by_an_undo_link_offers_no_undo_to_the_address_left() -> None:
    facts = FakeFacts()
    ann = facts.add_person("old@wigan.gov.uk")
    account = Person(
        id=ann, name="x", email="thief@evil.example", job_title=None, organisation_id=uuid4(), organisation_kind="c"
    )
    account.change_email("old@wigan.gov.uk", actor=None, reason=UNDONE)
    changed = account.collect_events()[-1]
    facts.former[(ann, changed.originator_version)] = "thief@evil.example"
    assert [m for m in messages(changed, facts) if m.recipient == "thief@evil.example"] == []


def test_project_news_goes_to_team_followers_and_pledgers_but_not_the_actor_and_only_to_verified_addresses() -> None:
    facts = FakeFacts()
    actor = facts.add_person("actor@wigan.gov.uk")
    teammate = facts.add_person("t@wigan.gov.uk", name="Tam")
    follower = facts.add_person("f@leeds.gov.uk", name="Fay")
    pledger = facts.add_person("p@kent.gov.uk", name="Pat")
    unverified = facts.add_person("u@leeds.gov.uk", verified=False)
    gone = facts.add_person("g@leeds.gov.uk", erased=True)
    bystander = facts.add_person("b@bury.gov.uk")
    project, _ = facts.add_project([actor, teammate], followers=(follower, unverified, gone), pledgers=(pledger,))
    project.change_phase("beta", actor=actor, moderation=False)
    told = messages(project.collect_events()[-1], facts)
    assert {m.person_id for m in told} == {teammate, follower, pledger}
    assert bystander not in {m.person_id for m in told}
    fay = next(m for m in told if m.person_id == follower)
    assert (fay.kind, fay.recipient, fay.subject) == ("project-news", "f@leeds.gov.uk", "Bins: now in beta")
    assert fay.body.startswith("Hello Fay,") and f"/projects/{project.id}" in fay.body
    assert (fay.project_id, fay.project_title, fay.token_purpose) == (project.id, "Bins", None)
    assert fay.summary == "Now in beta"


def test_an_edit_names_the_fields_changed_and_a_status_update_carries_its_text() -> None:
    facts = FakeFacts()
    actor, other = facts.add_person("a@wigan.gov.uk"), facts.add_person("o@leeds.gov.uk")
    project, _ = facts.add_project([actor], followers=(other,))
    project.edit({"summary": "New", "title": "Bins 2"}, actor=actor, moderation=False)
    (edited,) = messages(project.collect_events()[-1], facts)
    assert "Changed: summary, title." in edited.body and edited.subject == "Bins: edited"
    update = StatusUpdate(project_id=project.id, author_id=other, body="Shipped the alpha")
    (posted,) = messages(update.collect_events()[0], facts)
    assert posted.person_id == actor and "Shipped the alpha" in posted.body
    assert posted.summary == "Status update: Shipped the alpha"


def test_a_field_restored_is_told_as_an_edit_naming_the_version_it_came_from() -> None:
    facts = FakeFacts()
    actor, follower = facts.add_person("a@wigan.gov.uk"), facts.add_person("f@leeds.gov.uk", name="Fay")
    project, _ = facts.add_project([actor], followers=(follower,))
    first = project.details["summary"]
    project.edit({"summary": "Vandalised"}, actor=actor, moderation=False)
    project.restore_field("summary", first, 1, actor=actor, moderation=False)
    restored = project.collect_events()[-1]
    assert type(restored).__name__ == "FieldRestored"
    (fay,) = messages(restored, facts)
    assert (fay.person_id, fay.kind, fay.subject) == (follower, "project-news", "Bins: edited")
    assert "Restored as it was at version 1: summary." in fay.body


def test_events_nobody_is_told_about_make_no_messages() -> None:
    facts = FakeFacts()
    ann, bo = facts.add_person("ann@wigan.gov.uk"), facts.add_person("bo@leeds.gov.uk")
    project, _ = facts.add_project([ann], followers=(bo,))
    project.add_to_team(bo, uuid4(), actor=ann)
    follow = Follow(id=Follow.id_for(project.id, bo), project_id=project.id, person_id=bo)
    follow.unfollow()
    need = Need(id=uuid4(), project_id=project.id, organisation_id=uuid4(), person_id=bo, comment=None)
    need.withdraw(bo)
    update = StatusUpdate(project_id=project.id, author_id=ann, body="x")
    update.correct("y", actor=ann)
    events = [*project.collect_events()[1:], follow.collect_events()[-1], need.collect_events()[-1]]
    events.append(update.collect_events()[-1])
    assert all(messages(event, facts) == [] for event in events)


def test_every_kind_the_policy_sends_has_a_text_and_an_html_template() -> None:
    folder = Path(__file__).resolve().parents[2] / "workers" / "notify" / "templates" / "email"
    inline = {"verify-email", "reset-password", "email-changed"}  # the account's own, written inline
    written_here = set(KINDS) - inline - {"digest"}  # digests elsewhere
    for kind in written_here:
        assert (folder / f"{kind}.txt").is_file() and (folder / f"{kind}.html").is_file(), kind
