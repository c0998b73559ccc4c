"""Commands about the discussion on projects: posting and replying (with mentions of
organisations), editing one's own comment, hiding and un-hiding one (operators), and what an erasure
does to the author's comments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.base import ApplicationBase
from domain.comment import (
    KEEP,
    MAX_BODY,
    MAX_MENTIONS,
    MAX_REASON,
    REMOVE,
    Comment,
    CommentsBy,
    HiddenMessage,
    checked_text,
    mentioned,
)
from domain.errors import Conflict, NotAllowed, NotFound, OrganisationNotResolved, RuleBroken, ValidationFailed
from domain.inputs import OrganisationRef
from domain.interest import ContributionRequest, Follow
from domain.results import Written, position_of

if TYPE_CHECKING:  # pragma: no cover
    from eventsourcing.domain import Aggregate

    from domain.organisation import Organisation
    from domain.person import Person

CODE = re.compile(r"[A-Z0-9]{2,5}")  # a council's register code, written as the mention's label


def unresolved_mention(label: str, reason: str, candidates: list[dict[str, Any]]) -> str:
    """Why ``@[label]`` names no one organisation, and how to write a mention that does (the
    sign-up's own hints, about giving a kind to create one, make no sense in a comment)."""
    suggested = [f"@[{c['code']}] ({c['name']})" for c in candidates if c.get("code")][:3]
    if reason == "ambiguous":
        said = f"@[{label}] matches more than one council: write the one you mean by its register code"
        return said + (f", for example {' or '.join(suggested)}." if suggested else ".")
    if reason == "lookalike":
        return (
            f"@[{label}] looks like the name of another organisation but is written with other characters: "
            "write the name as Pipeline shows it, or a council's register code."
        )
    said = (
        f"@[{label}] is not an organisation on Pipeline. Write an organisation's name as Pipeline shows it, "
        "or a council's register code, between @[ and ]: for example @[Leeds City Council] or @[LDS]."
    )
    return said + (f" Did you mean {' or '.join(suggested)}?" if suggested else "")


class CommentCommands(ApplicationBase):
    """The discussion; composed into ``PipelineApplication``."""

    def get_comment(self, comment_id: UUID) -> Comment:
        return self._get(comment_id, Comment, "No comment with that id.")

    def _mentions(self, body: str) -> list[dict[str, str]]:
        """Each ``@[name or code]`` in the text, resolved to one organisation (none is created)."""
        labels = mentioned(body)
        if len(labels) > MAX_MENTIONS:
            problem = f"Mention at most {MAX_MENTIONS} organisations in one comment."
            raise ValidationFailed(problem, errors={"body": [problem]})
        found = []
        for label in labels:
            try:
                org = self._mentioned(label)
            except OrganisationNotResolved as error:
                candidates = error.extra["candidates"]
                problem = unresolved_mention(label, error.reason, candidates)
                raise ValidationFailed(problem, errors={"body": [problem]}, candidates=candidates) from None
            found.append({"label": label, "organisation_id": str(org.id)})
        return found

    def _mentioned(self, label: str) -> Organisation:
        """The organisation ``label`` names: a council's register code if it is one, else a
        name ("GDS" is an organisation's name as well as something shaped like a code)."""
        is_code = CODE.fullmatch(label) and label in self.council_codes
        ref = OrganisationRef(code=label) if is_code else OrganisationRef(name=label)
        return self.resolve_organisation(ref, create=False)[0]

    def _commenter(self, person_id: UUID) -> Person:
        person = self.acting_person(person_id)
        if person.organisation_id is None:
            raise NotAllowed("You belong to no organisation: join one first (PATCH /api/v1/me).")
        return person

    def post_comment(self, project_id: UUID, actor: UUID, body: str, parent_id: UUID | None = None) -> Written:
        """A comment on the project, or a reply to one of its comments."""
        text = checked_text("body", body, MAX_BODY)

        def command() -> Written:
            project = self.get_project(project_id)
            person = self._commenter(actor)
            project.require_unlocked()  # a lock saved first fails this save (decided on below)
            if project.archived:
                raise Conflict("The project is archived: it takes no comments.")
            parent = self._parent(project_id, parent_id)
            comment = Comment(
                project_id=project.id,
                author_id=person.id,
                organisation_id=person.organisation_id,
                parent_id=parent.id if parent else None,
                thread_id=parent.thread if parent else None,
                body=self.personal.seal(person.id, text),
                mentions=self._mentions(text),
                answering=parent.author_id if parent else None,
            )
            index = self._comments_by(person.id)
            index.add(comment.id)
            recordings = self.save(comment, index, decided_on=[project, person, parent])
            return Written(comment, position_of(recordings), None)

        return self.retrying(command, key=project_id)

    def _parent(self, project_id: UUID, parent_id: UUID | None) -> Comment | None:
        if parent_id is None:
            return None
        try:
            parent = self.get_comment(parent_id)
        except NotFound:
            problem = "The comment you reply to does not exist."
            raise RuleBroken(problem, errors={"parent_id": [problem]}) from None
        if parent.project_id != project_id:
            raise RuleBroken(
                "The comment you reply to is on another project.", errors={"parent_id": ["Not on this project."]}
            )
        parent.require_answerable()
        return parent

    def _comments_by(self, person_id: UUID) -> CommentsBy:
        try:
            index: CommentsBy = self.repository.get(CommentsBy.id_for(person_id))
        except AggregateNotFoundError:
            index = CommentsBy(id=CommentsBy.id_for(person_id), person_id=person_id)
        return index

    def edit_comment(self, comment_id: UUID, actor: UUID, body: str) -> Written:
        """The author's new text; position None if it is the same as before."""
        text = checked_text("body", body, MAX_BODY)

        def command() -> Written:
            comment = self.get_comment(comment_id)
            person = self.acting_person(actor)
            comment.require_author(person.id)
            if self.personal.open(person.id, comment.body) == text:
                return Written(comment, None, None)
            comment.edit(self.personal.seal(person.id, text), self._mentions(text), actor=person.id)
            return Written(comment, position_of(self.save(comment, decided_on=[person])), None)

        return self.retrying(command, key=comment_id)

    def hide_comment(self, comment_id: UUID, actor: UUID, reason: str, *, hide: bool = True) -> Written:
        """An operator hides a comment (the reason is shown in its place), or with ``hide=False``
        shows it again (the reason is kept in its history); refused when it is so already."""
        why = checked_text("reason", reason, MAX_REASON)

        def command() -> Written:
            comment: Comment | None
            try:
                comment = self.get_comment(comment_id)
            except NotFound:
                self._imported_message(comment_id)  # else: not a comment either (404)
                comment = None
            person = self.acting_person(actor)
            if not person.is_operator:
                raise NotAllowed(f"Only an operator may {'hide' if hide else 'un-hide'} a comment.")
            if comment is None:
                return self._hide_imported(comment_id, why, person, hide=hide)
            (comment.hide if hide else comment.unhide)(why, actor=person.id)
            return Written(comment, position_of(self.save(comment, decided_on=[person])), None)

        return self.retrying(command, key=comment_id)

    def _imported_message(self, message_id: UUID) -> None:
        """A 2014 like or join whose text the discussion shows as a comment, or NotFound."""
        try:
            found: Any = self.repository.get(message_id)
        except AggregateNotFoundError:
            raise NotFound("No comment with that id.") from None
        said = found.imported.get("comment") if isinstance(found, Follow) and found.imported else None
        if isinstance(found, ContributionRequest) and found.imported:
            said = found.message
        if not said:
            raise NotFound("No comment with that id.")

    def _hide_imported(self, message_id: UUID, reason: str, operator: Person, *, hide: bool) -> Written:
        hidden: HiddenMessage
        try:
            hidden = self.repository.get(HiddenMessage.id_for(message_id))
        except AggregateNotFoundError:
            if not hide:
                raise Conflict("This comment is not hidden.") from None
            hidden = HiddenMessage(message_id=message_id, reason=reason, actor=operator.id)
        else:
            (hidden.hide_again if hide else hidden.unhide)(reason, actor=operator.id)
        return Written(hidden, position_of(self.save(hidden, decided_on=[operator])), None)

    # --------------------------------------------------------------- erasure
    @property
    def erased_comments(self) -> str:
        """What an erasure does to the author's comments' text (``PIPELINE_ERASED_COMMENTS``):
        ``remove`` (the default: the words are the person's) or ``keep`` (the discussion
        stays readable, signed "Former member")."""
        choice = (self.env.get("ERASED_COMMENTS") or REMOVE).strip().lower()
        if choice not in (KEEP, REMOVE):
            raise RuntimeError(f"PIPELINE_ERASED_COMMENTS must be {KEEP!r} or {REMOVE!r}, not {choice!r}.")
        return choice

    def released_on_erasure(self, person: Person, *, actor: UUID | None) -> list[Aggregate]:
        """Every comment of the person records, with their erasure, whether its text stays; their
        index of comments is closed in the same save, so a first or last comment posted at the
        same moment either lands before (and is erased with the rest) or is refused."""
        changed = super().released_on_erasure(person, actor=actor)
        index = self._comments_by(person.id)  # made and closed even if they never commented
        keep = self.erased_comments == KEEP
        comments = [self.get_comment(comment_id) for comment_id in index.comment_ids]
        index.close()
        return changed + [
            index,
            *(
                c
                for c in comments
                if c.author_erase(kept=self.personal.open(person.id, c.body) if keep else None, actor=actor)
            ),
        ]
