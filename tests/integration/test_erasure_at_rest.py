"""Erasure that holds at rest: after an erasure, the raw bytes of the database files
(SQLite's main file and WAL; every PostgreSQL page read with pageinspect) hold no
trace of the person's name, email, job title or key, and their .eml files are gone."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from projections.db import sqlite_path
from tests.factories import PASSWORD
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


def raw_bytes(rt: Runtime) -> bytes:
    """Every byte the database keeps on disk for our data (SQLite), or every page of every
    table, index and TOAST table of the database, live or dead rows alike (PostgreSQL)."""
    url = rt.settings.database_url
    if url.startswith("sqlite:"):
        path = Path(sqlite_path(url))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        relations = conn.execute(
            "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 't', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND c.relpersistence = 'p'"
        ).fetchall()
        assert any(name == "people" for name, _ in relations)
        pages = [
            bytes(conn.execute("SELECT get_raw_page(%s, %s)", (name, block)).fetchone()[0])
            for name, blocks in relations
            for block in range(blocks)
        ]
    return b"".join(pages)


def traces(rt: Runtime, needles: dict[str, bytes]) -> list[str]:
    data = raw_bytes(rt)
    return [label for label, needle in needles.items() if needle in data]


def sign_up(client, tag: str, *, name: str, job_title: str) -> tuple[str, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    email = f"zephyrine.quillfeather.{tag}@example.gov.uk"
    body = {"name": name, "email": email, "job_title": job_title, "organisation_code": "WGN", "password": PASSWORD}
    person = client.post("/api/v1/people", json=body)
    assert person.status_code == 201, person.json
    token = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).json["token"]
    return person.json["id"], email, {"Authorization": f"Bearer {token}"}


def send_waiting_mail(rt: Runtime) -> None:
    rt.catch_up()  # production mode: what a worker would do (its notifier writes the mail)
    for message_id in rt.outbox.unsent():
        rt.outbox.send(message_id)


def key_forms(key: bytes) -> dict[str, bytes]:
    return {
        "key": key,
        "key (base64)": base64.b64encode(key),
        "key (urlsafe base64)": base64.urlsafe_b64encode(key),
        "key (hex)": key.hex().encode(),
    }


def test_after_an_erasure_the_raw_database_holds_no_name_email_job_title_or_key(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    tag = uuid.uuid4().hex
    name, new_name = f"Zephyrine Quillfeather-Vantablack {tag}", f"Zephyrine Marchbanks-Ottoline {tag}"
    job_title = f"Principal Cartographer of Municipal Hedgerows {tag}"
    person_id, email, auth = sign_up(client, tag, name=name, job_title=job_title)
    assert client.patch("/api/v1/me", json={"name": new_name}, headers=auth).status_code == 200  # a dead row
    key = runtime.keys.secrets([uuid.UUID(person_id)])[uuid.UUID(person_id)]
    send_waiting_mail(runtime)
    runtime.catch_up()
    needles = {
        "name": name.encode(),
        "new name": new_name.encode(),
        "email": email.encode(),
        "job title": job_title.encode(),
        **key_forms(key),
    }
    assert {"new name", "job title"} <= set(traces(runtime, needles))  # the scan sees the people view's rows

    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=auth).status_code == 200

    assert traces(runtime, needles) == []
    assert client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).status_code == 401


def test_an_erasure_deletes_the_persons_eml_files_and_no_one_elses(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    tag = uuid.uuid4().hex
    _, email, auth = sign_up(client, tag, name=f"Erased Person {tag}", job_title="Analyst")
    _, other_email, _ = sign_up(client, "other" + tag, name=f"Staying Person {tag}", job_title="Analyst")
    send_waiting_mail(runtime)  # before the change: a link to a superseded address is not sent
    changed = f"second.address.{tag}@example.gov.uk"
    assert (
        client.patch("/api/v1/me", json={"email": changed, "current_password": PASSWORD}, headers=auth).status_code
        == 200
    )
    send_waiting_mail(runtime)
    outbox = Path(runtime.settings.outbox_dir)
    # two verifications for the first address and the second, and the notice to the first
    assert len(list(outbox.glob("*.eml"))) == 4

    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=auth).status_code == 200

    left = [path.read_bytes() for path in outbox.glob("*.eml")]
    assert len(left) == 1 and other_email.encode() in left[0]
    assert not any(address.encode() in content for content in left for address in (email, changed))


def test_the_sqlite_file_never_holds_an_unwrapped_key(sqlite_runtime: Runtime) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    people = [sign_up(client, uuid.uuid4().hex, name=f"Person {i}", job_title=None)[0] for i in range(3)]  # type: ignore[arg-type]
    keys = sqlite_runtime.keys.secrets(uuid.UUID(p) for p in people)
    assert len(keys) == 3
    needles = {f"{label} of {person}": form for person, key in keys.items() for label, form in key_forms(key).items()}
    index_key = sqlite_runtime.keys._email_index_key()
    needles.update({f"index {label}": form for label, form in key_forms(index_key).items()})

    assert traces(sqlite_runtime, needles) == []
