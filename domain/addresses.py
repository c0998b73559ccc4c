"""Email addresses in one canonical form, so that two spellings of one mailbox are one.

``mailbox``: which mailbox an address reaches, for "one account per mailbox", finding an
account by its address, and telling which stored mail was sent to whom. Spellings that
reach the same mailbox give the same form:

- surrounding spaces, and letter case (local part too: no mail service we know of tells
  ``Ann`` from ``ann``, and treating them as two would let one mailbox hold two accounts);
- quoting: ``"ann"@x`` is ``ann@x`` (RFC 5321 4.1.2: a quoted string is the same local
  part as its unquoted content), with backslash escapes undone;
- Unicode: NFC, and an internationalised domain in its ASCII (IDNA) spelling, so
  ``bücher.de`` and ``xn--bcher-kva.de`` are one.

``recipient``: whose inbox a message lands in, for the per-recipient mail budget: the
mailbox, with a ``+tag`` after the local part dropped (``ann+1@x`` and ``ann+2@x`` are
delivered to ``ann@x`` by every common mail service; Gmail also ignores dots, and
googlemail.com is gmail.com). Accounts keep ``+tag`` addresses apart (people use them for
separate accounts on purpose); budgets do not.

Both are keys, not addresses to send to: mail goes to the address as it was given."""

from __future__ import annotations

import re
import unicodedata

_ESCAPED = re.compile(r"\\(.)")


def mailbox(address: str) -> str:
    """The canonical form of ``address`` (see the module): equal for spellings of one mailbox."""
    text = unicodedata.normalize("NFC", address.strip())
    local, at, domain = text.rpartition("@")
    if not at:
        return text.casefold()
    return f"{_unquoted(local).casefold()}@{_ascii_domain(domain)}"


# Gmail delivers googlemail.com to gmail.com and ignores every dot in the local part.
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def recipient(address: str) -> str:
    """``mailbox(address)`` without a ``+tag`` (and, at Gmail, without dots): the inbox the
    message lands in."""
    box = mailbox(address)
    local, at, domain = box.rpartition("@")
    base = local.split("+", 1)[0]
    if at and domain in _DOTLESS:
        base, domain = base.replace(".", ""), _DOTLESS[domain]
    return f"{base}@{domain}" if at and base else box


def _unquoted(local: str) -> str:
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        return _ESCAPED.sub(r"\1", local[1:-1])
    return local


def _ascii_domain(domain: str) -> str:
    folded = domain.casefold().rstrip(".")
    if folded.isascii():
        return folded
    try:
        return folded.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDN (a too-long label): the folded text is still one key
        return folded
