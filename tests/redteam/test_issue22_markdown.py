"""Red team (issue 22): the original Pipeline's Markdown dialect (``###Heading###``).

The heading rule was one regular expression with a lazy title followed by optional spaces,
hashes and spaces to the end of the line. On a line starting ``#a`` followed by a long run
of spaces and any other character, it backtracks in cubic time: 2,000 spaces took about 7
seconds, and the 20,000 characters a description may hold take hours. The description is
rendered by the projects view, so one proposal stalled every view behind it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.test_moderation_api import join, propose
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


@pytest.fixture
def client(any_runtime: Runtime) -> Any:
    return create_app(runtime=any_runtime).test_client()


def test_a_heading_line_of_spaces_is_rendered_in_linear_time(client: Any) -> None:
    _, owner, _ = join(client, "KTT")
    spaces = "#a" + " " * 2500 + "x"
    started = time.monotonic()
    url = propose(client, owner, description=f"###Plan###\n\n{spaces}\n\n##Done")
    client.application.extensions["pipeline"].catch_up()
    assert time.monotonic() - started < 1.5, "proposing and viewing one description took seconds"
    shown = client.get(url).json["description_html"]
    assert "<h3>Plan</h3>" in shown and "<h2>Done</h2>" in shown
    assert "<h1>a" in shown and shown.count(" ") >= 2500 - 10, "the spaced line is still one heading"
