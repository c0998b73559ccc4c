"""The log redaction (issue 20, item 8): what a log line keeps and what it loses."""

from __future__ import annotations

import logging

import pytest

from workers.adapters.log_redaction import RedactedRecord, install, redact


@pytest.mark.parametrize(
    ("line", "kept", "lost"),
    [
        ('"GET /verify-email?token=abc-DEF_123 HTTP/1.1" 200 -', "/verify-email?token=[redacted] HTTP/1.1", "abc-DEF"),
        ("/unsubscribe?kind=pledge&token=s3cr3t.sig", "kind=pledge&token=[redacted]", "s3cr3t"),
        ("/sign-in?email=ann%40x.gov.uk&password=hunter22", "password=[redacted]", "hunter22"),
        ("/reset-password;reset_token=xyz", ";reset_token=[redacted]", "xyz"),
        ("/api/v1/people/ann@wigan.gov.uk", "/api/v1/people/<address>", "wigan"),
        ("/api/v1/people/ann%40wigan.gov.uk", "/api/v1/people/<address>", "wigan"),
        ("To: Ann <ann.o'neil+x@wigan.gov.uk>", "To: Ann <<address>>", "wigan"),
        ("/api/v1/projects?q=waste&min_position=12", "/api/v1/projects?q=waste&min_position=12", "[redacted]"),
    ],
)
def test_secrets_and_addresses_leave_a_log_line_and_the_rest_stays(line: str, kept: str, lost: str) -> None:
    assert kept in redact(line)
    assert lost not in redact(line)


def test_a_record_redacts_its_arguments_and_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    install()
    assert logging.getLogRecordFactory() is RedactedRecord
    log = logging.getLogger("tests.redaction")
    try:
        raise ValueError("no account for bob@kingston.gov.uk at /reset-password?token=t0k3n")
    except ValueError:
        log.exception("refused %s", "/verify-email?token=another")
    text = caplog.text
    assert "bob@kingston" not in text and "t0k3n" not in text and "another" not in text
    assert "token=[redacted]" in text and "<address>" in text and "ValueError" in text


@pytest.mark.parametrize("address", ['"ann"@wigan.gov.uk', "%22ann%22%40wigan.gov.uk", "ANN@WIGAN.GOV.UK"])
def test_quoted_and_encoded_addresses_are_addresses_too(address: str) -> None:
    assert redact(f"refused {address} today") == "refused <address> today"
