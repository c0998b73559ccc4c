"""The Markdown dialect project text is written in: CommonMark, plus the one habit of the
original Pipeline's dialect (Markdown.pl rules, as MarkdownSharp implemented them) that
CommonMark reads differently: an ATX heading needs no space after its hashes there
(``###Heading###``), and its closing hashes go whatever precedes them.

Applied to every project text, imported or not: an imported text edited today keeps the
same rendering, and the only lines read differently are those starting with hashes
directly followed by a letter or digit, outside code blocks (``#hashtag`` on a line of
its own is a heading, as it was in the original)."""

from __future__ import annotations

import re

_TIGHT_HEADING = re.compile(r"^(#{1,6})([^#\s][^\n]*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED = re.compile(r"^(?: {4}|\t)")


def original_headings(text: str) -> str:
    """``text`` with each heading written without a space (``##Plan##``) spelt as
    CommonMark reads one (``## Plan``); everything else, code blocks included, as it is."""
    lines, fence, previous_blank = [], "", True
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            fence = "" if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) else fence
        elif opening:
            fence = opening.group(1)
        elif not (previous_blank and _INDENTED.match(line)):
            line = _TIGHT_HEADING.sub(r"\1 \2", line)
        previous_blank = not line.strip()
        lines.append(line)
    return "\n".join(lines)
