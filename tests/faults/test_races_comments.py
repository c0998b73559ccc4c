"""Races in the discussion: an author's edit and an operator's hide at the same moment, and a
comment posted as its author erases themselves.

Invariants: nothing edits a comment after it was hidden; every comment of an erased person
records what the erasure did to it (none escapes it); every call either lands or is refused
cleanly (a domain error, or a version conflict answered 409)."""

from __future__ import annotations

from functools import partial

import pytest

from domain.comment import Comment
from tests.faults.races import at_once, event_names, landed, officer, self_erasure
from workers.runtime.bootstrap import Runtime

pytestmark = [pytest.mark.races, pytest.mark.faults]
TRIES = 6


def test_an_edit_and_a_hide_at_the_same_moment_never_edit_a_hidden_comment(race_runtime: Runtime) -> None:
    app = race_runtime.app
    author, _ = officer(race_runtime, "WGN")
    moderator, _ = officer(race_runtime, "KTT")
    app.set_operator(app.reveal(moderator)["email"], True)
    project = app.propose_project(author.id, "alpha", {"title": "Raced", "summary": "s"}).aggregate.id
    for n in range(TRIES):
        comment = app.post_comment(project, author.id, f"First words {n}").aggregate.id
        edited, hidden = at_once(
            partial(app.edit_comment, comment, author.id, f"Second words {n}"),
            partial(app.hide_comment, comment, moderator.id, "Off topic"),
        )
        assert landed(hidden), hidden  # a hide never loses: it is decided again on the edited comment
        names = event_names(race_runtime, comment)
        assert names[-1] == "Hidden", names
        assert names.count("Edited") == (1 if landed(edited) else 0), (names, edited)


def test_a_comment_posted_as_its_author_is_erased_never_escapes_the_erasure(race_runtime: Runtime) -> None:
    app = race_runtime.app
    owner, _ = officer(race_runtime, "WGN")
    project = app.propose_project(owner.id, "alpha", {"title": "Raced", "summary": "s"}).aggregate.id
    for n in range(TRIES):
        author, _ = officer(race_runtime, "LDS")
        if n % 2:
            app.post_comment(project, author.id, "An earlier comment")
        posted, erased = at_once(
            partial(app.post_comment, project, author.id, f"Last words {n}"),
            self_erasure(race_runtime, author.id),
        )
        if not landed(erased):  # lost to the comment's save (409): the person erases again
            app.erase(author.id, actor=author.id)
        assert app.get_person(author.id).erased
        if landed(posted):
            kept: Comment = app.get_comment(posted.aggregate.id)
            assert kept.author_erased, "a comment escaped its author's erasure"
