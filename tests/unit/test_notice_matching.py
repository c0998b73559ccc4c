"""A new project reaches the people it may interest: declared interests (a tag, a word),
and the team of a project of their own organisation that resembles it, scored, ranked and
with the reasons shown; never the proposing organisation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import UUID

from domain.project import Project
from projections.interests import stem, terms
from tests.unit.notice_fakes import FakeFacts, goal, now, pledge
from workers.notify.notices.goal import NEARLY, REACHED, crossing, progress
from workers.notify.notices.matching import MAX_PEOPLE, THRESHOLD, resemblance
from workers.notify.policy import Message, messages


def proposed(facts: FakeFacts, owner: UUID, **details: object) -> tuple[Project, list[Message]]:
    project, _ = facts.add_project([owner], **details)
    return project, messages(project.collect_events()[0], facts)


def test_a_declared_tag_or_word_matches_and_the_email_says_which() -> None:
    facts = FakeFacts()
    proposer = facts.add_person("p@wigan.gov.uk", organisation=facts.organisation("Wigan"))
    tagger, worder = facts.add_person("t@leeds.gov.uk", name="Tia"), facts.add_person("w@kent.gov.uk")
    facts.interested = [(tagger, "tag", "waste"), (worder, "word", "pothole")]
    project, found = proposed(
        facts, proposer, title="Report potholes", summary="Fix roads", description="Roads and waste", tags=("waste",)
    )
    by_person = {m.person_id: m for m in found}
    assert set(by_person) == {tagger, worder} and {m.kind for m in found} == {"matching-interest"}
    assert "you follow the tag 'waste'" in by_person[tagger].body
    assert "it mentions 'pothole', a word you follow" in by_person[worder].body
    assert by_person[tagger].summary == "New project: you follow the tag 'waste'"
    tags, words = facts.asked[-1]
    assert tags == {"waste"} and {"pothole", "road", "waste", "report", "fix"} <= words  # title, summary, text


def test_the_team_of_a_resembling_project_of_their_own_organisation_is_told_with_the_shared_tags() -> None:
    facts = FakeFacts()
    wigan, leeds = facts.organisation("Wigan"), facts.organisation("Leeds")
    proposer = facts.add_person("p@wigan.gov.uk", organisation=wigan)
    contact = facts.add_person("c@leeds.gov.uk", organisation=leeds)
    partner = facts.add_person("x@kent.gov.uk", organisation=facts.organisation("Kent"))  # on the team, from Kent
    _, theirs = facts.add_project([contact, partner], title="Garden waste", tags=("waste", "booking", "gis"))
    facts.resembling = [theirs]
    project, found = proposed(facts, proposer, title="Bulky waste", tags=("waste", "booking"))
    (message,) = found
    assert message.person_id == contact
    assert "it shares the tags 'booking' and 'waste' and the title word 'waste' with your project “Garden waste”" in (
        message.body
    )


def test_one_shared_tag_is_not_enough_but_two_or_a_tag_and_a_title_word_are() -> None:
    facts = FakeFacts()
    new = facts.add_project([facts.add_person("a@x.gov.uk")], title="Bulky waste collection", tags=("waste", "forms"))[
        1
    ]
    one_tag = facts.add_project([facts.add_person("b@x.gov.uk")], title="Parking", tags=("forms",))[1]
    two_tags = facts.add_project([facts.add_person("c@x.gov.uk")], title="Parking", tags=("forms", "waste"))[1]
    tag_and_word = facts.add_project([facts.add_person("d@x.gov.uk")], title="Bulky items", tags=("forms",))[1]
    three_words = facts.add_project([facts.add_person("e@x.gov.uk")], title="Waste collection, bulky", tags=())[1]
    assert THRESHOLD == 3
    assert resemblance(new, one_tag)[0] == 2 < THRESHOLD
    assert resemblance(new, two_tags)[0] == 4
    assert resemblance(new, tag_and_word)[0] == 3
    assert resemblance(new, three_words)[0] == 3


def test_people_are_ranked_by_score_and_those_of_the_proposing_organisation_never_told() -> None:
    facts = FakeFacts()
    wigan = facts.organisation("Wigan")
    proposer = facts.add_person("p@wigan.gov.uk", organisation=wigan)
    colleague = facts.add_person("c@wigan.gov.uk", organisation=wigan)
    unverified = facts.add_person("u@leeds.gov.uk", verified=False)
    keen = [facts.add_person(f"k{i}@leeds.gov.uk") for i in range(MAX_PEOPLE + 5)]
    facts.interested = [(colleague, "tag", "waste"), (unverified, "tag", "waste"), (proposer, "tag", "waste")]
    facts.interested += [(person, "tag", "waste") for person in keen]
    facts.interested += [(keen[-1], "word", "bulky")]  # two matches: ranked first
    project, found = proposed(facts, proposer, title="Bulky waste", tags=("waste",))
    told = [m.person_id for m in found]
    assert len(told) == MAX_PEOPLE and keen[-1] in told
    assert not {proposer, colleague, unverified} & set(told)


def test_significant_words_are_stemmed_and_common_words_ignored() -> None:
    assert terms("The Potholes project for Councils: a new online booking service") == {"pothole", "booking"}
    assert stem("libraries") == "library" and stem("bus") == "bus" and stem("address") == "address"


def test_progress_is_the_lowest_fraction_over_the_goals_targets() -> None:
    facts = FakeFacts()
    project, _ = facts.add_project([facts.add_person("a@x.gov.uk")])
    assert progress(project) == 0  # no goal
    project.set_goal(goal("1000", "10", partners=2), actor=project.proposer_id, now=now())
    project.make_pledge(facts.organisation("Leeds"), facts.add_person("b@x.gov.uk"), pledge("1000", "10"), now=now())
    assert progress(project) == Decimal("0.5")  # money and days met, one partner of two
    project.make_pledge(
        facts.organisation("York"), facts.add_person("c@x.gov.uk"), pledge("0", "0", "testing"), now=now()
    )
    assert progress(project) == 1


def test_crossing_says_80_percent_once_on_the_way_up_and_reached_once_met() -> None:
    facts = FakeFacts()

    def project_with(money: str | None) -> Project:
        project, _ = facts.add_project([facts.add_person("z@x.gov.uk")])
        project.set_goal(goal("100"), actor=project.proposer_id, now=now())
        if money is not None:
            project.make_pledge(facts.organisation("o"), project.proposer_id, pledge(money), now=now())
        return project

    assert crossing(project_with("70"), project_with("85")) == NEARLY
    assert crossing(project_with("85"), project_with("90")) is None
    assert crossing(project_with("90"), project_with("100")) == REACHED
    assert crossing(project_with(None), project_with("100")) == REACHED  # straight past 80%: only "reached"
    assert crossing(project_with("100"), project_with("100")) is None
    assert crossing(project_with("100"), project_with("85")) is None  # on the way down


def test_someone_matched_twice_gets_one_message_with_both_reasons() -> None:
    facts = FakeFacts()
    leeds = facts.organisation("Leeds")
    proposer = facts.add_person("p@wigan.gov.uk", organisation=facts.organisation("Wigan"))
    contact = facts.add_person("c@leeds.gov.uk", organisation=leeds)
    _, theirs = facts.add_project([contact], title="Garden waste", tags=("waste", "booking"))
    facts.resembling = [theirs]
    facts.interested = [(contact, "word", "bulky")]
    _, found = proposed(facts, proposer, title="Bulky waste", tags=("waste", "booking"))
    (message,) = found
    assert "it mentions 'bulky', a word you follow" in message.body
    assert "with your project “Garden waste”" in message.body


def test_an_imported_project_tells_nobody() -> None:
    facts = FakeFacts()
    ann = facts.add_person("a@leeds.gov.uk")
    facts.interested = [(ann, "tag", "waste")]
    project = Project(
        organisation_id=facts.organisation("Wigan"),
        proposer_id=facts.add_person("p@wigan.gov.uk"),
        phase="alpha",
        details={"title": "Old bins", "tags": ["waste"]},
        imported={"source": "legacy"},
    )
    _, known = facts.add_project([project.proposer_id], tags=("waste",))
    facts.projects[project.id] = replace(known, id=project.id)
    assert messages(project.collect_events()[0], facts) == []
    assert facts.asked == []  # not even looked up
