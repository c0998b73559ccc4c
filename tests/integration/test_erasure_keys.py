"""Key-encryption keys: production refuses to start without one, the embedded mode makes
one, and a rotation leaves copies made before it useless once the old KEK is gone."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from projections.db import ReadDatabase
from tests import support
from tests.factories import PASSWORD
from web.app import create_app
from workers.adapters.kek import Kek, KeyRing, UnknownKek, parse_ring
from workers.adapters.keys import KeyStore
from workers.runtime.bootstrap import Runtime, build_runtime
from workers.runtime.settings import Settings

pytestmark = pytest.mark.integration


def sign_up(rt: Runtime, email: str, name: str) -> UUID:
    client = create_app(runtime=rt).test_client()
    body = {"name": name, "email": email, "organisation_code": "KTT", "password": PASSWORD}
    answer = client.post("/api/v1/people", json=body)
    assert answer.status_code == 201, answer.json
    return UUID(answer.json["id"])


def signs_in(rt: Runtime, email: str) -> bool:
    client = create_app(runtime=rt).test_client()
    return client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).status_code == 201


def stored_keys(db: ReadDatabase) -> list[dict]:
    return db.query("SELECT * FROM person_keys ORDER BY person_id")


def restore(db: ReadDatabase, rows: list[dict]) -> None:
    """Put back person_keys rows as a backup (or a dead tuple) from before would have them."""
    with db.transaction() as tx:
        tx.execute("DELETE FROM person_keys")
        tx.execute_many(
            "INSERT INTO person_keys (person_id, kek_id, wrapped, created_at) VALUES"
            " (:person_id, :kek_id, :wrapped, :created_at)",
            rows,
        )


def test_after_a_rotation_the_old_kek_opens_nothing_and_the_new_one_opens_everything(any_runtime: Runtime) -> None:
    db, old, new = any_runtime.db, any_runtime.keys.ring.current, Kek.generate()
    emails = {sign_up(any_runtime, f"rotation.{i}.{new.id}@kingston.gov.uk", f"Rotated {i}"): i for i in range(2)}
    index_ids = {email: any_runtime.keys.email_index_id(email) for email in ("x@example.org", "y@example.org")}
    backup = stored_keys(db)

    rotation = KeyStore(db, KeyRing([new, old])).rotate()

    assert (rotation.rewrapped, rotation.usage) == (3, {new.id: 3})  # two people and the email index key
    only_new, only_old = KeyStore(db, KeyRing([new])), KeyStore(db, KeyRing([old]))
    person = any_runtime.app.get_person(next(iter(emails)))
    assert only_new.open(person.id, person.name) == f"Rotated {emails[person.id]}"
    assert {email: only_new.email_index_id(email) for email in index_ids} == index_ids  # the index did not move
    with pytest.raises(UnknownKek):
        only_old.secrets(emails)
    for row in stored_keys(db):  # not even by trying it regardless of the id
        with pytest.raises(ValueError):
            old.unwrap(row["wrapped"], b"person-key:" + UUID(row["person_id"]).bytes)
    restore(db, backup)  # a copy from before the rotation...
    with pytest.raises(UnknownKek):
        only_new.secrets(emails)  # ...opens with nothing but the old KEK, which is then destroyed


def test_production_refuses_to_start_without_a_key_encryption_key(pg_url: str, queue_name: str) -> None:
    env = support.pipeline_env(
        DATABASE_URL=pg_url, REDIS_URL=support.REDIS_URL, PIPELINE_QUEUE=queue_name, PIPELINE_SECRET_KEY=""
    )
    for command in (["init"], ["serve"], ["worker", "--burst"]):
        result = subprocess.run(
            [str(support.BIN / "pipeline"), *command], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode != 0, command
        assert "No key-encryption key" in result.stderr and "PIPELINE_SECRET_KEY_FILE" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_embedded_init_makes_a_private_key_file_that_rotate_and_retire_replace(tmp_path: Path) -> None:
    env = support.pipeline_env(DATABASE_URL=f"sqlite:///{tmp_path}/var/pipeline.sqlite3", PIPELINE_SECRET_KEY="")
    assert "Created the key-encryption key" in support.run_cli("init", env=env, cwd=tmp_path)
    key_file = tmp_path / "var" / "pipeline.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    [old] = parse_ring(key_file.read_text())
    rt = build_runtime(Settings.from_env(env))
    try:
        person_id = sign_up(rt, "keyfile@kingston.gov.uk", "Key File")
        backup = stored_keys(rt.db)
    finally:
        rt.close()

    assert "Rewrapped 2 keys" in support.run_cli("keys", "rotate", env=env, cwd=tmp_path)
    new = parse_ring(key_file.read_text())[0]
    assert parse_ring(key_file.read_text()) == [new, old]  # the old one kept until retired
    assert "Removed" in support.run_cli("keys", "retire", env=env, cwd=tmp_path)

    assert parse_ring(key_file.read_text()) == [new] and new != old
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    rt = build_runtime(Settings.from_env(env))
    try:
        assert signs_in(rt, "keyfile@kingston.gov.uk")
        restore(rt.db, backup)
        with pytest.raises(UnknownKek):
            rt.keys.secrets([person_id])
    finally:
        rt.close()


def test_keys_of_more_people_than_one_statement_takes_are_read(any_runtime: Runtime) -> None:
    """`pipeline init` reads every person's key at once: at 1M events that is 259,200 people,
    more ids than PostgreSQL (65,535) or SQLite (32,766) take as one statement's parameters."""
    keys = any_runtime.keys
    people = [sign_up(any_runtime, f"many.keys.{i}.{uuid4().hex[:6]}@kingston.gov.uk", f"Many {i}") for i in range(3)]
    asked = [uuid4() for _ in range(70_000)] + people  # most have no key: only the three are found
    found = keys.secrets(asked)
    assert sorted(found) == sorted(people)
    assert all(found[p] == keys.secrets([p])[p] for p in people)
