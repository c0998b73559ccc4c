"""What the read paths' speed-ups must not change: kept stats and tags never answer from
before a write the client waited for, the CSV's keyset pages miss and repeat nothing while
projects are added, and SQLite's full-text rows follow each edit. Both databases."""

from __future__ import annotations

import uuid

import pytest

from domain.application import OrganisationRef
from projections import insights
from tests.factories import PASSWORD
from tests.integration.test_insights import client, member, propose
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration


def test_kept_stats_and_tags_never_answer_from_before_a_write_the_client_waited_for(any_runtime: Runtime) -> None:
    rt = any_runtime
    owner, backer = member(rt, "MAN"), member(rt, "LDS")
    project = propose(rt, owner, "Bin collection", ["waste"])
    api = client(rt)
    before = api.get("/api/v1/stats").get_json()
    assert api.get("/api/v1/tags").get_json()["items"] == [{"tag": "waste", "project_count": 1}]
    assert api.get("/api/v1/stats").get_json() == before  # answered again, from what was kept

    pledged = rt.app.make_pledge(
        project, backer, {"money": "250.00", "days": "1", "contributions": ["testing"], "message": None}
    ).position
    proposed = propose(rt, backer, "Parking permits", ["parking", "waste"])
    position = max(pledged or 0, rt.app.recorder.max_notification_id() or 0)
    rt.catch_up()

    after = api.get(f"/api/v1/stats?min_position={position}").get_json()
    assert (after["pledges"]["count"], after["pledges"]["money"]) == (before["pledges"]["count"] + 1, "250.00")
    assert after["projects"]["total"] == before["projects"]["total"] + 1
    tags = api.get(f"/api/v1/tags?min_position={position}").get_json()["items"]
    assert tags == [{"tag": "waste", "project_count": 2}, {"tag": "parking", "project_count": 1}]
    assert proposed


def test_the_csv_pages_miss_and_repeat_nothing_while_projects_are_added(any_runtime: Runtime) -> None:
    rt = any_runtime
    person = member(rt, "MAN")
    first = [propose(rt, person, f"Project {i}", ["waste"]) for i in range(7)]
    rt.catch_up()
    batches = insights.export_batches(rt.db, {}, size=2)
    seen = [record["id"] for record in next(batches)]
    added = []
    for batch in batches:  # between pages, more projects arrive (newer: they sort last)
        seen += [record["id"] for record in batch]
        if len(added) < 3:
            added.append(propose(rt, person, f"Late {len(added)}", ["waste"]))
            rt.catch_up()
    assert len(seen) == len(set(seen)), "a project came twice"
    assert {str(p) for p in first} <= set(seen), "a project that was there all along is missing"
    assert seen[: len(first)] == [str(p) for p in first]  # oldest first
    ordered = rt.db.query("SELECT id FROM projects ORDER BY created_at, id")
    assert seen == [r["id"] for r in ordered][: len(seen)]


def test_sqlite_full_text_rows_follow_each_edit_and_only_the_latest_text_matches(sqlite_runtime: Runtime) -> None:
    rt = sqlite_runtime
    person = member(rt, "MAN")
    project = propose(rt, person, "Bin collection", ["waste"])
    other = propose(rt, person, "Library loans", ["libraries"])
    for title in ("Bulky waste", "Garden waste", "Recycling rounds"):
        rt.app.edit_project(project, {"title": title}, person)
    api = client(rt)
    found = {
        q: [p["id"] for p in api.get(f"/api/v1/projects?q={q}").get_json()["items"]] for q in ("bulky", "recycling")
    }
    assert found == {"bulky": [], "recycling": [str(project)]}
    indexed = rt.db.query("SELECT project_id FROM projects_fts ORDER BY project_id")
    assert [r["project_id"] for r in indexed] == sorted([str(project), str(other)])  # one row each: old text gone
    keyed = rt.db.query("SELECT COUNT(*) AS n FROM projects_fts_rows")[0]["n"]
    assert keyed == 2 and uuid.UUID(indexed[0]["project_id"])


def test_a_kept_organisation_search_answer_gives_way_to_a_new_organisation(any_runtime: Runtime) -> None:
    rt = any_runtime
    member(rt, "MAN")
    api = client(rt)
    query = "/api/v1/organisations?q=Zebrafish%20Digital%20Collective"
    names = [o["name"] for o in api.get(query).get_json()["items"]]
    assert "Zebrafish Digital Collective" not in names  # asked once: this answer is now kept

    written = rt.app.sign_up(
        name="Founder",
        email="founder@zebrafish.example",
        job_title=None,
        organisation=OrganisationRef(name="Zebrafish Digital Collective", kind="association"),
        password=PASSWORD,
    )
    rt.catch_up()
    found = api.get(f"{query}&min_position={written.position}").get_json()["items"]
    assert found and found[0]["name"] == "Zebrafish Digital Collective"
