"""The interests view: who declared which tags and words, and each live project's tags and
title words, found by term (event in, rows out; no database server needed)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from domain.notifications import NotificationPreferences, preferences_id
from projections import interests
from projections.interests import InterestsProjection
from tests.unit.projection_helpers import View, council, now, person, project


@pytest.fixture
def view() -> Iterator[View]:
    view = View(InterestsProjection())
    yield view
    view.close()


def choices(person_id: object, tags: list[str], words: list[str]) -> NotificationPreferences:
    return NotificationPreferences(
        id=preferences_id(person_id),
        person_id=person_id,
        frequency="immediate",
        off=[],
        tags=tags,
        words=words,
    )


def test_people_are_found_by_a_declared_tag_or_the_stem_of_a_declared_word(view: View) -> None:
    ann, bo = uuid4(), uuid4()
    view.apply(choices(ann, ["waste"], ["potholes"]), choices(bo, ["parking"], []))
    found = interests.people_interested(view.db, {"waste", "gis"}, {"pothole", "road"})
    assert sorted(found) == sorted([(str(ann), "tag", "waste"), (str(ann), "word", "potholes")])
    assert interests.people_interested(view.db, set(), set()) == []


def test_changed_choices_replace_the_old_ones(view: View) -> None:
    ann = uuid4()
    chosen = choices(ann, ["waste"], [])
    view.apply(chosen)
    chosen.choose("daily", [], ["parking"], ["permits"])
    view.apply(chosen)
    assert interests.people_interested(view.db, {"waste"}, set()) == []
    assert interests.people_interested(view.db, {"parking"}, set()) == [(str(ann), "tag", "parking")]
    assert interests.people_interested(view.db, set(), {"permit"}) == [(str(ann), "word", "permits")]


def test_other_organisations_live_projects_are_found_by_shared_tags_and_title_words_best_first(view: View) -> None:
    wigan, leeds = council("WGN"), council("LDS", "Leeds City Council")
    ours, theirs = person(wigan), person(leeds)
    same_org = project(ours, "Bulky waste", tags=["waste", "booking"])
    two_tags = project(theirs, "Garden collections", tags=["waste", "booking"])
    one_word = project(theirs, "Waste data", tags=[])
    archived = project(theirs, "Bulky waste booking", tags=["waste", "booking"])
    archived.archive(actor=theirs.id, moderation=False)
    view.apply(same_org, two_tags, one_word, archived)
    found = interests.projects_resembling(
        view.db, str(uuid4()), str(wigan.id), {"waste", "booking"}, interests.terms("Bulky waste"), 10, now()
    )
    assert found == [str(two_tags.id), str(one_word.id)]
    two_tags.edit({"tags": ["parking"], "title": "Parking"}, actor=theirs.id, moderation=False)
    archived.restore(actor=theirs.id, moderation=False)
    view.apply(two_tags, archived)
    found = interests.projects_resembling(
        view.db, str(uuid4()), str(wigan.id), {"waste", "booking"}, interests.terms("Bulky waste"), 10, now()
    )
    assert found == [str(archived.id), str(one_word.id)]


def test_a_project_proposed_after_the_new_one_is_not_counted_as_resembling_it(view: View) -> None:
    wigan, leeds = council("WGN"), council("LDS", "Leeds City Council")
    earlier = project(person(leeds), "Bulky waste", tags=["waste", "booking"])
    view.apply(earlier)
    asked_at = now()  # the new project's proposal: the view may already show later ones
    later = project(person(leeds), "Bulky waste booking", tags=["waste", "booking"])
    view.apply(later)
    found = interests.projects_resembling(view.db, str(uuid4()), str(wigan.id), {"waste"}, set(), 10, asked_at)
    assert found == [str(earlier.id)]
