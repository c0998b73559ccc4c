"""Red team (issue 20, item 8): addresses the log redaction did not recognise.

The API takes internationalised addresses (``ann@bücher.de``, ``ann@x.рф``) and address
literals (``ann@[192.0.2.1]``): marshmallow's Email validator accepts them. The redaction
only knew ASCII domains ending in ASCII letters, so such an address stayed in full in a log
line: a refused recipient's SMTP error (the traceback the dispatcher logs when a message is
not sent names it twice, once as text and once as the server's bytes), or a request line
carrying it percent-encoded."""

from __future__ import annotations

import logging
import smtplib

import pytest

from workers.adapters.log_redaction import install, redact

ADDRESSES = ["ann@bücher.de", "ännä@bücher.de", "ann@x.рф", "ann@[192.0.2.1]"]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_smtp_refusal_of_an_international_address_leaves_no_address_in_the_log(
    address: str, caplog: pytest.LogCaptureFixture
) -> None:
    install()
    log = logging.getLogger("tests.redteam.redaction")
    reply = f"5.1.1 <{address}>: Recipient address rejected".encode()
    try:
        raise smtplib.SMTPRecipientsRefused({address: (550, reply)})
    except smtplib.SMTPRecipientsRefused:
        log.warning("email %s not sent; it stays in the outbox", "m-1", exc_info=True)
    text = caplog.text
    assert "SMTPRecipientsRefused" in text
    domain = address.partition("@")[2]
    assert domain not in text, f"{domain!r} left in the log: {text}"
    assert "b\\xc3\\xbccher" not in text and "\\xd1\\x80\\xd1\\x84" not in text  # the server's bytes


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v1/organisations?q=ann%40b%C3%BCcher.de HTTP/1.1",
        "GET /api/v1/organisations?q=ann%40x.%D1%80%D1%84 HTTP/1.1",
        "refused ann@bücher.de today",
    ],
)
def test_an_encoded_international_address_in_a_request_line_is_redacted(line: str) -> None:
    assert "ann" not in redact(line) and "<address>" in redact(line)
