"""Tag renames that chain through a name later retired (something renamed to it) or renamed
again, in several orders, on both databases: a project proposed afterwards with an old name
gets the name that name's projects were moved to, people who chose the old name are told of
it, and every view agrees with a rebuild."""

from __future__ import annotations

import uuid

import pytest

from domain.application import OrganisationRef
from projections import interests as interests_view
from projections import projects as projects_view
from projections import verify
from projections.registry import all_projections
from tests.factories import PASSWORD, council_email
from workers.runtime.bootstrap import Runtime

pytestmark = pytest.mark.integration

# (renames in order, what a project proposed afterwards with each old name is tagged)
CHAINS = {
    "renamed on, then the middle name reused": ([("a", "b"), ("b", "c"), ("x", "b")], {"a": "c", "x": "b", "b": "b"}),
    "a name renamed away, then reused": ([("x", "a"), ("a", "b"), ("c", "a")], {"x": "b", "a": "a", "c": "a"}),
    "the middle name reused, then renamed": (
        [("a", "b"), ("b", "c"), ("x", "b"), ("b", "e")],
        {"a": "c", "b": "e", "x": "e"},
    ),
    "renamed back": ([("a", "b"), ("b", "c"), ("c", "b")], {"a": "b", "b": "b", "c": "b"}),
    "merged, then renamed": ([("a", "b"), ("c", "b"), ("b", "d")], {"a": "d", "b": "d", "c": "d"}),
    "the first name pointed elsewhere": ([("a", "b"), ("b", "c"), ("a", "d")], {"a": "d", "b": "c"}),
}


def moved(tag: str, renames: list[tuple[str, str]]) -> str:
    """Where a project tagged ``tag`` before the renames ends: each rename moves the projects
    that have its old name at that moment."""
    for old, new in renames:
        tag = new if tag == old else tag
    return tag


def member(rt: Runtime, code: str, *, operator: bool = False) -> uuid.UUID:
    address = council_email(code)
    person = rt.app.sign_up(
        name=f"Pat {code}", email=address, job_title=None, organisation=OrganisationRef(code=code), password=PASSWORD
    ).aggregate.id
    rt.app.verify_email(person)
    if operator:
        rt.app.set_operator(address, True)
    return person


def propose(rt: Runtime, who: uuid.UUID, tag: str) -> uuid.UUID:
    details = {"title": f"Tagged {tag} {uuid.uuid4().hex[:6]}", "summary": "S", "tags": [tag]}
    return rt.app.propose_project(who, "alpha", details).aggregate.id


def tags_of(rt: Runtime, project: uuid.UUID) -> list[str]:
    return list(rt.app.get_project(project).details["tags"])


@pytest.mark.parametrize("chain", list(CHAINS), ids=list(CHAINS))
def test_a_later_proposal_with_an_old_name_follows_where_its_projects_went(any_runtime: Runtime, chain: str) -> None:
    rt = any_runtime
    renames, expected = CHAINS[chain]
    owner, operator = member(rt, "KTT"), member(rt, "LDS", operator=True)
    chooser = member(rt, "WGN")
    rt.app.choose_notifications(chooser, tags=sorted(expected))  # chose the old names first
    before = {old: propose(rt, owner, old) for old in expected}
    for old, new in renames:
        rt.catch_up()
        rt.app.rename_tag(old, new, "Tidy", operator, projects=[uuid.UUID(p) for p in projects_view.tagged(rt.db, old)])
    after = {old: propose(rt, owner, old) for old in expected}
    rt.catch_up()
    assert {old: tags_of(rt, p) for old, p in after.items()} == {old: [new] for old, new in expected.items()}
    assert {old: tags_of(rt, p) for old, p in before.items()} == {old: [moved(old, renames)] for old in expected}
    for new in expected.values():
        told = {person for person, _, _ in interests_view.people_interested(rt.db, {new}, set())}
        assert str(chooser) in told, new
    for view in all_projections():
        check = verify.verify(rt.app, rt.db, view, advance=lambda count: None)
        assert check.identical, verify.report(check)
