"""Tag renames: what an operator decided a tag is now called.

A rename (or a merge, when the new name is already in use) is recorded twice over:
``Project.TagRenamed`` on every project that had the old tag, so every view applies it as
it applies an edit, and one ``TagAlias`` per old name, so that a project proposed or
edited later with the old name gets the new one (``current_tags``). The alias is looked
up by a deterministic id, as the other index aggregates are."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.organisation import NAMESPACE

MAX_HOPS = 20  # a chain of renames longer than this is cut short, never followed for ever


class TagAlias(Aggregate):
    """The old name ``old`` now reads ``new`` (until someone gives ``old`` back its meaning)."""

    class Renamed(Aggregate.Created):
        old: str
        new: str
        actor: UUID
        reason: str

    @event(Renamed)
    def __init__(self, old: str, new: str, actor: UUID, reason: str) -> None:
        self.old, self.new = old, new
        self.active = True
        self.moves: list[tuple[str, datetime]] = [(new, self.created_on)]  # (to, when): every rename of ``old``

    def move_after(self, moment: datetime) -> tuple[str, datetime] | None:
        """The first rename of ``old`` after ``moment`` (what moved the projects that were
        given ``old`` then), or None: they still have it."""
        return next(((new, at) for new, at in self.moves if at > moment), None)

    @staticmethod
    def id_for(tag: str) -> UUID:
        return uuid5(NAMESPACE, f"tag-alias:{tag}")

    @classmethod
    def create_id(cls, old: str, new: str, actor: UUID, reason: str) -> UUID:
        return cls.id_for(old)

    def point_to(self, new: str, *, actor: UUID, reason: str) -> bool:
        """Rename the old name again (False if it already reads ``new``)."""
        if self.active and self.new == new:
            return False
        self._point(new=new, actor=actor, reason=reason)
        return True

    class Repointed(Aggregate.Event):
        new: str
        actor: UUID
        reason: str

        def apply(self, aggregate: TagAlias) -> None:  # an explicit apply: it needs the event's time
            aggregate.new, aggregate.active = self.new, True
            aggregate.moves.append((self.new, self.timestamp))

    def _point(self, new: str, actor: UUID, reason: str) -> None:
        self.trigger_event(self.Repointed, new=new, actor=actor, reason=reason)

    class Retired(Aggregate.Event):
        actor: UUID
        reason: str

    @event(Retired)
    def retire(self, actor: UUID, reason: str) -> None:
        """The old name is a tag in its own right again (something was renamed to it)."""
        self.active = False


def current_tag(tag: str, alias_of: Callable[[str], TagAlias | None]) -> str:
    """What a project given ``tag`` now is tagged: the name its alias points to, then each later
    rename of that name, in time (a→b, then b→c, gives c). A name renamed *before* the alias
    pointed to it is not followed (that rename moved other projects), nor is one made a tag
    of its own again *after* the projects moved on: a→b, b→c, then x→b (b reused) still
    gives c for a, where a's projects went, as every view and ``interest_tag_aliases`` have it."""
    alias = alias_of(tag)
    if alias is None or not alias.active:
        return tag
    tag, since = alias.moves[-1]
    for _hop in range(MAX_HOPS):
        alias = alias_of(tag)
        move = alias.move_after(since) if alias is not None else None
        if move is None:
            return tag
        tag, since = move
    return tag


def current_tags(tags: Iterable[str], alias_of: Callable[[str], TagAlias | None]) -> list[str]:
    return list(dict.fromkeys(current_tag(tag, alias_of) for tag in tags))
