"""Check the relative links of every tracked Markdown file: each must name a file or folder
that exists, and each ``#anchor`` must name a heading of its target (GitHub's slugs).

Run by ``make lint``; exits 1 listing every broken link as ``file:line: link (why)``.
Links with a scheme (https:, mailto:) are not fetched: the check is offline and fast.

Usage: python tools/check_links.py [FILE.md ...]   (default: every *.md git tracks)"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the text as shown, lower case, punctuation but
    hyphens and underscores dropped, each space a hyphen."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags show nothing
    text = text.lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor a Markdown file offers: its headings' slugs (a repeated slug gets -1,
    -2 ...), and explicit ``<a name>``/``<a id>`` anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        found.update(HTML_ANCHOR.findall(line))
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def links(text: str) -> Iterator[tuple[int, str]]:
    """Each link target written in the prose (inline links, images, reference definitions),
    with its line; code spans are skipped, since a path in backticks is not a link."""
    for number, line in prose_lines(text):
        plain = CODE_SPAN.sub("", line)
        for match in INLINE_LINK.finditer(plain):
            yield number, match.group(1)
        definition = REFERENCE_DEF.match(plain)
        if definition:
            yield number, definition.group(1)


def problem(source: Path, target: str) -> str | None:
    """Why a link from ``source`` is broken, or None when it resolves (or is not ours to check)."""
    if not target or SCHEME.match(target) or target.startswith("//"):
        return None
    path_part, _, anchor = target.partition("#")
    path_part = path_part.split("?", 1)[0]
    resolved = (ROOT / path_part.lstrip("/")) if path_part.startswith("/") else (source.parent / path_part)
    resolved = resolved.resolve() if path_part else source
    if not resolved.exists():
        return "no such file"
    if anchor and resolved.is_file() and resolved.suffix == ".md" and anchor.lower() not in anchors(resolved):
        return f"no heading #{anchor} in {display(resolved)}"
    return None


def display(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def broken_links(files: Iterable[Path]) -> list[str]:
    """``file:line: target (why)`` for every broken link in ``files``."""
    report = []
    for source in files:
        for number, target in links(source.read_text(encoding="utf-8")):
            why = problem(source.resolve(), target)
            if why:
                report.append(f"{display(source.resolve())}:{number}: {target} ({why})")
    return report


def tracked_markdown() -> list[Path]:
    """The Markdown files git tracks or would track (never node_modules, .venv or other ignored files)."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.md"]
    listed = subprocess.run(command, cwd=ROOT, capture_output=True, check=True, text=True).stdout
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).exists()]


def main(argv: list[str]) -> int:
    files = [Path(name) for name in argv] or tracked_markdown()
    report = broken_links(files)
    for line in report:
        print(line)
    if report:
        print(f"{len(report)} broken link(s) in {len(files)} Markdown file(s).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
