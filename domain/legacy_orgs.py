"""Placing the original Pipeline's free-text organisation names in the council register.

A name is tried as typed, with its abbreviations spelt out ("Hertfordshire CC" ->
"Hertfordshire County Council" or "... City Council") and, for "Derry (City of
Londonderry)", each part on its own. It is placed in a council only when every reading
that finds one finds the same one; a reading that is not exact is accepted only with a
clear lead over the next candidate, and the score is reported. Anything else is not a
council: the import creates it (or lists it), never merges it silently."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.names import EXACT, Candidate, NameMatcher, normalise

FUZZY_ACCEPT = 0.7  # below this a typed name is not taken to be a council
FUZZY_LEAD = 0.1  # ... nor when another council scores within this of the best

EXACT_MATCH, ALIAS, FUZZY, AMBIGUOUS, NOT_FOUND = "exact", "alias", "fuzzy", "ambiguous", "not in the register"

# Trailing abbreviations and what they may stand for (CC is a county or a city council).
_TRAILING = {
    "cc": ("County Council", "City Council"),
    "bc": ("Borough Council",),
    "dc": ("District Council",),
    "mbc": ("Metropolitan Borough Council",),
    "mdc": ("Metropolitan District Council",),
    "cbc": ("County Borough Council",),
    "rbc": ("Borough Council",),
}
_LEADING = {"lb": "London Borough of", "lbc": "London Borough of", "rb": "Royal Borough of"}


@dataclass(frozen=True)
class Placement:
    """How one name was placed: ``code`` is set when it is a council of the register."""

    name: str
    how: str  # exact | alias | fuzzy | ambiguous | not in the register
    code: str | None = None
    council: str | None = None  # the register's name for it
    current: bool = True
    score: float | None = None
    reading: str | None = None  # the reading that found it, when not the name as typed
    candidates: tuple[Candidate, ...] = ()

    def describe(self) -> str:
        if self.code is not None:
            text = f"{self.how}: {self.code} {self.council}" + ("" if self.current else " (abolished)")
            if self.score is not None and self.score < EXACT:
                text += f", score {self.score:.2f}"
            return text + (f", read as '{self.reading}'" if self.reading else "")
        nearest = ", ".join(f"{c.key} {c.name} {c.score:.2f}" for c in self.candidates[:3])
        return self.how + (f" (nearest: {nearest})" if nearest else "")


def readings(name: str) -> list[str]:
    """The name as typed, then with abbreviations spelt out, then each bracketed part."""
    typed = " ".join(name.split())
    found = [typed]
    words = typed.split(" ")
    last, first = words[-1].strip(".").casefold(), words[0].strip(".").casefold()
    if len(words) > 1 and last in _TRAILING:
        found += [" ".join([*words[:-1], full]) for full in _TRAILING[last]]
    if len(words) > 1 and first in _LEADING:
        found.append(" ".join([_LEADING[first], *words[1:]]))
    bracketed = re.fullmatch(r"(.+?)\s*\((.+)\)\s*", typed)
    if bracketed:
        for part in bracketed.groups():
            found += readings(part)
    return list(dict.fromkeys(r for r in found if normalise(r)))


def place(name: str, matcher: NameMatcher, official: dict[str, str]) -> Placement:
    """Where ``name`` belongs in the register. ``official``: code -> official name
    (normalised), to tell an official name from an alternative one."""
    found: dict[str, tuple[float, str, Candidate]] = {}
    near: list[Candidate] = []
    for reading in readings(name):
        result = matcher.resolve(reading, suggest=False)
        if result.status == "resolved" and result.key:
            best = result.candidates[0] if result.candidates[0].key == result.key else result.candidates[-1]
            if result.key not in found or found[result.key][0] < best.score:
                found[result.key] = (best.score, reading, best)
        else:
            near += list(result.candidates) or matcher.search(reading, 3)
    if len(found) > 1:
        return Placement(name, AMBIGUOUS, candidates=tuple(c for _, _, c in found.values()))
    if found:
        ((code, (score, reading, candidate)),) = found.items()
        return _accepted(name, code, score, reading, candidate, matcher, official)
    return _fuzzy(name, _best_first(near))


def _accepted(
    name: str, code: str, score: float, reading: str, candidate: Candidate, matcher: NameMatcher, official: dict
) -> Placement:
    typed = reading == " ".join(name.split())
    if score >= EXACT:
        how = EXACT_MATCH if typed and normalise(name) == official.get(code) else ALIAS
        return Placement(name, how, code, candidate.name, candidate.current, score, None if typed else reading)
    others = [c for c in matcher.search(reading, 4) if c.key != code]
    if others and others[0].score > score - FUZZY_LEAD:
        return Placement(name, AMBIGUOUS, candidates=(candidate, *others[:2]))
    return Placement(name, FUZZY, code, candidate.name, candidate.current, score, None if typed else reading)


def _fuzzy(name: str, near: list[Candidate]) -> Placement:
    """Only suggestions: the best is taken only if it scores well, well ahead of the next."""
    if not near or near[0].score < FUZZY_ACCEPT:
        return Placement(name, NOT_FOUND, candidates=tuple(near[:3]))
    if len(near) > 1 and near[1].score > near[0].score - FUZZY_LEAD:
        return Placement(name, AMBIGUOUS, candidates=tuple(near[:3]))
    best = near[0]
    return Placement(name, FUZZY, best.key, best.name, best.current, best.score)


def _best_first(candidates: list[Candidate]) -> list[Candidate]:
    best: dict[str, Candidate] = {}
    for c in candidates:
        if c.key not in best or best[c.key].score < c.score:
            best[c.key] = c
    return sorted(best.values(), key=lambda c: (-c.score, not c.current, c.name))
