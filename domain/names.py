"""Organisation names: normalisation, "core" names and a tiered name matcher.

Generic over any kind of organisation; councils are only the first user.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

# Words that say what kind of body an organisation is, not which one.
_BODY_WORDS = {"council", "corporation", "authority", "unitary", "combined", "mayoral", "ua", "ca", "cca", "mca"}
_AREA_WORDS = {"borough", "boro", "district", "city", "county", "metropolitan", "royal"}
TYPE_WORDS = frozenset(_BODY_WORDS | _AREA_WORDS)
# Two-word type phrases whose first word is a place name only inside the phrase.
TRAILING_PHRASES = (("london", "borough"), ("london", "boro"))
# Words that can open a leading "<type words> of" phrase ("city and county of").
LEADING_WORDS = TYPE_WORDS | {"london", "and"}
# Joining words that mean nothing when left dangling at either end.
CONNECTIVES = frozenset({"the", "of", "and"})

EXACT, CORE, PREFIX, FUZZY_CAP = 1.0, 0.95, 0.85, 0.8
THRESHOLD = 0.55
SUGGESTIONS = 5


def normalise(text: str) -> str:
    """Accent-free, case-folded words separated by single spaces."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    decomposed = unicodedata.normalize("NFKD", text)
    # Accents go, and so do invisible format characters (soft hyphen, zero-width space):
    # "Kings\u00adton" must not pass for a name of its own.
    kept = (ch for ch in decomposed if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    plain = "".join(kept).casefold()
    plain = plain.replace("&", " and ").replace("+", " and ")
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def core_name(text: str) -> str:
    """The normalised name without organisation type words ("wigan", "camden")."""
    normalised = normalise(text)
    words = normalised.split()
    while True:
        stripped = _strip_trailing(_strip_leading(_trim(words)))
        if stripped == words:
            break
        words = stripped
    return " ".join(words) or normalised


def _trim(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in CONNECTIVES:
        start += 1
    while end > start and words[end - 1] in CONNECTIVES:
        end -= 1
    return words[start:end]


def _strip_leading(words: list[str]) -> list[str]:
    """Drop a "<type words> of" opening, unless only type words would remain."""
    for i, word in enumerate(words):
        if word == "of" and i > 0:
            rest = words[i + 1 :]
            if any(w not in LEADING_WORDS and w not in CONNECTIVES for w in rest):
                return rest
            return words
        if word not in LEADING_WORDS:
            return words
    return words


def _strip_trailing(words: list[str]) -> list[str]:
    if tuple(words[-2:]) in TRAILING_PHRASES:
        return words[:-2]
    if words and words[-1] in TYPE_WORDS:
        return words[:-1]
    return words


@dataclass(frozen=True)
class Candidate:
    """One organisation a name may mean; `name` is its display (first) name."""

    key: str
    name: str
    score: float
    current: bool


@dataclass(frozen=True)
class Resolution:
    """Outcome of resolve(): candidates are the keys matched at the deciding tier,
    best first, or "did you mean" suggestions when the status is unknown."""

    status: Literal["resolved", "ambiguous", "unknown"]
    key: str | None
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class _Entry:
    key: str
    name: str
    current: bool
    normalised: frozenset[str]
    cores: tuple[str, ...]


class NameMatcher:
    """Resolves and searches free-text names against known organisations."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str], bool]]) -> None:
        self._entries: dict[str, _Entry] = {}
        self._by_norm: dict[str, set[str]] = {}
        self._by_core: dict[str, set[str]] = {}
        for key, names, current in entries:
            self._add(key, list(names), bool(current))
        self._sorted_cores = sorted(self._by_core)
        self._vocab = sorted({w for c in self._by_core for w in c.split()} - CONNECTIVES)

    def _add(self, key: str, names: list[str], current: bool) -> None:
        if key in self._entries:
            raise ValueError(f"duplicate key {key!r}")
        if not names:
            raise ValueError(f"no names for key {key!r}")
        normalised = frozenset(n for n in map(normalise, names) if n)
        cores = tuple(dict.fromkeys(c for c in map(core_name, names) if c))
        self._entries[key] = _Entry(key, names[0], current, normalised, cores)
        for name in normalised:
            self._by_norm.setdefault(name, set()).add(key)
        for core in cores:
            self._by_core.setdefault(core, set()).add(key)

    def resolve(self, text: str, *, suggest: bool = True) -> Resolution:
        """Resolve a typed name to one key, several candidates, or suggestions (unless
        ``suggest`` is False: they cost a fuzzy pass over every name)."""
        norm, core = normalise(text), core_name(text)
        if not norm:
            return Resolution("unknown", None, ())
        exact = self._by_norm.get(norm, set())
        if exact:
            return self._decide(exact, EXACT, prefer_current=True)
        same_core = self._by_core.get(core, set())
        if same_core:
            return self._decide(same_core, CORE, prefer_current=True)
        prefixed = self._prefixed(core)
        if prefixed:
            return self._decide(prefixed, PREFIX, prefer_current=False)
        return Resolution("unknown", None, tuple(self.search(text, SUGGESTIONS)) if suggest else ())

    def _decide(self, keys: set[str], score: float, *, prefer_current: bool) -> Resolution:
        found = tuple(sorted((self._candidate(k, score) for k in keys), key=_rank))
        if len(found) == 1:
            return Resolution("resolved", found[0].key, found)
        current = [c for c in found if c.current]
        if prefer_current and len(current) == 1:
            return Resolution("resolved", current[0].key, found)
        return Resolution("ambiguous", None, found)

    def _prefixed(self, core: str) -> set[str]:
        stem = core + " "
        keys: set[str] = set()
        i = bisect.bisect_left(self._sorted_cores, stem)
        while i < len(self._sorted_cores) and self._sorted_cores[i].startswith(stem):
            keys |= self._by_core[self._sorted_cores[i]]
            i += 1
        return keys

    def _candidate(self, key: str, score: float) -> Candidate:
        entry = self._entries[key]
        return Candidate(key, entry.name, round(score, 4), entry.current)

    def search(self, text: str, limit: int = 20) -> list[Candidate]:
        """Best-first candidates scoring at least THRESHOLD, one per key."""
        norm, core = normalise(text), core_name(text)
        if not norm or limit <= 0:
            return []
        fuzzy = _Fuzzy(core, self._vocab)
        found = []
        for entry in self._entries.values():
            score = _score(entry, norm, core, fuzzy)
            if score >= THRESHOLD:
                found.append(self._candidate(entry.key, score))
        return sorted(found, key=_rank)[:limit]


def _rank(candidate: Candidate) -> tuple[float, bool, str, str]:
    return (-candidate.score, not candidate.current, candidate.name.casefold(), candidate.key)


def _score(entry: _Entry, norm: str, core: str, fuzzy: _Fuzzy) -> float:
    if norm in entry.normalised:
        return EXACT
    if core in entry.cores:
        return CORE
    if any(c.startswith(core + " ") for c in entry.cores):
        return PREFIX
    return FUZZY_CAP * max(map(fuzzy.score, entry.cores), default=0.0)


def _similar(matcher: SequenceMatcher, text: str, floor: float) -> float:
    """SequenceMatcher ratio against matcher's seq2, or 0 when surely below floor."""
    matcher.set_seq1(text)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= floor else 0.0


class _Fuzzy:
    """Typo-tolerant similarity of one query's core name to other core names."""

    WORD_FLOOR = 0.75

    def __init__(self, core: str, vocab: Iterable[str]) -> None:
        self._whole = SequenceMatcher(autojunk=False)
        self._whole.set_seq2(core)
        self._words = [self._word_scores(w, vocab) for w in core.split() if w not in CONNECTIVES]
        self._cache: dict[str, float] = {}

    def _word_scores(self, word: str, vocab: Iterable[str]) -> dict[str, float]:
        """Each vocabulary word like `word`: 1 same, 0.9 starts with it, else ratio."""
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(word)
        scores = {}
        for other in vocab:
            if other == word:
                scores[other] = 1.0
            elif len(word) >= 3 and other.startswith(word):
                scores[other] = 0.9
            else:
                whole = _similar(matcher, other, self.WORD_FLOOR)
                start = 0.0
                if len(word) >= 4:  # a misspelt start of a longer word
                    start = 0.9 * _similar(matcher, other[: len(word)], self.WORD_FLOOR)
                if max(whole, start) > 0:
                    scores[other] = max(whole, start)
        return scores

    def score(self, core: str) -> float:
        if core not in self._cache:
            whole = _similar(self._whole, core, THRESHOLD / FUZZY_CAP)
            self._cache[core] = max(whole, self._token_score(core))
        return self._cache[core]

    def _token_score(self, core: str) -> float:
        """Query words found in the name, less a little for name words left over."""
        tokens = [t for t in core.split() if t not in CONNECTIVES]
        if not self._words or not tokens:
            return 0.0
        found = [max((s.get(t, 0.0) for t in tokens), default=0.0) for s in self._words]
        used = sum(1 for t in tokens if any(t in s for s in self._words))
        return sum(found) / len(found) * (0.8 + 0.2 * used / len(tokens))
