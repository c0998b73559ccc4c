"""Issue 20, item 11: impostor organisations. A name that displays like a council's or
another organisation's (Cyrillic letters, a Ukrainian і) is refused at every door that
names an organisation, naming what it looks like, with nothing stored."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD
from tests.hostile import census, is_problem
from tests.support import LEGACY_SAMPLE
from web.app import create_app
from workers.history.legacy.file import read
from workers.history.legacy.importer import import_legacy
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

CYRILLIC_HULL = "\u041dull City Council"  # Н: Cyrillic capital en
UKRAINIAN_HULL = "Hull City Counc\u0456l"  # і: Cyrillic small byelorussian-ukrainian i
CYRILLIC_WIGAN = "W\u0456gan"  # Wigan's short name, with a Cyrillic і


def client_for(runtime: Runtime) -> Any:
    return create_app(runtime=runtime).test_client()


def email() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


def founder(client: Any, organisation_name: str, kind: str = "supplier") -> Any:
    body = {
        "name": "Sam",
        "email": email(),
        "password": PASSWORD,
        "organisation_name": organisation_name,
        "organisation_kind": kind,
    }
    return client.post("/api/v1/people", json=body)


def signed_in_founder(client: Any, organisation_name: str) -> tuple[str, dict[str, str]]:
    created = founder(client, organisation_name)
    assert created.status_code == 201, created.json
    rt = client.application.extensions["pipeline"]
    person = uuid.UUID(created.json["id"])
    rt.app.verify_email(person)
    address = rt.app.reveal(rt.app.get_person(person))["email"]
    token = client.post("/api/v1/sessions", json={"email": address, "password": PASSWORD}).json["token"]
    return created.json["organisation"]["id"], {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "name", [CYRILLIC_HULL, UKRAINIAN_HULL, "HULL CITY COUNC\u0406L", "\u04bbull c\u0456ty council"]
)
def test_signing_up_an_organisation_named_like_a_council_is_refused_naming_the_council(
    any_runtime: Runtime, name: str
) -> None:
    client = client_for(any_runtime)
    before = census(any_runtime)
    refused = founder(client, name, kind="public_body")
    assert is_problem(refused, 409, 422), (refused.status_code, refused.json)
    assert "Hull City Council (KHL)" in refused.json["detail"]
    assert census(any_runtime) == before


def test_signing_up_an_organisation_named_like_another_organisation_is_refused(any_runtime: Runtime) -> None:
    client = client_for(any_runtime)
    original = f"Acme {uuid.uuid4().hex[:6]} Ltd"
    assert founder(client, original).status_code == 201
    before = census(any_runtime)
    impostor = "\u0410" + original[1:]  # А: Cyrillic capital a
    refused = founder(client, impostor)
    assert is_problem(refused, 409, 422), (refused.status_code, refused.json)
    assert f"'{original}'" in refused.json["detail"]
    assert census(any_runtime) == before


def test_renaming_an_organisation_to_look_like_a_council_or_another_is_refused(any_runtime: Runtime) -> None:
    client = client_for(any_runtime)
    other = f"Widgets {uuid.uuid4().hex[:6]} Ltd"
    assert founder(client, other).status_code == 201
    org, headers = signed_in_founder(client, f"Gadgets {uuid.uuid4().hex[:6]} Ltd")
    for name, looks_like in ((CYRILLIC_WIGAN, "(WGN)"), (other.replace("i", "\u0456"), f"'{other}'")):
        before = census(any_runtime)
        renamed = client.patch(f"/api/v1/organisations/{org}", json={"name": name}, headers=headers)
        assert is_problem(renamed, 409), (renamed.status_code, renamed.json)
        assert looks_like in renamed.json["detail"]
        assert census(any_runtime) == before
    kept = client.patch(f"/api/v1/organisations/{org}", json={"name": "Gadgets Cymru Cyf"}, headers=headers)
    assert kept.status_code == 200, kept.json


def test_moving_to_an_organisation_named_like_a_council_is_refused_naming_it(any_runtime: Runtime) -> None:
    client = client_for(any_runtime)
    _, headers = signed_in_founder(client, f"Gizmos {uuid.uuid4().hex[:6]} Ltd")
    before = census(any_runtime)
    moved = client.patch(
        "/api/v1/me", json={"organisation_name": CYRILLIC_HULL, "organisation_kind": "public_body"}, headers=headers
    )
    assert is_problem(moved, 409, 422), (moved.status_code, moved.json)
    assert "Hull City Council (KHL)" in moved.json["detail"]
    assert {"code": "KHL", "name": "Hull City Council"} in moved.json["candidates"]
    assert census(any_runtime) == before


def test_a_legacy_file_naming_a_lookalike_organisation_does_not_create_it_and_says_so(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    file = tmp_path / "legacy.sqlite"
    shutil.copy(LEGACY_SAMPLE, file)
    with sqlite3.connect(file) as connection:
        connection.executescript(
            "INSERT INTO pipeline_orgs (id, orgname) VALUES (900, '\u0410cme Digital Ltd');"
            "UPDATE roadkill_users SET orgid = 900 WHERE username = 'user5';"
        )
    connection.close()
    report = import_legacy(any_runtime, read(file))
    any_runtime.catch_up()
    refused = [u for u in report.unplaced if u.startswith("organisation 900 ")]
    assert refused and "looks the same as 'Acme Digital Ltd'" in refused[0], report.unplaced
    names = [r["name"] for r in any_runtime.db.query("SELECT name FROM organisations")]
    assert "Acme Digital Ltd" in names and "\u0410cme Digital Ltd" not in names


def test_a_legacy_file_with_a_hidden_character_in_a_name_is_refused_whole(any_runtime: Runtime, tmp_path: Path) -> None:
    file = tmp_path / "legacy.sqlite"
    shutil.copy(LEGACY_SAMPLE, file)
    with sqlite3.connect(file) as connection:
        connection.executescript(
            "UPDATE pipeline_orgs SET orgname = 'Acme\u202eLtd' WHERE id = 365;"
            "UPDATE roadkill_pages SET title = '\u3164' WHERE id = 3;"
        )
    connection.close()
    with pytest.raises(Exception, match="nothing written") as refused:
        read(file)
    assert "orgname 'Acme\\u202eLtd' cannot be shown as stored" in str(refused.value)
    assert "title '\u3164' cannot be shown as stored" in str(refused.value)


def test_organisations_recorded_before_names_were_compared_are_claimed_at_init(any_runtime: Runtime) -> None:
    from domain.lookalike import claim_existing_names
    from domain.organisation import Organisation, OrganisationName
    from projections import runner

    app = any_runtime.app
    original = f"Acme {uuid.uuid4().hex[:6]} Ltd"
    old = Organisation(kind="supplier", name=original)  # as a sign-up saved it before: no look-alike keys
    impostor_then = Organisation(kind="supplier", name="\u0410" + original[1:])
    app.save(old, OrganisationName(name=original, organisation_id=old.id))
    app.save(impostor_then, OrganisationName(name=impostor_then.name, organisation_id=impostor_then.id))
    assert claim_existing_names(app) == [impostor_then.name]  # the clash recorded before is told, not hidden
    head = runner.head(app)
    assert claim_existing_names(app) == [impostor_then.name] and runner.head(app) == head  # idempotent
    client = client_for(any_runtime)
    refused = founder(client, original.replace("e", "\u0435"))  # е: Cyrillic small ie
    assert is_problem(refused, 409, 422) and f"'{original}'" in refused.json["detail"], refused.json


def test_look_alike_names_signed_up_at_the_same_moment_make_one_organisation(pg_settings: Any) -> None:
    from domain.application import OrganisationRef, PipelineApplication
    from domain.errors import DomainError
    from domain.organisation import Organisation
    from tests.factories import email as council_free_email
    from tests.integration.test_concurrent_sign_ups import in_parallel, recorded
    from workers.runtime.bootstrap import build_runtime

    for _round in range(int(os.environ.get("LOOKALIKE_RACE_ROUNDS", "8"))):
        stem = f"Race {uuid.uuid4().hex[:6]} Ltd"
        spellings = [stem, stem.replace("a", "\u0430"), stem.replace("e", "\u0435"), stem.replace("d", "\u0501")]

        def sign_up(app: PipelineApplication, i: int, spellings: list[str] = spellings) -> Any:
            ref = OrganisationRef(name=spellings[i], kind="supplier")
            return app.sign_up(
                name=f"Racer {i}", email=council_free_email(), job_title=None, organisation=ref, password=PASSWORD
            )

        results = in_parallel(len(spellings), pg_settings, sign_up)
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1, [r if isinstance(r, Exception) else r.organisation.name for r in results]
        assert all(isinstance(r, DomainError) for r in results if r not in winners), results
        rt = build_runtime(pg_settings)
        created = [e for e in recorded(rt.app, Organisation.Registered) if e.name in spellings]
        rt.close()
        assert [e.originator_id for e in created] == [winners[0].aggregate.organisation_id]
