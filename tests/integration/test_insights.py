"""Tags, calendar, similar projects, the CSV export, stats and per-organisation views,
read through the API after real commands, on both databases."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.application import OrganisationRef
from domain.errors import RuleBroken
from domain.organisation import council_id
from tests.factories import PASSWORD, council_email
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
NEXT_YEAR = datetime.now(UTC).year + 1


def member(runtime: Runtime, code: str, name: str = "Officer") -> uuid.UUID:
    person = runtime.app.sign_up(
        name=name, email=council_email(code), job_title=None, organisation=OrganisationRef(code=code), password=PASSWORD
    ).aggregate.id
    runtime.app.verify_email(person)
    return person


def propose(
    runtime: Runtime,
    person: uuid.UUID,
    title: str,
    tags: list[str],
    *,
    summary: str = "A shared service.",
    phase: str = "discovery",
    start: str | None = f"{NEXT_YEAR}-01-01",
    end: str | None = f"{NEXT_YEAR}-03-31",
) -> uuid.UUID:
    details = {"title": title, "summary": summary, "tags": tags, "phase_start": start, "phase_end": end}
    return runtime.app.propose_project(person, phase, details).aggregate.id


def goal(runtime: Runtime, project: uuid.UUID, person: uuid.UUID, deadline: str) -> None:
    runtime.app.set_goal(project, {"min_partners": 1, "money": "1000.00", "days": "0", "deadline": deadline}, person)


def pledge(runtime: Runtime, project: uuid.UUID, person: uuid.UUID, money: str = "500.00", days: str = "5.50") -> None:
    runtime.app.make_pledge(
        project, person, {"money": money, "days": days, "contributions": ["testing"], "message": None}
    )


def client(runtime: Runtime) -> Any:
    runtime.catch_up()
    return create_app(runtime=runtime).test_client()


def assert_problem(response: Any, status: int) -> None:
    assert response.status_code == status, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["status"] == status


def test_tags_count_live_projects_most_used_first_then_by_name(any_runtime: Runtime) -> None:
    kim = member(any_runtime, "KTT")
    propose(any_runtime, kim, "Bins", ["waste", "bins"])
    propose(any_runtime, kim, "Potholes", ["roads", "waste"])
    propose(any_runtime, kim, "Parking", ["roads", "permits"])
    gone = propose(any_runtime, kim, "Old bins", ["waste", "archive-only"])
    any_runtime.app.archive_project(gone, kim, restore=False)
    items = client(any_runtime).get("/api/v1/tags").json["items"]
    assert [(t["tag"], t["project_count"]) for t in items] == [("roads", 2), ("waste", 2), ("bins", 1), ("permits", 1)]


def test_the_calendar_places_running_phases_and_deadlines_in_their_months(any_runtime: Runtime) -> None:
    kim = member(any_runtime, "KTT")
    winter = propose(any_runtime, kim, "Winter gritting", ["roads"])  # Jan to Mar
    goal(any_runtime, winter, kim, f"{NEXT_YEAR}-02-15T12:00:00+00:00")
    propose(any_runtime, kim, "One day", ["x"], start=f"{NEXT_YEAR}-04-10", end=None)
    propose(any_runtime, kim, "Undated", ["x"], start=None, end=None)
    body = client(any_runtime).get(f"/api/v1/calendar?from={NEXT_YEAR}-02&to={NEXT_YEAR}-05").json
    assert (body["from"], body["to"]) == (f"{NEXT_YEAR}-02", f"{NEXT_YEAR}-05")
    by_month = {m["month"]: m for m in body["months"]}
    assert list(by_month) == [f"{NEXT_YEAR}-0{n}" for n in (2, 3, 4, 5)]
    titles = {month: [p["title"] for p in m["projects"]] for month, m in by_month.items()}
    assert titles == {
        f"{NEXT_YEAR}-02": ["Winter gritting"],
        f"{NEXT_YEAR}-03": ["Winter gritting"],
        f"{NEXT_YEAR}-04": ["One day"],
        f"{NEXT_YEAR}-05": [],
    }
    deadline = by_month[f"{NEXT_YEAR}-02"]["deadlines"]
    assert [(d["id"], d["goal_state"], d["organisation"]["code"]) for d in deadline] == [(str(winter), "open", "KTT")]
    assert all(not m["deadlines"] for month, m in by_month.items() if month != f"{NEXT_YEAR}-02")


def test_the_calendar_defaults_to_this_month_and_the_next_eleven(any_runtime: Runtime) -> None:
    body = client(any_runtime).get("/api/v1/calendar").json
    assert len(body["months"]) == 12
    assert body["from"] == datetime.now(UTC).strftime("%Y-%m") == body["months"][0]["month"]


@pytest.mark.parametrize("query", ["from=2027-01&to=2030-01", "from=2027-05&to=2027-04", "from=2027-13", "to=January"])
def test_the_calendar_refuses_bad_or_over_long_ranges(sqlite_runtime: Runtime, query: str) -> None:
    assert_problem(client(sqlite_runtime).get(f"/api/v1/calendar?{query}"), 422)


def test_the_calendar_takes_exactly_36_months(sqlite_runtime: Runtime) -> None:
    body = client(sqlite_runtime).get("/api/v1/calendar?from=2027-01&to=2029-12").json
    assert len(body["months"]) == 36


def test_similar_projects_rank_shared_tags_before_wording(any_runtime: Runtime) -> None:
    kim, sam = member(any_runtime, "KTT"), member(any_runtime, "WGN")
    target = propose(any_runtime, kim, "Bulky waste collection booking", ["waste", "booking", "payments"])
    two_tags = propose(any_runtime, sam, "Garden refuse", ["waste", "payments"], summary="Different words.")
    same_words = propose(any_runtime, sam, "Bulky waste collection booking", ["booking"])
    one_tag = propose(any_runtime, sam, "Tip permits", ["waste"], summary="Different words.")
    words_only = propose(any_runtime, sam, "Bulky item collection", ["furniture"])
    propose(any_runtime, sam, "Library cards", ["libraries"], summary="Borrow books.")
    archived = propose(any_runtime, sam, "Bulky waste", ["waste", "booking", "payments"])
    any_runtime.app.archive_project(archived, sam, restore=False)
    http = client(any_runtime)
    items = http.get(f"/api/v1/projects/{target}/similar").json["items"]
    assert [i["id"] for i in items] == [str(two_tags), str(same_words), str(one_tag), str(words_only)]
    assert items[0]["shared_tags"] == ["payments", "waste"] and items[1]["text_similarity"] == 1.0
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert items[1]["score"] < items[0]["score"] and items[3]["score"] < 1
    assert items[0]["organisation"]["code"] == "WGN"
    assert len(http.get(f"/api/v1/projects/{target}/similar?limit=2").json["items"]) == 2
    assert_problem(http.get(f"/api/v1/projects/{uuid.uuid4()}/similar"), 404)


def read_csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_export_has_every_project_with_exact_money_and_safe_cells(any_runtime: Runtime) -> None:
    kim, sam = member(any_runtime, "KTT"), member(any_runtime, "WGN")
    bins = propose(any_runtime, kim, '=HYPERLINK("http://evil")', ["waste", "bins"], summary="+1 for bins")
    goal(any_runtime, bins, kim, (datetime.now(UTC) + timedelta(days=30)).isoformat())
    pledge(any_runtime, bins, sam, money="1234.56", days="0.05")
    propose(any_runtime, sam, "Parking permits", ["roads"], phase="alpha", summary="@mention, -minus")
    response = client(any_runtime).get("/api/v1/projects.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="pipeline-projects-')
    rows = {r["id"]: r for r in read_csv(response)}
    assert len(rows) == 2
    row = rows[str(bins)]
    assert row["title"] == '\'=HYPERLINK("http://evil")' and row["summary"] == "'+1 for bins"
    assert (row["tags"], row["organisation_code"], row["organisation_name"]) == (
        "waste; bins",
        "KTT",
        "Royal Borough of Kingston upon Thames",
    )
    assert (row["pledged_money"], row["pledged_days"], row["pledge_count"], row["partner_count"]) == (
        "1234.56",
        "0.05",
        "1",
        "1",
    )
    assert (row["goal_state"], row["goal_money"], row["goal_days"], row["goal_min_partners"]) == (
        "open",
        "1000.00",
        "0.00",
        "1",
    )
    assert (row["phase"], row["phase_start"], row["archived"]) == ("discovery", f"{NEXT_YEAR}-01-01", "false")
    other = next(r for key, r in rows.items() if key != str(bins))
    assert (other["summary"], other["goal_state"], other["goal_money"]) == ("'@mention, -minus", "none", "")


def test_the_csv_export_takes_the_project_filters(any_runtime: Runtime) -> None:
    kim, sam = member(any_runtime, "KTT"), member(any_runtime, "WGN")
    bins = propose(any_runtime, kim, "Bins", ["waste"])
    roads = propose(any_runtime, sam, "Roads", ["roads"], phase="alpha")
    http = client(any_runtime)

    def ids(query: str) -> list[str]:
        return [r["id"] for r in read_csv(http.get(f"/api/v1/projects.csv?{query}"))]

    assert ids("tag=waste") == [str(bins)]
    assert ids("phase=alpha") == [str(roads)]
    assert ids("organisation=wgn") == [str(roads)]
    assert ids(f"organisation={council_id('KTT')}") == [str(bins)]
    assert ids("phase=beta") == []
    assert_problem(http.get("/api/v1/projects.csv?phase=nonsense"), 422)


def test_stats_count_members_people_live_projects_pledges_and_goals(any_runtime: Runtime) -> None:
    kim, sam, lee = member(any_runtime, "KTT"), member(any_runtime, "WGN"), member(any_runtime, "WGN")
    gone = member(any_runtime, "BNH")
    any_runtime.app.erase(gone, actor=None)
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    bins = propose(any_runtime, kim, "Bins", ["waste"])
    goal(any_runtime, bins, kim, soon)
    pledge(any_runtime, bins, sam, money="500.00", days="5.50")
    roads = propose(any_runtime, sam, "Roads", ["roads"], phase="alpha")
    pledge(any_runtime, roads, kim, money="0.25", days="0")
    archived = propose(any_runtime, lee, "Gone", ["x"], phase="beta")
    pledge(any_runtime, archived, kim, money="999.00")
    any_runtime.app.archive_project(archived, lee, restore=False)
    stats = client(any_runtime).get("/api/v1/stats").json
    assert stats["organisations"]["with_members"] == 3  # BNH's erased member still counts, as in the directory
    assert stats["organisations"]["by_kind"]["council"] == 3 and stats["organisations"]["by_kind"]["supplier"] == 0
    assert stats["people"] == 3
    assert stats["projects"]["total"] == 2
    assert stats["projects"]["by_phase"] == {
        "concept": 0,
        "discovery": 1,
        "alpha": 1,
        "beta": 0,
        "live": 0,
        "decommissioned": 0,
    }
    assert stats["pledges"] == {"money": "500.25", "days": "5.50", "count": 2, "organisations": 2}
    assert stats["goals"] == {"open": 1, "met": 0, "missed": 0, "awaiting_decision": 0}


def test_an_organisation_shows_its_projects_its_pledges_to_others_and_its_members(any_runtime: Runtime) -> None:
    kim, sam = member(any_runtime, "KTT", "Kim Kingston"), member(any_runtime, "WGN", "Sam Wigan")
    lee = member(any_runtime, "WGN", "Lee Wigan")
    gone = member(any_runtime, "WGN", "Gone Person")
    any_runtime.app.erase(gone, actor=None)
    first = propose(any_runtime, sam, "First", ["a"])
    second = propose(any_runtime, lee, "Second", ["b"])
    theirs = propose(any_runtime, kim, "Kingston's", ["c"])
    pledge(any_runtime, theirs, sam, money="10.00")
    with pytest.raises(RuleBroken):  # an organisation cannot pledge to its own project
        pledge(any_runtime, first, lee, money="20.00")
    http = client(any_runtime)
    projects = http.get("/api/v1/organisations/WGN/projects").json
    assert [p["id"] for p in projects["items"]] == [str(second), str(first)]
    assert projects["next"] is None
    paged = http.get("/api/v1/organisations/wgn/projects?limit=1").json
    assert [p["id"] for p in paged["items"]] == [str(second)] and paged["next"]
    assert [p["id"] for p in http.get(paged["next"]).json["items"]] == [str(first)]
    pledges = http.get(f"/api/v1/organisations/{council_id('WGN')}/pledges").json["items"]
    assert [(p["project_id"], p["money"], p["project_organisation"]["code"]) for p in pledges] == [
        (str(theirs), "10.00", "KTT")
    ]
    people = http.get("/api/v1/organisations/WGN/people")
    assert [p["name"] for p in people.json["items"]] == ["Sam Wigan", "Lee Wigan"]
    assert set(people.json["items"][0]) == {"id", "name"}
    assert "@" not in people.get_data(as_text=True)
    assert http.get("/api/v1/organisations/KTT/pledges").json["items"] == []


@pytest.mark.parametrize("view", ["projects", "pledges", "people"])
def test_an_unknown_organisation_is_a_404_problem(sqlite_runtime: Runtime, view: str) -> None:
    http = client(sqlite_runtime)
    assert_problem(http.get(f"/api/v1/organisations/ZZZ/{view}"), 404)
    assert_problem(http.get(f"/api/v1/organisations/{uuid.uuid4()}/{view}"), 404)


def test_the_openapi_document_describes_every_view(sqlite_runtime: Runtime) -> None:
    paths = client(sqlite_runtime).get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/tags",
        "/api/v1/calendar",
        "/api/v1/projects/{project_id}/similar",
        "/api/v1/stats",
        "/api/v1/organisations/{code_or_id}/projects",
        "/api/v1/organisations/{code_or_id}/pledges",
        "/api/v1/organisations/{code_or_id}/people",
    ):
        assert "schema" in paths[path]["get"]["responses"]["200"]["content"]["application/json"], path
    assert "text/csv" in paths["/api/v1/projects.csv"]["get"]["responses"]["200"]["content"]
