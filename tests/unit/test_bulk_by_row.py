"""A batch of a view whose statements each find their rows by one key (a person, a project) is
sent level by level, SQL by SQL (``projections.bulk.by_row``): far fewer runs than statements,
and the same rows as applying its events one at a time (no database server needed)."""

from __future__ import annotations

from typing import Any

from domain.interest import Follow, StatusUpdate
from projections import bulk
from projections.base import Projection, Statement
from projections.people import PeopleProjection
from projections.projects import ACTIVE, ACTIVE_BY_UPDATE, ProjectsProjection, corrections_placed
from tests.unit.projection_helpers import View, council, person, pledge, pledge_of, project
from tests.unit.test_project_counts_merged import a_busy_batch


def by_key(statement: Statement) -> Any:
    return statement.params.get("key")


def test_each_keys_statements_keep_their_order_and_like_statements_go_together() -> None:
    statements = [
        Statement("A", {"key": 1, "n": 1}),
        Statement("B", {"key": 1, "n": 2}),
        Statement("A", {"key": 2, "n": 3}),
        Statement("B", {"key": 2, "n": 4}),
        Statement("A", {"key": 1, "n": 5}),
    ]
    ordered = bulk.by_row(statements, by_key)
    assert [s.params["n"] for s in ordered] == [1, 3, 2, 4, 5]
    assert len(bulk.runs(ordered)) == 3  # A A, B B, A: not five one-statement runs


def test_a_statement_of_no_known_key_stays_after_everything_before_it_and_before_everything_after() -> None:
    statements = [
        Statement("A", {"key": 1, "n": 1}),
        Statement("U", {"n": 2}),
        Statement("A", {"key": 2, "n": 3}),
        Statement("B", {"key": 1, "n": 4}),
    ]
    assert [s.params["n"] for s in bulk.by_row(statements, by_key)] == [1, 2, 3, 4]


def test_consecutive_like_statements_on_one_key_share_a_run_in_their_order() -> None:
    statements = [Statement("A", {"key": 1, "n": 1}), Statement("A", {"key": 1, "n": 2}), Statement("B", {"n": 3})]
    ordered = bulk.by_row(statements, by_key)
    assert [s.params["n"] for s in ordered] == [1, 2, 3]
    assert len(bulk.runs(ordered)) == 2


def one_by_one_and_batched(
    projection: Projection, events: list[Any], dialect: str
) -> tuple[View, View, list[Statement]]:
    """The events applied one at a time, and as one batch in ``bulk.by_table``'s order."""
    one_by_one, batched = View(projection), View(projection)
    one_by_one.apply(*events)
    statements = bulk.by_table(projection, dialect, projection.batch(events, batched.reveal, None))
    with batched.db.transaction() as tx:
        for statement in statements:
            tx.execute(statement.sql, statement.params)
    return one_by_one, batched, statements


def test_a_batch_of_sign_ups_approvals_and_admins_goes_in_a_few_runs_with_the_same_rows() -> None:
    wigan, leeds = council(), council("LDS", "Leeds City Council")
    people = [person(wigan if i % 2 else leeds, name=f"Person {i}") for i in range(30)]
    wigan.appoint_admin(people[1].id, actor=None, reason="first member")  # saved before the sign-up
    events: list[Any] = [*wigan.collect_events()]
    for i, someone in enumerate(people):
        if i % 3 == 0:
            someone.verify_email()
        if i % 5 == 0:
            someone.admit(actor=None, reason="known")
        events += someone.collect_events()
    leeds.appoint_admin(people[0].id, actor=None, reason="second thoughts")  # after the sign-up
    events += leeds.collect_events()
    projection = PeopleProjection()
    for dialect in ("sqlite", "postgres"):
        one_by_one, batched, statements = one_by_one_and_batched(projection, events, dialect)
        try:
            for table in projection.tables:
                assert batched.rows(table, order_by="1, 2") == one_by_one.rows(table, order_by="1, 2")
            admins = {row["id"] for row in batched.rows("people") if row["is_admin"]}
            assert admins == {str(people[0].id), str(people[1].id)}
            assert len(bulk.runs(statements)) < len(statements) // 4  # in log order: one run each
        finally:
            one_by_one.close()
            batched.close()


def test_a_busy_projects_batch_goes_in_fewer_runs_with_the_same_rows() -> None:
    events = a_busy_batch()
    wigan, kent = council("WGN2", "Wigan Two"), council("KTT2", "Kent Two")
    dee, eve = person(wigan, name="Dee"), person(kent, name="Eve")
    bins = project(dee, "Bins again")
    events += [*wigan.collect_events(), *kent.collect_events(), *bins.collect_events()]
    follows = Follow(id=Follow.id_for(bins.id, eve.id), project_id=bins.id, person_id=eve.id)
    for i in range(4):
        update = StatusUpdate(project_id=bins.id, author_id=dee.id, body=f"Sprint {i}")
        update.correct(f"Sprint {i}, corrected", actor=dee.id)
        events += update.collect_events()
        if i:
            follows.follow() if i % 2 == 0 else follows.unfollow()
        events += follows.collect_events()
        pledge(bins, eve, pledge_of(f"{i + 1}.00"))
        events += bins.collect_events()
    projection = ProjectsProjection()
    one_by_one, batched, statements = one_by_one_and_batched(projection, events, "postgres")
    try:
        assert all(projection.row_of(s) is not None for s in statements)  # every correction placed
        tables = ("projects", "project_pledges", "project_followers", "project_status_updates", "project_team")
        for table in tables:
            assert batched.rows(table, order_by="1, 2") == one_by_one.rows(table, order_by="1, 2")
        in_log_order = projection.batch(events, batched.reveal, None)
        assert len(bulk.runs(statements)) < len(bulk.runs(in_log_order)) * 2 // 3
    finally:
        one_by_one.close()
        batched.close()


def test_a_correction_of_an_update_posted_in_the_same_batch_is_its_projects_sign_of_life() -> None:
    wigan = council()
    bins = project(person(wigan), "Bins")
    update = StatusUpdate(project_id=bins.id, author_id=bins.proposer_id, body="Sprint 1")
    update.correct("Sprint 1, corrected", actor=bins.proposer_id)
    projection = ProjectsProjection()
    posted, corrected = update.collect_events()
    statements = projection.batch([posted, corrected], View().reveal, None)
    assert statements[-1] == Statement(ACTIVE, {"id": str(bins.id), "at": statements[-1].params["at"]})
    alone = projection.batch([corrected], View().reveal, None)
    assert [s.sql for s in alone] == [ACTIVE_BY_UPDATE]
    assert projection.row_of(alone[0]) is None  # its project is not known: it keeps its place
    assert corrections_placed(alone) == alone


def test_a_statement_naming_no_person_keeps_its_place_in_a_people_batch() -> None:
    wigan = council()
    ann, bob = person(wigan, name="Ann"), person(wigan, name="Bob")
    events = [*ann.collect_events(), *bob.collect_events()]
    projection = PeopleProjection()
    odd = Statement("INSERT INTO people_admins (person_id, organisation_id) VALUES ('x', 'y')")
    mapped = projection.batch(events, View().reveal, None)
    statements = [*mapped[:2], odd, *mapped[2:]]
    assert projection.row_of(odd) is None
    assert bulk.by_table(projection, "postgres", statements) == statements
