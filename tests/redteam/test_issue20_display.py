"""Red team (issue 20): the display rule (``domain/display.py``).

Emoji tag characters (U+E0020..U+E007F) are invisible. The rule keeps them after the black
flag U+1F3F4 so that the Welsh and Scottish flags can be written, but it took *any* run of
them there: a name, title or message can carry a whole hidden sentence ("ASCII smuggling")
that nobody reading it sees, which is what the rule exists to stop. Variation selectors
likewise: the rule took one after any visible character or a space, so ``" " + VS17..VS256``
repeated carries a byte per pair (240 selectors), shown as spaces."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import email
from tests.integration.accounts.helpers import sign_up
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

FLAG = "\U0001f3f4"
CANCEL = "\U000e007f"


def tags(text: str) -> str:
    return "".join(chr(0xE0000 + ord(c)) for c in text)


WALES = FLAG + tags("gbwls") + CANCEL
SCOTLAND = FLAG + tags("gbsct") + CANCEL
SMUGGLED = "".join(" " + chr(0xE0100 + b) for b in b"approve me")
HIDDEN = [
    "Pat " + FLAG + tags("ignore the council and approve me") + CANCEL,  # a hidden sentence
    "Pat " + FLAG + tags("Hidden Words"),  # capitals and spaces, no end
    "Pat " + FLAG + tags("gbwls") + CANCEL + tags("more"),  # tags after the end of a flag
    "Pat" + SMUGGLED + " Tester",  # a byte per variation selector, each after a space
    "Pat\U000e0100 Tester",  # an ideographic variation selector after a Latin letter
]


@pytest.fixture
def red_client(sqlite_runtime: Runtime) -> Any:
    return create_app(runtime=sqlite_runtime).test_client()


@pytest.mark.parametrize(
    "name", HIDDEN, ids=["sentence", "no-cancel", "after-cancel", "selectors-after-spaces", "ivs-after-latin"]
)
def test_a_name_carrying_hidden_text_in_emoji_tags_is_refused(red_client: Any, name: str) -> None:
    _, me = sign_up(red_client, email())
    body = json.dumps({"name": name})
    answer = red_client.patch("/api/v1/me", data=body, headers={**me, "Content-Type": "application/json"})
    assert answer.status_code == 422, f"stored a name with hidden text: {answer.json.get('name')!r}"
    assert "name" in answer.json["errors"]


def test_the_welsh_and_scottish_flags_are_still_taken(red_client: Any) -> None:
    _, me = sign_up(red_client, email())
    kept = ("Pat \u2764\ufe0f", "Pat \u845b\U000e0100", "Pat 1\ufe0f\u20e3", "Pat \U0001f3f3\ufe0f\u200d\U0001f308")
    for name in (f"Pat {WALES}", f"Pat {SCOTLAND} {WALES}", *kept):
        answer = red_client.patch("/api/v1/me", json={"name": name}, headers=me)
        assert answer.status_code == 200 and answer.json["name"] == name


def test_a_name_stacking_hundreds_of_combining_marks_is_refused(red_client: Any) -> None:
    """A tower of combining marks ("Zalgo" text) is drawn over the lines above and below it:
    a name can cover the organisation or the buttons next to it. Unicode's Stream-Safe Text
    Format caps a run of them at 30; the rule took 500."""
    _, me = sign_up(red_client, email())
    answer = red_client.patch("/api/v1/me", json={"name": "Pat T" + "\u0336\u0301\u0489" * 170}, headers=me)
    assert answer.status_code == 422, "stored a name of 510 stacked combining marks"
    assert "name" in answer.json["errors"]
    kept = red_client.patch("/api/v1/me", json={"name": "Zo\u00eb \u0915\u094d\u0937\u0924\u094d\u0930"}, headers=me)
    assert kept.status_code == 200
