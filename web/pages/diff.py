"""A word-level diff of two texts for the history page: what was removed in ``<del>``, what
was added in ``<ins>``, each announced to screen readers (which skip the elements' meaning),
all of it escaped. The page's CSS lets it wrap however long a word is."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

TOKENS = re.compile(r"\s+|\S+\s*")  # each word with the spaces after it: a changed phrase is one change
MAX_PAIRS = 250_000  # words before x words after matched one by one at most (about 500 x 500)
HIDDEN = '<span class="govuk-visually-hidden">{}</span>'


def words(text: str) -> list[str]:
    return TOKENS.findall(text)


def _marked(tag: str, said: str, tokens: list[str]) -> str:
    if not tokens:
        return ""
    start, end = HIDDEN.format(f"{said} start."), HIDDEN.format(f"{said} end.")
    return f'<{tag} class="pipeline-diff__{tag}">{start}{escape("".join(tokens))}{end}</{tag}>'


def _common(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many words the two texts share at their start, and then at their end."""
    start = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    most = min(len(old), len(new)) - start
    end = next((i for i in range(most) if old[-1 - i] != new[-1 - i]), most)
    return start, end


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The diff's steps: the words both start and end with are kept as they are (linear);
    what lies between is matched word by word, unless that would take too long (matching
    costs more than the square of the word count), when it reads removed, then added."""
    start, end = _common(old, new)
    middle_old, middle_new = len(old) - end, len(new) - end
    steps = [("equal", 0, start, 0, start)] if start else []
    if (middle_old - start) * (middle_new - start) <= MAX_PAIRS:
        matcher = SequenceMatcher(None, old[start:middle_old], new[start:middle_new], autojunk=False)
        steps += [(op, i1 + start, i2 + start, j1 + start, j2 + start) for op, i1, i2, j1, j2 in matcher.get_opcodes()]
    else:
        steps.append(("replace", start, middle_old, start, middle_new))
    return steps + ([("equal", middle_old, len(old), middle_new, len(new))] if end else [])


def word_diff(before: str, after: str) -> Markup:
    """``before`` turned into ``after``, word by word."""
    old, new = words(before), words(after)
    parts: list[str] = []
    for op, i1, i2, j1, j2 in _opcodes(old, new):
        if op == "equal":
            parts.append(str(escape("".join(old[i1:i2]))))
            continue
        parts.append(_marked("del", "Removed", old[i1:i2]))
        parts.append(_marked("ins", "Added", new[j1:j2]))
    return Markup("".join(parts))  # noqa: S704 (every piece of text is escaped above)
