"""A word-level diff of two texts for the history page: what was removed in ``<del>``, what
was added in ``<ins>``, each announced to screen readers (which skip the elements' meaning),
all of it escaped. The page's CSS lets it wrap however long a word is."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

TOKENS = re.compile(r"\s+|\S+\s*")  # each word with the spaces after it: a changed phrase is one change
HIDDEN = '<span class="govuk-visually-hidden">{}</span>'


def words(text: str) -> list[str]:
    return TOKENS.findall(text)


def _marked(tag: str, said: str, tokens: list[str]) -> str:
    if not tokens:
        return ""
    start, end = HIDDEN.format(f"{said} start."), HIDDEN.format(f"{said} end.")
    return f'<{tag} class="pipeline-diff__{tag}">{start}{escape("".join(tokens))}{end}</{tag}>'


def word_diff(before: str, after: str) -> Markup:
    """``before`` turned into ``after``, word by word."""
    old, new = words(before), words(after)
    parts: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(str(escape("".join(old[i1:i2]))))
            continue
        parts.append(_marked("del", "Removed", old[i1:i2]))
        parts.append(_marked("ins", "Added", new[j1:j2]))
    return Markup("".join(parts))  # noqa: S704 (every piece of text is escaped above)
