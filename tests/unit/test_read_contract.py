"""The read side's contract: each query declares the views it reads, and a request with
``min_position`` waits for exactly the views its handler's queries read."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from flask_smorest import Blueprint

from projections import insights
from projections.base import READS, reads, views_read_by
from projections.db import Reader, SQLiteDatabase
from projections.registry import PROJECTIONS, all_projections
from projections.runner import create_tables
from web.api.common import ReadArgs, answers_from
from web.app import create_app
from web.http.errors import ProblemApi
from workers.runtime.settings import Settings

HEAD = 10  # the head of the fake event log


# ---------------------------------------------------------------- the queries
def query_modules() -> list[ModuleType]:
    """Every module with queries over the views: one per projection, and the insights."""
    return [*{sys.modules[type(p).__module__] for p in all_projections()}, insights]


def queries() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Public functions whose first parameter is the read database."""
    for module in query_modules():
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_"):
                parameters = list(inspect.signature(function).parameters)
                if parameters[:1] == ["db"]:
                    yield f"{module.__name__}.{name}", function


NOT_QUERIES = {"projections.projects.conditions"}  # builds a WHERE clause for the dialect; runs nothing


def test_every_query_declares_the_views_it_reads_and_they_exist() -> None:
    found = dict(queries())
    assert "projections.projects.get" in found and "projections.insights.stats" in found
    for name, function in found.items():
        if name in NOT_QUERIES:
            continue
        declared = getattr(function, READS, None)
        assert declared, f"{name} does not declare the views it reads: add @reads(...)"
        assert declared <= PROJECTIONS.keys(), f"{name} declares unknown views {set(declared) - PROJECTIONS.keys()}"


def test_a_query_declares_what_it_joins_as_well_as_its_own_view() -> None:
    from projections import projects

    assert views_read_by(projects.team) == {"projects", "people", "organisations"}
    assert views_read_by(projects.get, projects.followers) == {"projects", "organisations", "people"}


def test_a_query_must_read_something() -> None:
    with pytest.raises(ValueError):
        reads()


def test_a_function_that_declares_nothing_cannot_be_answered_from() -> None:
    def undeclared(db: Reader) -> list[dict[str, Any]]:
        return db.query("SELECT 1")

    with pytest.raises(TypeError, match="undeclared"):
        views_read_by(undeclared)
    with pytest.raises(TypeError, match="undeclared"):
        answers_from(undeclared)


def test_a_handler_cannot_answer_from_a_view_that_does_not_exist() -> None:
    @reads("projects", "no_such_view")
    def query(db: Reader) -> None: ...

    with pytest.raises(ValueError, match="no_such_view"):
        answers_from(query)


# ------------------------------------------------------------ every handler
def _argument_fields(function: Callable[..., Any]) -> set[str]:
    fields: set[str] = set()
    for parameter in getattr(function, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        schema = parameter["schema"]
        fields |= set((schema() if isinstance(schema, type) else schema).fields)
    return fields


def handlers(app: Flask) -> Iterator[tuple[str, Callable[..., Any]]]:
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods or ()):
            function = getattr(view_class, method.lower(), None) if view_class else view
            if function is not None:
                yield f"{method} {rule.rule}", function


def test_every_handler_that_takes_min_position_declares_the_views_it_waits_for() -> None:
    app = create_app(runtime=SimpleNamespace(settings=Settings()))
    taking = {name: function for name, function in handlers(app) if "min_position" in _argument_fields(function)}
    assert len(taking) >= 20 and "GET /api/v1/projects/<uuid:project_id>" in taking
    for name, function in taking.items():
        views = getattr(function, READS, None)
        assert views, f"{name} takes min_position but does not say what it reads: add @answers_from(...)"
    for name, function in handlers(app):
        if getattr(function, READS, None):
            assert name in taking, f"{name} declares views but takes no min_position to wait for"


# ------------------------------------------------------------- the mechanism
@reads("projects", "organisations")
def project_query(db: Reader) -> None: ...


@reads("people")
def people_query(db: Reader) -> None: ...


@pytest.fixture
def db() -> Iterator[SQLiteDatabase]:
    database = SQLiteDatabase(":memory:")
    create_tables(database, all_projections())
    yield database
    database.close()


def at(db: SQLiteDatabase, **positions: int) -> None:
    """Move projections to these positions (the rest stay at 0)."""
    with db.transaction() as tx:
        for name, position in positions.items():
            tx.execute("UPDATE projection_positions SET position = :p WHERE name = :n", {"p": position, "n": name})


PENDING: list[Any] = ["an event the view follows"]


@pytest.fixture
def client(db: SQLiteDatabase) -> FlaskClient:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3", TESTING=True)
    log = SimpleNamespace(  # the head, and whether a view behind has an event it follows still to apply
        recorder=SimpleNamespace(max_notification_id=lambda: HEAD, select_notifications=lambda **_: PENDING)
    )
    app.extensions["pipeline"] = SimpleNamespace(app=log, db=db, settings=SimpleNamespace(read_wait_seconds=0.05))
    blp = Blueprint("t", __name__)

    @blp.route("/function")
    @blp.arguments(ReadArgs, location="query")
    @answers_from(project_query, people_query)
    def function(args: dict[str, Any]) -> dict[str, Any]:
        return {"answered": True}

    @blp.route("/method/<int:number>")
    class Method(MethodView):
        @blp.arguments(ReadArgs, location="query")
        @answers_from(people_query)
        def get(self, args: dict[str, Any], number: int) -> dict[str, Any]:
            return {"answered": number}

    @blp.route("/misplaced")
    @answers_from(people_query)
    def misplaced() -> dict[str, Any]:
        return {}

    api = ProblemApi(app)
    api.register_blueprint(blp)
    return app.test_client()


def test_a_handler_declares_the_union_of_its_queries_views() -> None:
    @answers_from(project_query, people_query)
    def handler(args: dict[str, Any]) -> None: ...

    assert views_read_by(handler) == {"projects", "organisations", "people"}


def test_without_min_position_a_handler_answers_at_once(client: FlaskClient) -> None:
    assert client.get("/function").json == {"answered": True}


def test_a_handler_answers_once_every_view_it_reads_reached_min_position(
    client: FlaskClient, db: SQLiteDatabase
) -> None:
    at(db, projects=7, organisations=7, people=7)  # activity and the others stay at 0: not read here
    assert client.get("/function?min_position=7").json == {"answered": True}
    assert client.get("/method/3?min_position=7").json == {"answered": 3}


def test_one_view_behind_is_503_naming_it(client: FlaskClient, db: SQLiteDatabase) -> None:
    at(db, projects=7, organisations=7, people=6)
    answer = client.get("/function?min_position=7")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert "people read model" in answer.json["detail"]


def test_a_view_behind_with_nothing_it_follows_to_apply_is_current(
    client: FlaskClient, db: SQLiteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes ask only the views their events feed to catch up: one whose position trails
    while the log holds nothing it follows up to min_position answers at once."""
    at(db, projects=7, organisations=7, people=6)
    monkeypatch.setattr(sys.modules[__name__], "PENDING", [])
    assert client.get("/function?min_position=7").json == {"answered": True}


def test_a_view_the_handler_does_not_read_is_not_waited_for(client: FlaskClient, db: SQLiteDatabase) -> None:
    at(db, people=7)  # projects and organisations are behind, but /method reads only people
    assert client.get("/method/1?min_position=7").status_code == 200


def test_min_position_beyond_the_head_of_the_log_is_422(client: FlaskClient) -> None:
    answer = client.get(f"/function?min_position={HEAD + 1}")
    assert answer.status_code == 422 and "min_position" in answer.json["errors"]


def test_answers_from_above_the_arguments_is_a_mistake_it_names(client: FlaskClient) -> None:
    with pytest.raises(TypeError, match="beneath @blp.arguments"):
        client.get("/misplaced")


def test_the_declaration_survives_the_api_decorators() -> None:
    app = create_app(runtime=SimpleNamespace(settings=Settings()))
    detail = dict(handlers(app))["GET /api/v1/projects/<uuid:project_id>"]
    assert views_read_by(detail) == {
        "projects",
        "organisations",
        "people",
        "project_updates",
        "activity",
    }  # activity: as_of
