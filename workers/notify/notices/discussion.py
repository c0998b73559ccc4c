"""Who hears of a comment: the author of the comment it answers ("replied to you"), the
members of each organisation it mentions ("mentioned your organisation"), and the project's
owners, team, followers and pledgers ("a new comment"); one message each, most specific first."""

from __future__ import annotations

from uuid import UUID

from domain.comment import Comment
from workers.notify.notices.base import Facts, Message, Notice, organisation, project_link, tell
from workers.notify.notices.project import who_from

KIND = "comment"


def comment_posted(event: Comment.Posted, facts: Facts) -> list[Message]:
    project = facts.project(event.project_id)
    if project is None or facts.hidden_now(event.originator_id):
        return []
    who = who_from(facts, event.author_id, event.organisation_id)
    link = project_link(facts, project.id, f"#comment-{event.originator_id}")
    body = facts.opened(event.author_id, event.body) or ""  # sealed under the author's key
    base = {"title": project.title, "who": who, "body": body, "link": link}
    notices = []
    if event.answering is not None:
        reason = "You get this because they answered your comment."
        notices.append(_notice([event.answering], f"{project.title}: {who} replied to your comment", base, reason))
    for mention in event.mentions:
        org = UUID(str(mention["organisation_id"]))
        named = organisation(facts, org)
        reason = f"You get this because {named}, your organisation, was mentioned."
        subject = f"{project.title}: {who} mentioned {named}"
        notices.append(_notice(facts.organisation_members(org), subject, base, reason))
    reason = "You get this because you work on, follow or back this project."
    notices.append(_notice(project.related, f"{project.title}: a new comment from {who}", base, reason))
    return tell(facts, project, event.author_id, *notices)


def _notice(people: frozenset[UUID] | list[UUID], subject: str, context: dict[str, str], reason: str) -> Notice:
    summary = subject.split(": ", 1)[-1]
    return Notice(KIND, people, subject, summary, {**context, "reason": reason})
