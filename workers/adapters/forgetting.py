"""Forgetting an erased person in stored mail: their names in other people's messages
(outbox rows, digest items, .eml files) and the .eml files sent to them.

A name is found as words of its own (a short name inside a longer word is left alone), in
any letter case, with any run of white space between its words (a wrapped line), and in
each form a message may hold it: as typed, HTML-escaped by Python and by Jinja (which
escape an apostrophe differently). An .eml file is read as a mail client reads it (encoded
words and quoted-printable decoded), so an encoding never hides a name."""

from __future__ import annotations

import html as html_lib
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from markupsafe import escape

from domain.addresses import mailbox

log = logging.getLogger(__name__)
INSTEAD = "Someone"  # as messages written after the erasure name them (``workers.notify.notices.base.name_of``)
_ESCAPES: tuple[Callable[[str], str], ...] = (str, html_lib.escape, lambda text: str(escape(text)))


class Names:
    """The names to forget, as one pattern, and the words a database can look for first."""

    def __init__(self, names: Iterable[str]) -> None:
        words = {tuple(name.split()) for name in names if name and name.split()}
        forms = {tuple(esc(word) for word in name) for name in words for esc in _ESCAPES}
        alternatives = sorted((r"\s+".join(map(re.escape, form)) for form in forms), key=len, reverse=True)
        self.pattern = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE) if forms else None
        longest = {max(form, key=len) for form in forms}  # every match holds one of these
        self.probes = sorted({variant for word in longest for variant in (word, word.lower(), word.upper())})

    def __bool__(self) -> bool:
        return self.pattern is not None

    def replaced(self, text: str, instead: str = INSTEAD) -> str:
        return self.pattern.sub(instead, text) if self.pattern and text else text


def forget_eml_files(directory: Path, addresses: Iterable[str], names: Names) -> tuple[int, int]:
    """Delete every .eml file sent to one of ``addresses`` (compared as mailboxes) and take
    ``names`` out of every other; returns (deleted, rewritten)."""
    theirs = {mailbox(address) for address in addresses if address}
    deleted = rewritten = 0
    for path in sorted(directory.glob("*.eml")) if directory.is_dir() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if not isinstance(message, EmailMessage):  # policy.default always gives one
            continue
        recipients = {mailbox(a) for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))}
        if recipients & theirs:
            path.unlink(missing_ok=True)
            deleted += 1
        elif names and _rewritten(path, message, names):
            rewritten += 1
    return deleted, rewritten


def _rewritten(path: Path, message: EmailMessage, names: Names) -> bool:
    try:
        changed = _rewrite(message, names)
    except (LookupError, ValueError):  # a part in a charset or shape we never write: say which file
        log.warning("erasure: could not read %s to take names out of it; check it by hand", path.name)
        return False
    if changed:
        _replace(path, bytes(message))
    return changed


def _rewrite(message: EmailMessage, names: Names) -> bool:
    changed = False
    subject = str(message.get("Subject", ""))
    if names.replaced(subject) != subject:
        del message["Subject"]
        message["Subject"] = names.replaced(subject)
        changed = True
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text" or not isinstance(part, EmailMessage):
            continue
        text = part.get_content()
        if names.replaced(text) != text:
            cte = "8bit" if part.get_content_subtype() == "plain" else "quoted-printable"  # as the outbox writes
            part.set_content(names.replaced(text), subtype=part.get_content_subtype(), cte=cte)
            changed = True
    return changed


def _replace(path: Path, content: bytes) -> None:
    """Write the new content beside the file, then move it over: never half a message."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
