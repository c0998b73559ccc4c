"""An erased person's names leave stored .eml files however the mail encoded them, and
the files sent to any spelling of their address go; other words and other mail stay."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from workers.adapters.forgetting import Names
from workers.adapters.mail import FileSender


def written(directory: Path, to: str, subject: str, text: str, html: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "p@pipeline.invalid", to, subject
    message.set_content(text, cte="8bit")
    message.add_alternative(html, subtype="html", cte="quoted-printable")  # as the outbox writes them
    FileSender(directory).send(message)


def decoded(path: Path) -> str:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    parts = [str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join([str(message["Subject"]), *parts])


def test_names_leave_eml_files_in_every_encoding_and_mail_to_the_person_goes(tmp_path: Path) -> None:
    name = "Zoë O'Brien-Łukasiewicz"  # non-ASCII: an RFC 2047 subject; an apostrophe: &#39; in HTML
    long_line = "x " * 60
    written(
        tmp_path,
        "owner@example.gov.uk",
        f"Gritting: {name} of Wigan is following it",
        f"{long_line}Zoë\nO'Brien-Łukasiewicz followed it. Zoëy and Almond stay.",
        f"<p>{long_line}Zoë O&#39;Brien-Łukasiewicz followed it</p>",
    )
    written(tmp_path, '"Zoe.OBrien"@Example.gov.uk', "Confirm your email address", "Hello", "<p>Hello</p>")
    assert name.encode("utf-8") not in b"".join(p.read_bytes() for p in tmp_path.glob("*.eml"))  # encoded

    changed = FileSender(tmp_path).forget(["zoe.obrien@example.gov.uk"], Names([name]))

    files = list(tmp_path.glob("*.eml"))
    assert changed == 2 and len(files) == 1  # the verification mail to her (another spelling) is gone
    text = decoded(files[0])
    assert "Zoë" not in text.replace("Zoëy", "") and "Łukasiewicz" not in text and "O'Brien" not in text
    assert "Gritting: Someone of Wigan is following it" in text
    assert "Someone followed it. Zoëy and Almond stay." in text  # a wrapped name found; other words kept
    assert "Someone followed it</p>" in text  # the HTML part, with its apostrophe escaped as Jinja does


def test_the_pattern_finds_a_name_in_any_case_but_never_inside_a_longer_word() -> None:
    names = Names(["Al Smith"])
    assert names.replaced("AL SMITH, al  smith and Al Smithers met Sal Smith") == (
        "Someone, Someone and Al Smithers met Sal Smith"
    )
