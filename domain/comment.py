"""Comments on a project: the discussion around it.

A comment is its own aggregate, so a busy thread never contends with the project's
pledges. A reply names the comment it answers (``parent_id``) and the thread it belongs
to (``thread_id``, the first comment of the thread). Each edit by the author is an event,
so every version stays readable; an operator hides a comment with a reason (an event).

The text is the author's words: it is sealed under their personal key, as their name is
(``domain.personal``), so erasing them shreds it. When the author is erased each of their
comments records, in the same save, whether its text is kept (the last version, written out
in that event and shown as the words of a "Former member") or goes with the key.

Organisations are mentioned in the text as ``@[name or register code]``
(``domain.discussion`` resolves each to an organisation id); ``CommentsBy`` lists a
person's comments so an erasure reaches every one of them."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.display import display_problem
from domain.errors import Conflict, NotAllowed, ValidationFailed
from domain.organisation import NAMESPACE

MAX_BODY = 5000
MAX_REASON = 500
MAX_MENTIONS = 10
# ``@[Leeds City Council]`` or ``@[LDS]``: brackets, so a name with spaces needs no script to pick it.
MENTION = re.compile(r"@\[([^\[\]\n]{1,200})\]")
MENTION_HELP = (
    "Mention an organisation by writing its name or council register code in brackets after an @: "
    "@[Leeds City Council] or @[LDS]. Each must name exactly one organisation."
)
KEEP, REMOVE = "keep", "remove"  # what an erasure does to the author's words (ERASED_COMMENTS)


def mentioned(body: str) -> list[str]:
    """The organisation references written in ``body``, in order, each once."""
    seen: list[str] = []
    for match in MENTION.finditer(body):
        label = match.group(1).strip()
        if label and label not in seen:
            seen.append(label)
    return seen


def checked_text(field: str, text: str, limit: int) -> str:
    """The text trimmed, if it may be shown: the display rule of every message (``domain.display``)."""
    text = text.strip()
    problem = display_problem(text) if text else "Enter a comment." if field == "body" else "Enter a reason."
    if problem is None and len(text) > limit:
        problem = f"Must be {limit} characters or fewer."
    if problem is not None:
        raise ValidationFailed(problem, errors={field: [problem]})
    return text


class Comment(Aggregate):
    class Posted(Aggregate.Created):
        project_id: UUID
        author_id: UUID
        organisation_id: UUID | None
        parent_id: UUID | None
        thread_id: UUID | None
        body: str
        mentions: list[dict[str, str]]
        answering: UUID | None  # the author of the comment replied to (who is told of the reply)

    @event(Posted)
    def __init__(
        self,
        project_id: UUID,
        author_id: UUID,
        organisation_id: UUID | None,
        parent_id: UUID | None,
        thread_id: UUID | None,
        body: str,
        mentions: list[dict[str, str]],
        answering: UUID | None = None,
    ) -> None:
        self.project_id, self.author_id, self.organisation_id = project_id, author_id, organisation_id
        self.parent_id, self.thread_id = parent_id, thread_id
        self.body: str | None = body  # sealed under the author's key (None once it went with it)
        self.mentions = mentions
        self.text_version = 1
        self.hidden_reason: str | None = None
        self.author_erased = False

    @property
    def thread(self) -> UUID:
        """The thread a reply to this comment joins."""
        return self.thread_id or self.id

    def _require_open(self) -> None:
        if self.hidden_reason is not None:
            raise Conflict("This comment was hidden by a moderator: it can no longer be changed or answered.")
        if self.author_erased:
            raise Conflict("The author of this comment has left: it can no longer be changed or answered.")

    def require_answerable(self) -> None:
        self._require_open()

    # --------------------------------------------------------------- editing
    def require_author(self, actor: UUID) -> None:
        if actor != self.author_id:
            raise NotAllowed("Only the author of a comment may edit it.")
        self._require_open()

    def edit(self, body: str, mentions: list[dict[str, str]], *, actor: UUID) -> None:
        """The author rewrites their comment (``body`` sealed; the command checked it changed)."""
        self.require_author(actor)
        self._edit(body=body, mentions=mentions, actor=actor)

    class Edited(Aggregate.Event):
        body: str
        mentions: list[dict[str, str]]
        actor: UUID

    @event(Edited)
    def _edit(self, body: str, mentions: list[dict[str, str]], actor: UUID) -> None:
        self.body, self.mentions = body, mentions
        self.text_version += 1

    # ------------------------------------------------------------ moderation
    def hide(self, reason: str, *, actor: UUID) -> None:
        if self.hidden_reason is not None:
            raise Conflict("This comment is already hidden.")
        self._hide(reason=reason, actor=actor)

    class Hidden(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Hidden)
    def _hide(self, reason: str, actor: UUID) -> None:
        self.hidden_reason = reason

    def unhide(self, reason: str, *, actor: UUID) -> None:
        if self.hidden_reason is None:
            raise Conflict("This comment is not hidden.")
        self._unhide(reason=reason, actor=actor)

    class Unhidden(Aggregate.Event):
        reason: str
        actor: UUID

    @event(Unhidden)
    def _unhide(self, reason: str, actor: UUID) -> None:
        self.hidden_reason = None

    # --------------------------------------------------------------- erasure
    def author_erase(self, *, kept: str | None, actor: UUID | None) -> bool:
        """Recorded with the author's erasure: ``kept`` is the text (opened) if it stays, None if
        it goes with their key. False if it was recorded already."""
        if self.author_erased:
            return False
        self._author_erase(text_kept=kept is not None, body=kept, text_version=self.text_version, actor=actor)
        return True

    class AuthorErased(Aggregate.Event):
        text_kept: bool
        body: str | None  # the last version, no longer sealed: the former member's words, kept
        text_version: int
        actor: UUID | None

    @event(AuthorErased)
    def _author_erase(self, text_kept: bool, body: str | None, text_version: int, actor: UUID | None) -> None:
        self.author_erased = True
        self.body = body


class CommentsBy(Aggregate):
    """Index: the comments one person wrote (saved with each), so an erasure finds them all."""

    class Started(Aggregate.Created):
        person_id: UUID

    @event(Started)
    def __init__(self, id: UUID, person_id: UUID) -> None:
        self.person_id = person_id
        self.comment_ids: list[UUID] = []

    @staticmethod
    def id_for(person_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"comments-by:{person_id}")

    class Added(Aggregate.Event):
        comment_id: UUID

    @event(Added)
    def add(self, comment_id: UUID) -> None:
        self.comment_ids.append(comment_id)

    class Closed(Aggregate.Event):
        """Saved with the person's erasure: a comment saved at the same moment makes one of the
        two saves fail (the index moved), so none escapes the erasure's ``AuthorErased``."""

    @event(Closed)
    def close(self) -> None:
        self.closed = True


class HiddenMessage(Aggregate):
    """An operator hid a message taken in from the original Pipeline (a 2014 like's or join's
    text, shown as a comment). Those are the legacy import's own events, so the hiding is an
    aggregate of its own, one per message (its id derived from the message's: twice is refused).
    An operator may un-hide it (``Unhidden``) and hide it again (``HiddenAgain``)."""

    class Hidden(Aggregate.Created):
        message_id: UUID
        reason: str
        actor: UUID

    @event(Hidden)
    def __init__(self, message_id: UUID, reason: str, actor: UUID) -> None:
        self.message_id, self.reason = message_id, reason
        self.hidden = True

    def unhide(self, reason: str, *, actor: UUID) -> None:
        if not self.hidden:
            raise Conflict("This comment is not hidden.")
        self._unhide(message_id=self.message_id, reason=reason, actor=actor)

    class Unhidden(Aggregate.Event):
        message_id: UUID  # named again, so a view finds the message's row from this event alone
        reason: str
        actor: UUID

    @event(Unhidden)
    def _unhide(self, message_id: UUID, reason: str, actor: UUID) -> None:
        self.hidden = False

    def hide_again(self, reason: str, *, actor: UUID) -> None:
        if self.hidden:
            raise Conflict("This comment is already hidden.")
        self._hide_again(message_id=self.message_id, reason=reason, actor=actor)

    class HiddenAgain(Aggregate.Event):
        message_id: UUID
        reason: str
        actor: UUID

    @event(HiddenAgain)
    def _hide_again(self, message_id: UUID, reason: str, actor: UUID) -> None:
        self.reason, self.hidden = reason, True

    @staticmethod
    def id_for(message_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"hidden-message:{message_id}")

    @classmethod
    def create_id(cls, message_id: UUID, reason: str, actor: UUID) -> UUID:
        return cls.id_for(message_id)


def mention_labels(mentions: list[dict[str, Any]]) -> dict[str, str]:
    """label as written -> organisation id, for showing the mentions as links."""
    return {str(m["label"]): str(m["organisation_id"]) for m in mentions}
