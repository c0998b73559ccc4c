"""What the commands take: each key a changes dict may hold, and its type.

A TypedDict is a plain dict at run time, so a caller may pass a dict literal; a dict that
an input schema loaded (typed ``dict[str, Any]``) becomes one through ``checked``, which
refuses a key the command does not name instead of letting it through unseen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, TypeVar, cast
from uuid import UUID

T = TypeVar("T")


@dataclass(frozen=True)
class OrganisationRef:
    """How a command names an organisation: exactly one of code, id or name."""

    code: str | None = None
    id: UUID | None = None
    name: str | None = None
    kind: str | None = None  # needed only to create an organisation from a new name


class ProfileChanges(TypedDict, total=False):
    """``update_profile``: what is left out keeps its value."""

    name: str
    job_title: str | None
    email: str
    organisation: OrganisationRef  # the person moves there


class OrganisationChanges(TypedDict, total=False):
    """``update_organisation``: a council's name comes from the register."""

    name: str
    website: str | None
    description: str | None


class ProjectLinks(TypedDict, total=False):
    prototype: str
    repository: str
    blog: str


class _ProjectFields(TypedDict, total=False):
    description: str
    tags: list[str]
    department: str | None
    key_contact_id: UUID | None  # a member (not pending) of the owning organisation
    phase_start: str | None  # ISO dates, as the events record them
    phase_end: str | None
    phase_dates_estimated: bool | None
    budget_band: str | None
    collaboration_level: str | None
    next_assessment: str | None
    links: ProjectLinks


class ProjectDetails(_ProjectFields):
    """``propose_project``: a title and a summary at least."""

    title: str
    summary: str


class ProjectChanges(_ProjectFields, total=False):
    """``edit_project``: what is left out keeps its value."""

    title: str
    summary: str


class Pledge(TypedDict):
    """An organisation's pledge: amounts as decimal text, kinds from ``CONTRIBUTION_KINDS``."""

    money: str
    days: str
    contributions: list[str]
    message: NotRequired[str | None]


class Goal(TypedDict):
    """A project's goal: partner organisations, money and person-days by an ISO deadline."""

    min_partners: int
    money: str
    days: str
    deadline: str


def checked(shape: type[T], data: Mapping[str, Any]) -> T:
    """``data`` as the TypedDict ``shape``, once its keys are the ones ``shape`` names (the
    values were checked by whoever loaded them). A mismatch is a bug in the caller."""
    keys = vars(shape)  # a TypedDict class lists its keys in its namespace
    required: frozenset[str] = keys["__required_keys__"]
    allowed = required | keys["__optional_keys__"]
    unknown, missing = sorted(set(data) - allowed), sorted(required - set(data))
    if unknown or missing:
        raise TypeError(f"Not a {shape.__name__}: unknown keys {unknown}, missing keys {missing}.")
    return cast(T, dict(data))
