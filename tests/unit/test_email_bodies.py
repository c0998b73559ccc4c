"""Email bodies: text and HTML from templates, user text escaped, the footer's links, and the
RFC 8058 headers an outbox row becomes."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from typing import Any

from workers.adapters.mail import Outbox
from workers.notify import emails


def test_user_text_in_a_title_is_escaped_in_html_and_kept_as_is_in_text() -> None:
    text, html = emails.render(
        "project-news", name="Ann", detail='<img src=x onerror="alert(1)">', title="Bins & <b>", link="https://p/x"
    )
    assert '<img src=x onerror="alert(1)">' in text and "Bins & <b>" in text
    assert "<img" not in html and "&lt;img src=x" in html and "Bins &amp; &lt;b&gt;" in html


def test_the_footer_carries_the_unsubscribe_and_preferences_links_only_when_one_may_unsubscribe() -> None:
    text, html = emails.framed(
        "Hello,\n\nNews: https://p/projects/1",
        None,
        subject="S",
        unsubscribe_url="https://p/unsubscribe?token=abc",
        kind_label="project news",
        preferences_url="https://p/account/notifications",
    )
    assert "Stop these emails: https://p/unsubscribe?token=abc" in text
    assert '<a href="https://p/unsubscribe?token=abc">' in html and '<a href="https://p/projects/1">' in html
    text, html = emails.framed(
        "Verify", None, subject="S", unsubscribe_url=None, kind_label="verify email", preferences_url="https://p/a"
    )
    assert "unsubscribe" not in text.lower() and "unsubscribe" not in html.lower()
    assert "https://p/a" in text


def built(row: dict[str, Any]) -> Message:
    outbox = Outbox(db=None, sender=None, from_address="Pipeline <no-reply@example.org>")  # type: ignore[arg-type]
    return message_from_bytes(bytes(outbox._build(row)))


def test_an_outbox_row_with_an_unsubscribe_link_becomes_one_click_headers_and_two_alternatives() -> None:
    row = {
        "recipient": "ann@example.gov.uk",
        "subject": "Bins: a status update",
        "body": "Hello\n",
        "html": "<p>Hello</p>" + "x" * 2000,  # a long line: must not break SMTP's line limit
        "unsubscribe_url": "https://p/unsubscribe?token=abc",
    }
    message = built(row)
    assert message["List-Unsubscribe"] == "<https://p/unsubscribe?token=abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [part.get_content_type() for part in message.walk()][1:] == ["text/plain", "text/html"]
    assert max(len(line) for line in bytes(message.as_bytes()).splitlines()) <= 998


def test_a_verification_message_has_no_unsubscribe_header() -> None:
    message = built({"recipient": "a@b.gov.uk", "subject": "Confirm", "body": "Link\n", "html": None})
    assert message["List-Unsubscribe"] is None and not message.is_multipart()


def test_every_try_of_one_outbox_row_carries_the_same_message_id() -> None:
    row = {"id": "4f1c", "recipient": "a@b.gov.uk", "subject": "S", "body": "B\n", "html": None}
    assert built(row)["Message-ID"] == built(dict(row))["Message-ID"] == "<4f1c@pipeline.local>"
