"""Who hears of a comment (``workers.notify.notices.discussion``), decided from the event and
the facts alone: the answered author first, then the mentioned organisations' members, then the
project's people; once each, never the author, never anyone unverified or erased."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.comment import Comment
from tests.unit.notice_fakes import FakeFacts
from workers.notify.policy import messages


def posted(project: UUID, author: UUID, *, answering: UUID | None = None, mentions: tuple[UUID, ...] = ()) -> Comment:
    return Comment(
        project_id=project,
        author_id=author,
        organisation_id=None,
        parent_id=uuid4() if answering else None,
        thread_id=None,
        body="Could you help?",
        mentions=[{"label": f"Org {n}", "organisation_id": str(org)} for n, org in enumerate(mentions)],
        answering=answering,
    )


def test_each_person_hears_once_by_the_most_specific_reason_and_the_author_never() -> None:
    facts = FakeFacts()
    kent = facts.organisation("Kent County Council")
    owner = facts.add_person("owner@x.gov.uk", name="Owen")
    author = facts.add_person("raj@x.gov.uk", name="Raj")
    follower = facts.add_person("fay@x.gov.uk", name="Fay", organisation=kent)  # also mentioned
    kim = facts.add_person("kim@kent.gov.uk", name="Kim", organisation=kent)
    facts.add_person("unverified@kent.gov.uk", verified=False, organisation=kent)
    _, project = facts.add_project([owner, author], followers=(follower,))

    comment = posted(project.id, author, answering=owner, mentions=(kent,))
    told = {m.person_id: m.subject for m in messages(comment.collect_events()[0], facts)}

    assert told == {
        owner: "Bins: Raj replied to your comment",
        follower: "Bins: Raj mentioned Kent County Council",
        kim: "Bins: Raj mentioned Kent County Council",
    }


def test_a_comment_on_a_project_nobody_knows_tells_nobody() -> None:
    facts = FakeFacts()
    author = facts.add_person("raj@x.gov.uk")
    assert messages(posted(uuid4(), author).collect_events()[0], facts) == []
