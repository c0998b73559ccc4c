"""Erasure forgets every name a person ever had, not only the one they signed up with:
each name and job title given later (``PATCH /me``) is gone after an erasure from the raw
database (SQLite file and WAL; every PostgreSQL page), from other people's mail (outbox
rows, the operators' mail log, .eml files) and from every table."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, council_member
from tests.integration.test_erasure_at_rest import raw_bytes, send_waiting_mail
from web.api.mail_log import mail_log
from web.app import create_app
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "pg"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """Either mode, with .eml files written to a directory of this test's own."""
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    rt = build_runtime(dataclasses.replace(settings, outbox_dir=str(tmp_path / "outbox")))
    yield rt
    rt.close()


def variants(*texts: str) -> dict[str, bytes]:
    """Each text as typed, folded and upper-cased: the forms a scan must not find."""
    return {f"{form!r}": form.encode() for text in texts for form in {text, text.casefold(), text.upper()}}


def eml_text(outbox: Path) -> str:
    """Every .eml file, decoded (headers and every part), so an encoded word hides nothing."""
    texts = []
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        texts.append(str(message["Subject"]) + "\n" + path.read_bytes().decode(errors="replace"))
        texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join(texts)


def test_erasure_removes_every_name_the_person_ever_had_from_mail_and_raw_storage(runtime: Runtime) -> None:
    rt, tag = runtime, uuid.uuid4().hex[:10]
    client = create_app(runtime=rt).test_client()
    owner = council_member(rt.app, "WGN", name=f"Project Owner {tag}")
    projects = [
        rt.app.propose_project(owner.id, "alpha", {"title": f"Gritting {n} {tag}", "summary": "s"}).aggregate.id
        for n in range(3)
    ]
    names = [f"Zephyrine Quillfeather {tag}", f"Ottoline Marchbanks {tag}", f"Wilhelmina Pendragon {tag}"]
    titles = [f"Keeper of Hedgerows {tag}", f"Warden of Verges {tag}", f"Surveyor of Culverts {tag}"]
    email = f"zq.{tag}@example.gov.uk"
    body = {"name": names[0], "email": email, "job_title": titles[0], "organisation_code": "WGN"}
    person = client.post("/api/v1/people", json={**body, "password": PASSWORD})
    assert person.status_code == 201, person.json
    person_id = uuid.UUID(person.json["id"])
    rt.app.verify_email(person_id)
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for project, name, title in zip(projects, names, titles, strict=True):
        if name != names[0]:
            changed = client.patch("/api/v1/me", json={"name": name, "job_title": title}, headers=auth)
            assert changed.status_code == 200, changed.json
        assert client.post(f"/api/v1/projects/{project}/follow", headers=auth).status_code == 200
        send_waiting_mail(rt)  # the owner is told "<name> of Wigan Council is following it"
    outbox = Path(rt.settings.outbox_dir)
    told = [m["subject"] for m in mail_log(rt.db, owner.id)["messages"]]
    assert all(any(name in subject for subject in told) for name in names), told  # the scan can see them
    assert all(name in eml_text(outbox) for name in names)
    assert names[-1].encode() in raw_bytes(rt)  # the people view holds the name of now

    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=auth).status_code == 200

    needles = variants(*names, *titles)
    data = raw_bytes(rt)
    assert [label for label, needle in needles.items() if needle in data] == []
    told = [m["subject"] for m in mail_log(rt.db, owner.id)["messages"]]
    assert len(told) >= 3 and all(": Someone of Wigan" in s for s in told if "following" in s)
    left = eml_text(outbox)
    assert [label for label, needle in needles.items() if needle.decode() in left] == []
    assert ": Someone of Wigan" in left  # the owner's mail stays, without the name
    assert rows_naming(rt, [*names, *titles]) == []


def rows_naming(rt: Runtime, texts: list[str]) -> list[Any]:
    """Every row of every table of the read database, as text, that holds one of ``texts``."""
    if rt.db.dialect == "sqlite":
        tables = [r["name"] for r in rt.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    else:
        listed = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        tables = [r["name"] for r in rt.db.query(listed)]
    forms = {form for text in texts for form in (text, text.casefold(), text.upper())}
    return [
        (table, row)
        for table in tables
        for row in rt.db.query(f'SELECT * FROM "{table}"')  # names read from the catalogue
        if any(form in str(row) for form in forms)
    ]


def test_erasure_deletes_the_mail_to_a_quoted_spelling_of_the_persons_address(runtime: Runtime) -> None:
    client, tag = create_app(runtime=runtime).test_client(), uuid.uuid4().hex[:10]
    quoted = f'"local.{tag}"@example.gov.uk'
    body = {"name": f"Quoted Person {tag}", "email": quoted, "organisation_code": "WGN", "password": PASSWORD}
    assert client.post("/api/v1/people", json=body).status_code == 201
    send_waiting_mail(runtime)  # the verification mail, to the address as given
    outbox = Path(runtime.settings.outbox_dir)
    assert quoted in eml_text(outbox)
    token = client.post("/api/v1/sessions", json={"email": quoted, "password": PASSWORD}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}

    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=auth).status_code == 200

    assert list(outbox.glob("*.eml")) == []
