"""Check commit subjects: at most 72 characters, so ``git log --oneline`` and every
review tool show them whole; the why goes in the body.

Run by ``make lint``. Commits before ``SINCE`` (when the rule started to be checked) are
left as history wrote them. In a shallow clone without ``SINCE``, only HEAD is checked.
Exits 1 listing each long subject.

Usage: python tools/check_commits.py [REVISION_RANGE]"""

from __future__ import annotations

import subprocess
import sys

LIMIT = 72
SINCE = "39c3160a"  # the last commit before subjects were checked


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def known(revision: str) -> bool:
    found = subprocess.run(["git", "cat-file", "-e", f"{revision}^{{commit}}"], capture_output=True)
    return found.returncode == 0


def long_subjects(revisions: str) -> list[str]:
    lines = git("log", "--format=%h %s", revisions).splitlines()
    return [line for line in lines if len(line.split(" ", 1)[-1]) > LIMIT]


def main(argv: list[str]) -> int:
    revisions = argv[0] if argv else (f"{SINCE}..HEAD" if known(SINCE) else "HEAD^!")
    found = long_subjects(revisions)
    for line in found:
        print(f"subject over {LIMIT} characters: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
