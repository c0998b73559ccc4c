"""Every kind of event the domain records, by the name evaluators see (``Project.Edited``).

The name is the event class's qualified name, which is also the part of its stored topic
after the colon (``domain.project:Project.Edited``), so a name leads to the topic the
store filters on. Found by walking the ``domain`` package, so a new aggregate or event
is listed without being added here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

import domain

_BASES = ("Event", "Created")  # the library's base classes every aggregate carries


def type_name(topic: str) -> str:
    """``Project.Edited`` for ``domain.project:Project.Edited``."""
    return topic.rpartition(":")[2]


@cache
def topics_by_type() -> dict[str, str]:
    """Event type name -> stored topic, for every event of every aggregate in ``domain``."""
    found: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for aggregate in vars(module).values():
            if not (inspect.isclass(aggregate) and issubclass(aggregate, Aggregate)):
                continue
            if aggregate.__module__ != module.__name__:
                continue
            for name, member in vars(aggregate).items():
                if name not in _BASES and inspect.isclass(member) and issubclass(member, CanMutateAggregate):
                    topic = get_topic(member)
                    found[type_name(topic)] = topic
    return dict(sorted(found.items()))
