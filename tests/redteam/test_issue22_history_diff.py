"""Red team (issue 22): the history page's word diff of long text.

The diff ran ``difflib.SequenceMatcher`` over every word of both versions, without its
junk heuristic: its time grows faster than the square of the word count when words
repeat. Two descriptions of 20,000 characters made of a few dozen words in another
order took over ten seconds to draw, and the history page (which anyone may read) draws
one per edit: a few such edits kept a server worker busy for minutes on every visit."""

from __future__ import annotations

import time

import pytest

from tests.integration.test_moderation_api import join, propose
from web.app import create_app
from web.pages.diff import word_diff
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def shuffled(step: int) -> str:
    return " ".join(f"w{(i * step) % 50}" for i in range(6500))[:19_990]


def test_a_history_of_long_rewrites_is_drawn_in_bounded_time(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    _, owner, _ = join(client, "KTT")
    url = propose(client, owner, description=shuffled(1))
    assert client.patch(url, json={"description": shuffled(7)}, headers=owner).status_code == 200
    sqlite_runtime.catch_up()
    started = time.monotonic()
    page = client.get(f"{url.removeprefix('/api/v1')}/history")
    assert page.status_code == 200
    assert time.monotonic() - started < 2, "one edit's diff took seconds to draw"
    assert 'class="pipeline-diff__del"' in page.get_data(as_text=True)


def test_a_small_change_in_a_long_text_is_still_shown_word_by_word() -> None:
    before = "Intro words. " * 500 + "Book a bulky collection by phone today." + " Closing words." * 500
    after = before.replace("by phone today", "online, from any council's site")
    drawn = str(word_diff(before, after))
    assert drawn.count("pipeline-diff__del") == 1 and drawn.count("pipeline-diff__ins") == 1
    removed = drawn.split('<del class="pipeline-diff__del">')[1].split("</del>")[0]
    assert "phone" in removed and "Intro" not in removed and "Closing" not in removed
