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

# The hashes of a heading written without a space. The closing hashes are stripped by hand:
# a lazy title before optional spaces, hashes and spaces backtracks in cubic time on a long
# run of spaces (``#a`` + 20,000 spaces + ``x`` took hours).
_TIGHT_OPENING = re.compile(r"(#{1,6})(?=[^#\s])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INDENTED = re.compile(r"^(?: {4}|\t)")


def _spaced(line: str) -> str:
    """``##Plan##`` as ``## Plan``; any other line as it is."""
    opening = _TIGHT_OPENING.match(line)
    if opening is None:
        return line
    title = line[opening.end() :].rstrip(" \t").rstrip("#").rstrip(" \t")
    return f"{opening.group(1)} {title}"


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
            line = _spaced(line)
        previous_blank = not line.strip()
        lines.append(line)
    return "\n".join(lines)
