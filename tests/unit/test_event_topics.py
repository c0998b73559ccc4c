"""Event classes are stored schema: their topics and field names must not move.

``tests/data/event-class-fields.json`` lists every event class's topic and fields as the
library built them from ``@event("Name")`` before the classes were declared by hand;
``tests/data/events-before-declared-classes.ndjson`` holds one stored event of each class,
encoded by that older code."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate, decorated_funcs
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from tests.fakes import memory_application

DATA = Path(__file__).resolve().parent.parent / "data"
AGGREGATE_MODULES = (
    "domain.history",
    "domain.interest",
    "domain.legacy_snapshot",
    "domain.lookalike",
    "domain.notifications",
    "domain.organisation",
    "domain.person",
    "domain.project",
    "domain.reminders",
    "domain.requests",
    "domain.tags",
)


def event_classes() -> dict[str, type[Any]]:
    """Every event class on every aggregate, by its stored topic."""
    found: dict[str, type[Any]] = {}
    for name in AGGREGATE_MODULES:
        module = importlib.import_module(name)
        for aggregate in vars(module).values():
            if inspect.isclass(aggregate) and issubclass(aggregate, BaseAggregate) and aggregate.__module__ == name:
                for member in vars(aggregate).values():
                    if inspect.isclass(member) and issubclass(member, CanMutateAggregate):
                        found[get_topic(member)] = member
    return found


@pytest.fixture(scope="module")
def mapper() -> Any:
    return memory_application().mapper


def stored_before() -> list[dict[str, Any]]:
    lines = (DATA / "events-before-declared-classes.ndjson").read_text().splitlines()
    return [json.loads(line) for line in lines if line]


def test_every_event_class_keeps_its_topic_and_fields() -> None:
    expected = json.loads((DATA / "event-class-fields.json").read_text())
    now = {topic: [f.name for f in dataclasses.fields(cls)] for topic, cls in event_classes().items()}
    assert now == expected


def test_the_stored_sample_covers_every_event_a_method_records() -> None:
    recorded = {topic for topic in event_classes() if not topic.endswith((".Event", ".Created"))}
    assert {line["topic"] for line in stored_before()} == recorded


@pytest.mark.parametrize("line", stored_before(), ids=lambda line: line["topic"])
def test_an_event_stored_before_decodes_to_the_same_state(line: dict[str, Any], mapper: Any) -> None:
    stored = StoredEvent(
        originator_id=UUID(line["originator_id"]),
        originator_version=line["originator_version"],
        topic=line["topic"],
        state=line["state"].encode(),
    )
    event = mapper.to_domain_event(stored)
    assert get_topic(type(event)) == line["topic"]
    assert mapper.to_stored_event(event).state == stored.state
    if isinstance(event, CanInitAggregate):
        aggregate = event.mutate(None)
        assert aggregate is not None and aggregate.id == event.originator_id


BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def recorded_by() -> list[tuple[str, Any, type[Any]]]:
    """(topic, method, event class) for every ``@event`` method: ``__init__`` for a created one."""
    pairs = []
    for topic, cls in event_classes().items():
        if cls in decorated_funcs:
            pairs.append((topic, decorated_funcs[cls], cls))
        elif issubclass(cls, CanInitAggregate) and not topic.endswith(".Created"):
            aggregate = resolve_topic(topic.rpartition(".")[0])
            pairs.append((topic, vars(aggregate)["__init__"].decorated_func, cls))
    return pairs


@pytest.mark.parametrize(("topic", "method", "cls"), recorded_by(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_event_class_has_a_field_for_every_parameter_of_its_method(topic: str, method: Any, cls: type) -> None:
    """The library silently drops a method's argument that its event class has no field for
    (the value would never be stored), and fails to apply an event whose field the method
    lacks: the two must name the same things."""
    parameters = [name for name in inspect.signature(method).parameters if name not in ("self", "id")]
    fields = [f.name for f in dataclasses.fields(cls) if f.name not in BASE_FIELDS]
    assert fields == parameters
