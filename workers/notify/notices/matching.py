"""A new project, told to the people it may interest, best matches first, each with the
reasons they are told.

Two ways to match:
- a declared interest (``NotificationPreferences`` tags and words): one of the person's
  tags among the project's, or one of their words (plural or not) in its title, summary,
  description or tags. They chose it, so one match is enough (it scores ``THRESHOLD``).
- a project of the person's own organisation that resembles the new one, for that
  project's key contact, proposer and team members from its organisation: a shared tag
  scores 2, a shared significant title word (``projections.interests.terms``) 1, and it
  takes ``THRESHOLD`` (3): two shared tags, or a tag and a title word, or three title words.

Scores add up per person; at most ``MAX_PEOPLE`` people are told, highest score first.
Never the proposer, nor anyone in the proposing organisation: it is their own project."""

from __future__ import annotations

from uuid import UUID

from domain.project import Project
from projections.interests import TAG, TAG_WEIGHT, WORD_WEIGHT, terms
from workers.notify.notices.base import Facts, Message, Notice, ProjectFacts, listed, project_link, tell

THRESHOLD = 3
MAX_PROJECTS = 30  # resembling projects looked at, most alike first
MAX_PEOPLE = 50
MAX_REASONS = 3


def resemblance(new: ProjectFacts, other: ProjectFacts) -> tuple[int, str]:
    """How alike two projects are (shared tags and title words, weighted) and why, in words."""
    tags = sorted({t.casefold() for t in new.tags} & {t.casefold() for t in other.tags})
    words = sorted(terms(new.title) & terms(other.title))
    score = TAG_WEIGHT * len(tags) + WORD_WEIGHT * len(words)
    shared = []
    if tags:
        shared.append(("the tags " if len(tags) > 1 else "the tag ") + listed(f"'{t}'" for t in tags))
    if words:
        shared.append(("the title words " if len(words) > 1 else "the title word ") + listed(f"'{w}'" for w in words))
    return score, f"it shares {' and '.join(shared)} with your project “{other.title}”"


def matching_interest(event: Project.Proposed, facts: Facts) -> list[Message]:
    project = facts.project(event.originator_id)
    if project is None or project.archived or getattr(event, "imported", None):
        return []  # archived before the notifier read its proposal: it is no news to anyone
    found = Matches(facts, project)
    tags = frozenset(t.casefold() for t in project.tags)
    title = terms(project.title)
    text = title | terms(project.summary) | terms(project.description) | terms(" ".join(tags))
    for person_id, kind, term in facts.people_interested(tags, text):
        reason = f"you follow the tag '{term}'" if kind == TAG else f"it mentions '{term}', a word you follow"
        found.add(person_id, THRESHOLD, reason)
    for other in facts.projects_resembling(project, tags, title, MAX_PROJECTS, event.timestamp):
        score, reason = resemblance(project, other)
        if score >= THRESHOLD:
            for owner in sorted(other.owners, key=str):
                found.add(owner, score, reason, organisation_id=other.organisation_id)
    return found.messages(event.proposer_id)


class Matches:
    """Scores and reasons per person, for people outside the proposing organisation."""

    def __init__(self, facts: Facts, project: ProjectFacts) -> None:
        self.facts, self.project = facts, project
        self.scores: dict[UUID, int] = {}
        self.reasons: dict[UUID, list[str]] = {}

    def add(self, person_id: UUID, score: int, reason: str, *, organisation_id: UUID | None = None) -> None:
        """Count the match; ``organisation_id``: only if the person is in that organisation."""
        person = self.facts.person(person_id)
        if person is None or not person.reachable:
            return
        if person.organisation_id is not None and person.organisation_id == self.project.organisation_id:
            return
        if organisation_id is not None and person.organisation_id != organisation_id:
            return
        self.scores[person_id] = self.scores.get(person_id, 0) + score
        reasons = self.reasons.setdefault(person_id, [])
        if reason not in reasons:
            reasons.append(reason)

    def ranked(self, actor: UUID | None) -> list[UUID]:
        people = [p for p in self.scores if p != actor]
        return sorted(people, key=lambda p: (-self.scores[p], str(p)))[:MAX_PEOPLE]

    def messages(self, actor: UUID | None) -> list[Message]:
        project = self.project
        link = project_link(self.facts, project.id)
        notices = []
        for person_id in self.ranked(actor):
            reasons = self.reasons[person_id][:MAX_REASONS]
            context = {"title": project.title, "summary": project.summary, "link": link, "reasons": reasons}
            subject = f"A new project you may find useful: {project.title}"
            summary = f"New project: {reasons[0]}"
            notices.append(Notice("matching-interest", [person_id], subject, summary, context))
        return tell(self.facts, project, actor, *notices)
