"""The Application: the one entry point for every command.

``PipelineApplication`` composes the command classes by subject (``domain.accounts``,
``engagement``, ``membership``, ``projects``), each standing on ``domain.base``, where
the plumbing and lookups they share live; this module adds loading the register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.accounts import AccountCommands
from domain.base import ApplicationBase, LogMoved, TAggregate, unchanged_versions
from domain.discussion import CommentCommands
from domain.email_domains import Unplaced, register_seed_plan
from domain.engagement import EngagementCommands
from domain.inputs import OrganisationRef
from domain.membership import MembershipCommands
from domain.moderation import ModerationCommands
from domain.organisation import COUNCIL, Organisation, council_id
from domain.project import Project
from domain.projects import ProjectCommands
from domain.register import CouncilRecord, load_register
from domain.results import position_of

__all__ = [
    "LogMoved",
    "OrganisationRef",
    "PipelineApplication",
    "RegisterLoad",
    "TAggregate",
    "register_entry",
    "unchanged_versions",
]


@dataclass(frozen=True)
class RegisterLoad:
    added: int
    amended: int
    position: int | None
    domains_added: int = 0
    domains_taken: tuple[str, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()


def register_entry(record: CouncilRecord) -> dict[str, Any]:
    return {
        "official_name": record.official_name,
        "short_name": record.short_name,
        "alt_names": list(record.alt_names),
        "gss_code": record.gss_code,
        "type_code": record.type_code,
        "type_name": record.type_name,
        "nation": record.nation,
        "region": record.region,
        "start_date": record.start_date,
        "end_date": record.end_date,
        "replaced_by": record.replaced_by,
        "current": record.current,
    }


class PipelineApplication(
    ModerationCommands,
    EngagementCommands,
    AccountCommands,
    MembershipCommands,
    ProjectCommands,
    CommentCommands,
    ApplicationBase,
):
    name = "pipeline"  # pinned: table names and env prefixes derive from it
    snapshotting_intervals = {Project: 100}  # busy projects load from a recent snapshot

    # ----------------------------------------------------------------- register
    def load_register(self, records: Iterable[CouncilRecord] | None = None) -> RegisterLoad:
        """Record every council of the register; loading it again adds nothing."""
        new: list[Aggregate] = []
        amended: list[Aggregate] = []
        for record in records if records is not None else load_register():
            entry = register_entry(record)
            try:
                council: Organisation = self.repository.get(council_id(record.code))
            except AggregateNotFoundError:
                new.append(Organisation(kind=COUNCIL, name=record.official_name, code=record.code, register=entry))
                continue
            if council.register_changes(entry):
                council.amend_register_entry(entry)
                amended.append(council)
        recordings = self.save(*new, *amended) if new or amended else []
        plan = register_seed_plan()
        domains_added, taken = self.seed_domains(plan.by_council)
        position = self.recorder.max_notification_id() if domains_added else position_of(recordings)
        return RegisterLoad(len(new), len(amended), position, domains_added, tuple(taken), tuple(plan.unplaced))
