"""The engagement report through the API and the command line: the same figures, its
formats and charts, and bad parameters refused with a 400 problem."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests import support
from tests.conftest import worker_env
from tests.report_story import write_story
from web.app import create_app
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration
SVG = "{http://www.w3.org/2000/svg}"


def cli_env(runtime: Runtime) -> dict[str, str]:
    if runtime.settings.embedded:  # the key file beside the SQLite database, as `pipeline init` made it
        env = support.pipeline_env(DATABASE_URL=runtime.settings.database_url)
        env.pop("PIPELINE_SECRET_KEY")
        return env
    return worker_env(runtime.settings)


def without_time(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "generated_at"}


def test_the_api_answers_what_the_command_line_prints(any_runtime: Runtime) -> None:
    write_story(any_runtime.app)
    client = create_app(runtime=any_runtime).test_client()
    response = client.get("/api/v1/reports/engagement?from=2014-09-01&to=2015-02-28&forgotten_days=60")
    assert response.status_code == 200
    printed = support.run_cli(
        "report",
        "engagement",
        "--from",
        "2014-09-01",
        "--to",
        "2015-02-28",
        "--forgotten-days",
        "60",
        env=cli_env(any_runtime),
    )
    assert without_time(response.get_json()) == without_time(json.loads(printed))
    assert response.get_json()["people"]["signed_up"] == 5
    assert response.get_json()["parameters"] == {"from": "2014-09-01", "to": "2015-02-28", "forgotten_days": 60}


def test_markdown_csv_and_charts_from_the_command_line(sqlite_runtime: Runtime, tmp_path: Path) -> None:
    write_story(sqlite_runtime.app)
    env = cli_env(sqlite_runtime)
    md = support.run_cli("report", "engagement", "--format", "md", "--charts", str(tmp_path), env=env)
    assert "Of 4 organisations that signed up, 4 had a verified member by the end (3 of them councils)" in md
    assert "| Parking permits | Royal Borough of Kingston upon Thames | 2014-09-13 | never |" in md
    table = list(csv.reader(io.StringIO(support.run_cli("report", "engagement", "--format", "csv", env=env))))
    assert table[0] == ["section", "key", "subkey", "value"]
    assert ["people", "signed_up", "", "5"] in table
    assert ["organisations", "first", "3/name", "Acme Digital Ltd"] in table
    titles = {}
    for name in ("signups", "funnel", "cohorts"):
        root = ElementTree.parse(tmp_path / f"{name}.svg").getroot()
        titles[name] = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Sign-ups per week" in titles["signups"]
    assert "From sign-up to work: the funnel" in titles["funnel"] and "followed or pledged" in titles["funnel"]
    assert "Cohort retention" in titles["cohorts"] and "2014-09 (4)" in titles["cohorts"]


def test_the_api_serves_the_charts(sqlite_runtime: Runtime) -> None:
    write_story(sqlite_runtime.app)
    client = create_app(runtime=sqlite_runtime).test_client()
    response = client.get("/api/v1/reports/engagement/charts/funnel.svg?to=2014-12-31")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.data)
    assert "From sign-up to work: the funnel" in " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert client.get("/api/v1/reports/engagement/charts/pie.svg").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("to=2014-02-30", "to"),
        ("to=9999-12-31", "to"),
        ("from=0001-01-01T00:00:00%2B05:00", "from"),
        ("from=2015-01-01&to=2014-01-01", "to"),
        ("forgotten_days=0", "forgotten_days"),
        ("forgotten_days=many", "forgotten_days"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_parameters_are_a_400_problem_naming_the_field(sqlite_runtime: Runtime, query: str, field: str) -> None:
    client = create_app(runtime=sqlite_runtime).test_client()
    for path in ("/api/v1/reports/engagement", "/api/v1/reports/engagement/charts/signups.svg"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, response.data
        assert response.mimetype == "application/problem+json"
        assert field in response.get_json()["errors"]


def test_the_command_line_refuses_a_bad_date(sqlite_runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="--from"):
        support.run_cli("report", "engagement", "--from", "2014-13-01", env=cli_env(sqlite_runtime))
