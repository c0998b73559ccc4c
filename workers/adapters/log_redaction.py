"""No emailed secret, password or address in any log line (issue 20, item 8).

Reset, verification and unsubscribe links carry their token in the query string, and a
request line is what every access log writes: Flask's development server (embedded
``pipeline serve``), gunicorn's access log (its Referer too), and any error that quotes a
URL. One mechanism covers them all: ``install()`` sets a log record factory, process-wide,
whose records redact their own text. Every logger and handler (ours, werkzeug's,
gunicorn's, RQ's) formats a record through ``getMessage()`` and the record's cached
exception text, so whatever a library logs passes through ``redact`` first.

``redact`` replaces the value of every query (or path) parameter whose name says it is a
secret or an address (``token``, ``password``, ``email``, ``key``, ...) with ``[redacted]``,
and every email address anywhere in the line (also percent-encoded) with ``<address>``.
It cannot recognise a password written anywhere else; none of our log lines carries a
request body, where passwords travel."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

REDACTED = "[redacted]"
# Parameter names that carry secrets or addresses: matched as words inside the name
# (``token``, ``reset_token``, ``api_key``, ``passwd``, ``email``, ``mail_to``...).
_SENSITIVE_WORDS = "token|pass(?:word|wd)?|secret|key|email|mail|sig(?:nature)?|auth|session|code_verifier"
SENSITIVE_NAMES = rf"[\w.\-]*?(?:{_SENSITIVE_WORDS})[\w.\-]*"
PARAMETER = re.compile(rf"(?i)([?&;]{SENSITIVE_NAMES}(?:=|%3D))[^&;\s\"'#]*")
_ATOM = r"[^\s<>()\[\]{}'\",;:/?&=]+"
# A domain's character: a letter or digit of any script (ann@bücher.de, ann@x.рф), a hyphen,
# or one written as %XX (a request line) or \xXX (an SMTP server's reply, shown as bytes).
_DOMAIN_CHAR = r"(?:[^\W_]|-|%[0-9a-f]{2}|\\x[0-9a-f]{2})"
_DOMAIN = rf"(?:{_DOMAIN_CHAR}+(?:\.{_DOMAIN_CHAR}+)+|\[[0-9a-f:.]+\])"  # or an address literal
# dot-atom local parts (an apostrophe inside, as in o'neil), quoted ones ("ann"@), then the domain
ADDRESS = re.compile(rf"(?i)(?:{_ATOM}(?:'{_ATOM})*|(?:\"|%22)[^\"\s]*?(?:\"|%22))(?:@|%40){_DOMAIN}")


def redact(text: str) -> str:
    """``text`` with secret parameters' values and email addresses replaced."""
    if not text:
        return text
    return ADDRESS.sub("<address>", PARAMETER.sub(rf"\1{REDACTED}", text))


class RedactedRecord(logging.LogRecord):
    """A log record whose message, traceback and stack are redacted when formatted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.exc_info and self.exc_info[0] is not None:
            # Formatters use the cached text when it is set: format it once, redacted.
            self.exc_text = redact("".join(traceback.format_exception(*self.exc_info)).rstrip("\n"))
        if self.stack_info:
            self.stack_info = redact(self.stack_info)

    def getMessage(self) -> str:  # logging's name
        return redact(super().getMessage())


def install() -> None:
    """Make every log record in this process a redacted one (idempotent)."""
    if logging.getLogRecordFactory() is not RedactedRecord:
        logging.setLogRecordFactory(RedactedRecord)
