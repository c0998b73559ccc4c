"""Who may be told what, and each person's choices about it.

``KINDS`` is the catalogue of notifications: every message the notifier sends is of one
kind, and each kind but the account's own (a verification link, a password reset) can be
switched off per person. A person's choices live in their ``NotificationPreferences``, one
small aggregate per person (so choosing never contends with their account): the kinds
switched off, how often project news reaches them (at once, or gathered in a daily or weekly
digest) and the interests (tags and words) that a new project is matched against."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from domain.clock import Aggregate, event
from domain.display import display_problem, visible
from domain.errors import ValidationFailed
from domain.organisation import NAMESPACE

IMMEDIATE, DAILY, WEEKLY = "immediate", "daily", "weekly"
FREQUENCIES = (IMMEDIATE, DAILY, WEEKLY)
MAX_TAGS, MAX_WORDS = 20, 20
WORD = re.compile(r"[^\W_](?:[\w'-]{0,38}[^\W_])?")  # one word: letters and digits, inner - or '
_WORDS = re.compile(r"[^\W\d_](?:[\w'-]*[^\W_])?")
# Words too common in council projects to say two of them are alike.
_COMMON = """a about across after all also an and any are as at be been being but by can could do does for from
    had has have how if in into is it its more new not of on or our out over so some such than that the their
    them then there these they this those through to under up us using was we were what when which who will
    with within without you your council councils project projects service services system systems digital
    online tool tools platform local authority authorities public improve improving better pilot"""
STOPWORDS = frozenset(_COMMON.split())


def stem(word: str) -> str:
    """A word without its plural ending: "potholes" and "pothole" are one term."""
    word = word.casefold()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str | None) -> frozenset[str]:
    """The significant words of ``text`` (what a new project is matched on), stemmed:
    three letters or more, no stopwords."""
    found = (w for w in _WORDS.findall((text or "").casefold()) if len(w) >= 3 and w not in STOPWORDS)
    return frozenset(stem(w) for w in found)


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str  # who receives it
    trigger: str  # what sends it
    default_on: bool = True
    switchable: bool = True  # False: the account's own messages, which a person cannot refuse
    digestible: bool = True  # gathered into the digest of someone who chose daily or weekly


_KINDS = (
    Kind(
        "verify-email",
        "the person signing up or changing address",
        "a sign-up, a new address, a request for a new link",
        switchable=False,
        digestible=False,
    ),
    Kind("reset-password", "the account's own address", "a password reset request", switchable=False, digestible=False),
    Kind(
        "email-changed",
        "the address an account gave up",
        "an address change (the email links to undo it)",
        switchable=False,
        digestible=False,
    ),
    Kind("new-follower", "owners and team", "someone follows the project"),
    Kind("need-declared", "owners and team", 'an organisation says "we need this too"'),
    Kind("contribution-request", "owners and team", "someone asks to contribute (the email links to the answer)"),
    Kind("request-reminder", "owners and team", "a contribution request still unanswered after 7 days"),
    Kind("pledge", "owners and team", "a pledge made, amended or withdrawn"),
    Kind("goal-progress", "owners and team", "the goal reaches 80%, and when it is reached"),
    Kind("deadline-soon", "owners and team", "the goal's deadline is a week away"),
    Kind(
        "goal-decided",
        "owners, team, followers, pledgers and people who asked to contribute",
        "the goal is decided at its deadline: met or missed",
    ),
    Kind("request-answered", "the person who asked", "their contribution request approved or declined"),
    Kind(
        "project-archived",
        "owners, team, followers, pledgers and people who asked to contribute",
        "the project archived or restored",
    ),
    Kind("project-news", "followers, pledgers and team", "a status update, a phase change or an edit"),
    Kind(
        "matching-interest",
        "people whose declared interests, or whose organisation's projects, match",
        "a new project is proposed",
    ),
    Kind(
        "nudge",
        "the project's key contact",
        "no status update or edit for PIPELINE_NUDGE_DAYS days (twice at most)",
        digestible=False,
    ),
    Kind(
        "comment",
        "owners, team, followers and pledgers; the author of the comment answered; members of organisations mentioned",
        "a comment or reply on the project, or a mention of your organisation in one",
    ),
    Kind("digest", "people who chose daily or weekly", "once a day or week, if anything happened", digestible=False),
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}
SWITCHABLE = tuple(kind.name for kind in _KINDS if kind.switchable)


def switched_off(kind: str, off: Iterable[str]) -> bool:
    """Whether choices with ``off`` refuse ``kind``: only a known kind one may refuse."""
    known = KINDS.get(kind)
    return known is not None and known.switchable and kind in off


def preferences_id(person_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"notification-preferences:{person_id}")


def tag_problem(tag: str) -> str | None:
    """Why a (trimmed, lower-cased) tag is refused, or None. One rule for projects' tags and
    people's interests: 1 to 50 characters, something visible in it, and what every name
    is held to (:mod:`domain.display`: no bidirectional controls, no invisible fillers)."""
    if not 1 <= len(tag) <= 50:
        return "A tag is 1 to 50 characters."
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in tag) or not visible(tag):
        return "A tag needs a visible letter, digit or sign."
    return display_problem(tag)


def clean_interests(
    tags: list[str] | None, words: list[str] | None, *, new_words: bool = True
) -> tuple[list[str], list[str]]:
    """Tags as projects keep them (trimmed, lower case) and single words, without repeats.
    ``new_words``: the words are being chosen now, so one that could never match is refused
    (words kept from before that check are left alone: they must not block other changes)."""
    tags = list(dict.fromkeys(" ".join(str(t).casefold().split()) for t in tags or ()))
    words = list(dict.fromkeys(str(w).strip().casefold() for w in words or ()))
    if len(tags) > MAX_TAGS or len(words) > MAX_WORDS:
        raise ValidationFailed(f"Choose at most {MAX_TAGS} tags and {MAX_WORDS} words.")
    problems = [problem for t in tags if (problem := tag_problem(t))]
    if problems:
        raise ValidationFailed(problems[0])
    bad = [w for w in words if not WORD.fullmatch(w) or display_problem(w)]  # U+3164 is a "letter"
    if bad:
        raise ValidationFailed(
            f"A word is one word of up to 40 letters or digits (inner - or ' allowed); not: {', '.join(bad[:5])}."
        )
    silent = [w for w in words if new_words and terms(w) != {stem(w)}]  # a project's text never yields it
    if silent:
        raise ValidationFailed(
            "A word must start with a letter, have 3 letters or more and not be too common in council"
            " projects to tell them apart (such as 'council', 'digital', 'service'), or it never matches;"
            f" not: {', '.join(silent[:5])}."
        )
    return tags, words


def check_kinds(names: list[str]) -> list[str]:
    unknown = sorted(set(names) - set(SWITCHABLE))
    if unknown:
        raise ValidationFailed(
            f"Unknown or unswitchable notification kind(s): {', '.join(unknown)}. Known: {', '.join(SWITCHABLE)}."
        )
    return sorted(set(names))


class NotificationPreferences(Aggregate):
    """One per person, made the first time they choose anything."""

    class Chosen(Aggregate.Created):
        person_id: UUID
        frequency: str
        off: list[str]
        tags: list[str]
        words: list[str]

    @event(Chosen)
    def __init__(
        self, id: UUID, person_id: UUID, frequency: str, off: list[str], tags: list[str], words: list[str]
    ) -> None:
        self.person_id = person_id
        self.frequency, self.off, self.tags, self.words = frequency, list(off), list(tags), list(words)

    def choose(self, frequency: str, off: list[str], tags: list[str], words: list[str]) -> bool:
        """Record the new choices; False if they are what is recorded already."""
        if (frequency, sorted(off), tags, words) == (self.frequency, sorted(self.off), self.tags, self.words):
            return False
        self._change(person_id=self.person_id, frequency=frequency, off=sorted(off), tags=tags, words=words)
        return True

    class Changed(Aggregate.Event):
        person_id: UUID
        frequency: str
        off: list[str]
        tags: list[str]
        words: list[str]

    @event(Changed)
    def _change(self, person_id: UUID, frequency: str, off: list[str], tags: list[str], words: list[str]) -> None:
        self.frequency, self.off, self.tags, self.words = frequency, list(off), list(tags), list(words)

    def unsubscribe(self, kind: str) -> bool:
        """Switch one kind off from an email's link; False if it was off already."""
        if kind in self.off:
            return False
        self._unsubscribe(person_id=self.person_id, kind=kind)  # the person acts, through their link
        return True

    class Unsubscribed(Aggregate.Event):
        person_id: UUID
        kind: str

    @event(Unsubscribed)
    def _unsubscribe(self, person_id: UUID, kind: str) -> None:
        self.off = sorted({*self.off, kind})

    def wants(self, kind: str) -> bool:
        return not switched_off(kind, self.off)

    def as_dict(self) -> dict[str, Any]:
        return {"frequency": self.frequency, "off": list(self.off), "tags": list(self.tags), "words": list(self.words)}


DEFAULTS: dict[str, Any] = {"frequency": IMMEDIATE, "off": [], "tags": [], "words": []}


def choices_of(preferences: NotificationPreferences | None) -> dict[str, Any]:
    """A person's choices as a fresh dict: theirs, or the defaults if they never chose."""
    found = preferences.as_dict() if preferences is not None else DEFAULTS
    return {key: list(value) if isinstance(value, list) else value for key, value in found.items()}
