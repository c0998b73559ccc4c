"""What every command module stands on: ``ApplicationBase``, the eventsourcing
Application with the plumbing commands share (saving with its decided-on and
idempotency checks, retrying, who is acting in this request) and the lookups more
than one subject needs (people, organisations, projects).

Each command module (``domain.accounts``, ``engagement``, ``membership``,
``projects``) defines one class on this base and imports no other command module;
``domain.application`` composes them."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import get_topic, strtobool

from domain import clock, history, requests
from domain.cache import DEFAULT_MAXSIZE, CachingRepository
from domain.email_domains import covered
from domain.errors import Conflict, NotAllowed, NotFound, OrganisationNotResolved, RegisterNotLoaded
from domain.group_commit import GroupCommit
from domain.history import HistoryMark
from domain.inputs import OrganisationRef
from domain.interest import ContributionRequest
from domain.lookalike import looks_like, refuse_lookalike
from domain.names import NameMatcher
from domain.organisation import COUNCIL, OTHER_KINDS, Organisation, OrganisationName, council_id, name_key
from domain.person import BY_DOMAIN, PENDING, Person
from domain.personal import PasswordHasher, PersonalData
from domain.project import Project
from domain.register import council_matcher, load_register
from domain.tags import TagAlias

log = logging.getLogger(__name__)
LogMoved = Callable[[list[Recording[UUID]]], None]
# An organisation's verified members, longest-standing first, from a read model: a hint of who may
# take the admin role when the last admin leaves; each is checked against the store before.
MembersHint = Callable[[UUID], list[UUID]]
TAggregate = TypeVar("TAggregate", bound=Aggregate)
T = TypeVar("T")
RETRIES = 40


def held_apart(objs: Iterable[Any], subject: Any) -> tuple[list[Any], list[Any]]:
    """(what changed, what was only read): a command's list of aggregates split for ``save``, so
    one it read and left unchanged (an admin's successor) goes to ``decided_on``. ``subject``,
    the command's own aggregate, stays where it is."""
    objs = [obj for obj in objs if obj is not None]
    read = [obj for obj in objs if isinstance(obj, Aggregate) and obj is not subject and not obj.pending_events]
    return [obj for obj in objs if not any(obj is r for r in read)], read


def unchanged_versions(saved: Iterable[Any], decided_on: Iterable[Any]) -> dict[UUID, int]:
    """id -> version read, of each aggregate decided on that the save does not itself change
    (one it changes is checked already: its next version must be free)."""
    changed = {getattr(obj, "id", None) or getattr(obj, "originator_id", None) for obj in saved if obj is not None}
    return {a.id: a.version for a in decided_on if a is not None and a.id not in changed}


class ApplicationBase(Application[UUID]):
    """Not used on its own: ``domain.application.PipelineApplication`` pins the name."""

    # Each process keeps the aggregates it used, and reads only the events stored since
    # (``domain.cache``): a command no longer decodes a project's or person's history.
    env = {"AGGREGATE_CACHE_MAXSIZE": DEFAULT_MAXSIZE}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        personal: PersonalData | None = None,
        passwords: PasswordHasher | None = None,
        log_moved: LogMoved | None = None,
    ) -> None:
        super().__init__(env)
        self._personal = personal
        self._passwords = passwords
        self.log_moved = log_moved  # set by the composition root: who follows the log hears of each save
        self.turns = [threading.Lock() for _ in range(64)]  # per-project turns, striped (see retrying)
        self.group_commit = strtobool(self.env.get("GROUP_COMMIT", "y"))  # see save_command
        self._acting: ContextVar[Any] = ContextVar(f"pipeline_acting_{id(self)}", default=None)
        self._group = GroupCommit(self._save_as_given)
        self.members_hint: MembersHint | None = None  # set by the composition root

    def construct_repository(self) -> Repository[UUID]:
        plain = super().construct_repository()
        return CachingRepository(
            plain.event_store,
            snapshot_store=plain.snapshot_store,
            cache_maxsize=int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or 0) or None,
        )

    @property
    def personal(self) -> PersonalData:
        if self._personal is None:
            raise RuntimeError("This application was built without a personal-data key store.")
        return self._personal

    @property
    def passwords(self) -> PasswordHasher:
        if self._passwords is None:
            raise RuntimeError("This application was built without a password hasher.")
        return self._passwords

    def now(self) -> datetime:
        return clock.now()

    # -------------------------------------------------------------------- saving
    def save(self, *objs: Any, decided_on: Iterable[Any] = (), **kwargs: Any) -> list[Recording[UUID]]:
        """Every save; while history is being written (``domain.history``), a mark listing the
        save's events goes first in the same transaction, so followers can tell it apart.

        ``decided_on``: aggregates the command's rules read but it does not change (the actor,
        the organisation whose admins may approve, ...). The save commits only if none of them
        has moved since it was read, else raises ``IntegrityError`` as a version conflict does:
        a command decides on exactly the versions it saves against (issue 20)."""
        self._hold_unchanged({**kwargs.pop("unchanged", {}), **unchanged_versions(objs, decided_on)}, kwargs)
        source = history.origin()
        if source is not None:
            listed = [
                [str(e.originator_id), e.originator_version, get_topic(type(e))]
                for obj in objs
                if obj is not None
                for e in (obj.pending_events if isinstance(obj, Aggregate) else [obj])
            ]
            if listed:
                objs = (HistoryMark(source, listed, datetime.now(UTC).isoformat()), *objs)
        return self._marked(lambda *marked: super(ApplicationBase, self).save(*marked, **kwargs), objs)

    def _save_as_given(self, *objs: Any, unchanged: dict[UUID, int] | None = None) -> list[Recording[UUID]]:
        """Group commit's joint save: each command's mark was added in its own request, and
        ``unchanged`` joins what every command of the group decided on."""
        kwargs: dict[str, Any] = {}
        self._hold_unchanged(unchanged or {}, kwargs)
        return super().save(*objs, **kwargs)

    def _hold_unchanged(self, unchanged: dict[UUID, int], kwargs: dict[str, Any]) -> None:
        """Ask the store to commit only while the aggregates a command decided on are unchanged."""
        if unchanged:
            if not getattr(self.recorder, "checks_unchanged", False):
                raise RuntimeError("This event store cannot check the versions a command decided on.")
            kwargs["unchanged"] = unchanged

    def _marked(self, save: Callable[..., list[Recording[UUID]]], objs: tuple[Any, ...]) -> list[Recording[UUID]]:
        """The first save of a request made under an Idempotency-Key carries its mark
        (``domain.requests``); if the mark is in the log already, the request was carried out
        before and is refused as a whole, whatever else the save held."""
        mark = requests.pending_mark()
        if mark is None:
            return save(*objs)
        try:
            recordings = save(*objs, mark)
        except IntegrityError:
            requests.mark_settled(saved=False)
            if self.carried_out(mark.key_id):
                raise requests.AlreadyCarriedOut(
                    "This request (its Idempotency-Key) was carried out before; it is not done again."
                ) from None
            raise
        except BaseException:
            requests.mark_settled(saved=False)
            raise
        requests.mark_settled(saved=True)
        return recordings

    def carried_out(self, key_id: str) -> bool:
        """Whether a request's mark is in the log (read from the store, not the cache)."""
        return bool(self.recorder.select_events(requests.RequestMark.create_id(key_id), limit=1))

    def save_command(self, *aggregates: Aggregate, decided_on: Iterable[Any] = ()) -> list[Recording[UUID]]:
        """A busy command's save: with group commit on (``PIPELINE_GROUP_COMMIT``, default on),
        in one transaction with the saves of other commands running at the same moment in this
        process (``domain.group_commit``); each still gets its own recordings or error."""
        if not self.group_commit or history.origin() is not None:  # a history mark is per save, per thread
            return self.save(*aggregates, decided_on=decided_on)
        unchanged = unchanged_versions(aggregates, decided_on)
        held = {"unchanged": unchanged} if unchanged else {}  # the mark below is this request's, added here
        recordings = self._marked(lambda *marked: self._group.save(*marked, **held), aggregates)
        self._snapshot_when_due(aggregates, recordings)
        return recordings

    def _snapshot_when_due(self, aggregates: Iterable[Aggregate], recordings: list[Recording[UUID]]) -> None:
        """What ``save()`` does for aggregates (events saved on their own carry no aggregate)."""
        for aggregate in aggregates:
            interval = (self.snapshotting_intervals or {}).get(type(aggregate)) or 0
            for recording in recordings if interval else ():
                event = recording.domain_event
                if event.originator_id == aggregate.id and event.originator_version % interval == 0:
                    self.take_snapshot(aggregate.id, version=event.originator_version)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """Called by ``save()`` once the events are committed: every command, whoever calls
        it, tells the log's followers (views, the notifier, the goal decider) that it moved.
        A follower that cannot be told now still catches up later (sweeps), so a failure
        here is logged and never fails the write that is already committed."""
        if recordings and self.log_moved is not None:
            try:
                self.log_moved(recordings)
            except Exception:
                log.exception("could not tell the log's followers about %s new events", len(recordings))

    def retrying(self, command: Callable[[], T], key: UUID | None = None) -> T:
        """Run a command that loads, changes and saves; if another writer saved the same
        aggregate first, load again and redo it. Nothing acknowledged is ever lost.

        Commands on the same ``key`` (a project) take turns within this process, so only
        writers in other processes can make them retry."""
        with self.turns[hash(key) % len(self.turns)] if key is not None else nullcontext():
            for attempt in range(RETRIES):
                try:
                    return command()
                except IntegrityError:
                    self._acting.set(None)  # the actor may be what moved: load them afresh from now on
                    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # jitter, not security
        raise Conflict("The project is very busy; please try again.")

    # ------------------------------------------------- who is acting, per request
    def acting_as(self, person: Any) -> Token[Any]:
        """The web's access check has just loaded the signed-in person (not erased): commands in
        this request (this context) check their rules against it instead of loading it again.
        Only read, never changed or saved; ``done_acting`` ends it with the request."""
        return self._acting.set(person)

    def done_acting(self, token: Token[Any]) -> None:
        try:
            self._acting.reset(token)
        except ValueError:  # set in another context (a server that switched contexts): just forget it
            self._acting.set(None)

    def known_person(self, person_id: UUID) -> Any:
        person = self._acting.get()
        return person if person is not None and person.id == person_id else None

    def acting_person(self, person_id: UUID) -> Person:
        """The person, if they may act on projects at all: not erased, and their address verified
        (the API's own gate says the same; this holds for any caller of the commands). The
        request's signed-in person, loaded by that gate moments ago, is not loaded again."""
        person = self.known_person(person_id) or self.active_person(person_id)
        if person.suspended:
            raise NotAllowed("An operator has suspended your account: you cannot act until it is reinstated.")
        if not person.email_verified:
            raise NotAllowed(
                "Verify your email address first: open the link we sent you "
                "(POST /api/v1/me/verification-email sends another)."
            )
        return person

    def acting_member(self, person_id: UUID) -> Person:
        """The person, if they may act for their organisation (propose, pledge, ...)."""
        person = self.acting_person(person_id)
        if person.organisation_id is None:
            raise NotAllowed("You belong to no organisation: join one first (PATCH /api/v1/me).")
        if not person.is_member:
            raise NotAllowed(
                "Your membership of this organisation is pending: an admin of the organisation must approve it "
                "(or verify an email address on one of its domains) before you can act for it."
            )
        return person

    def released_on_erasure(self, person: Person, *, actor: UUID | None) -> list[Aggregate]:
        """What else a person's erasure changes, saved with it: each command module that keeps
        something of theirs adds its own (``domain.discussion``: their comments)."""
        return []

    # ------------------------------------------------------------------ lookups
    def _get(self, aggregate_id: UUID, cls: type[TAggregate], message: str) -> TAggregate:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(message) from None
        if not isinstance(aggregate, cls):
            raise NotFound(message)
        return aggregate

    def get_person(self, person_id: UUID) -> Person:
        return self._get(person_id, Person, "No person with that id.")

    def active_person(self, person_id: UUID) -> Person:
        person = self.get_person(person_id)
        if person.erased:
            raise NotFound("No person with that id.")
        return person

    def get_organisation(self, organisation_id: UUID) -> Organisation:
        return self._get(organisation_id, Organisation, "No organisation with that id.")

    def organisation_of(self, person: Person) -> Organisation | None:
        """The person's organisation as read now (None if they belong to none)."""
        return self.get_organisation(person.organisation_id) if person.organisation_id else None

    def get_project(self, project_id: UUID) -> Project:
        return self._get(project_id, Project, "No project with that id.")

    def tag_alias(self, tag: str) -> TagAlias | None:
        """What an operator renamed ``tag`` to, if they did (``domain.tags``)."""
        try:
            alias: TagAlias = self.repository.get(TagAlias.id_for(tag))
        except AggregateNotFoundError:
            return None
        return alias

    def get_contribution_request(self, request_id: UUID) -> ContributionRequest:
        return self._get(request_id, ContributionRequest, "No contribution request with that id.")

    # ------------------------------------------------------------ organisations
    @cached_property
    def councils(self) -> NameMatcher:
        return council_matcher(load_register())

    @cached_property
    def council_names(self) -> dict[str, str]:
        """Every council's official and short name (normalised) -> its register code."""
        names: dict[str, str] = {}
        for record in load_register():
            for name in (record.official_name, record.short_name):
                if name:
                    names.setdefault(name_key(name), record.code)
        return names

    @cached_property
    def council_codes(self) -> frozenset[str]:
        return frozenset(record.code for record in load_register())

    def resolve_organisation(self, ref: OrganisationRef, *, create: bool) -> tuple[Organisation, bool]:
        """The organisation ``ref`` names, and whether it is new (unsaved)."""
        if ref.id is not None:
            return self.get_organisation(ref.id), False
        if ref.code is not None:
            return self._council(ref.code.strip().upper()), False
        return self._resolve_name((ref.name or "").strip(), ref.kind, create=create)

    def _resolve_name(self, name: str, kind: str | None, *, create: bool) -> tuple[Organisation, bool]:
        found = self.councils.resolve(name)
        if found.status == "resolved":
            return self._council(found.key or ""), False
        candidates = [
            {"code": c.key, "name": c.name, "score": round(c.score, 3), "current": c.current} for c in found.candidates
        ]
        if found.status == "ambiguous":
            raise OrganisationNotResolved(
                f"'{name}' matches more than one council: choose one by its code.", candidates, "ambiguous"
            )
        named = self._organisation_named(name)
        if named is not None:
            return named, False
        lookalike = looks_like(self, name, None)
        if lookalike is not None and (named := self._organisation_named(name)) is not None:
            return named, False  # created under this very name since the first look: the same one
        if lookalike is not None:  # "Нull City Council" in Cyrillic: an impostor's name, never a new one
            raise OrganisationNotResolved(
                f"'{name}' looks the same as the name of {lookalike[0]} but is written with other characters: "
                "choose the organisation by its code or id, or give a name that reads differently.",
                [lookalike[1], *candidates],
                "lookalike",
            )
        if kind is None or kind == COUNCIL or not create:
            hint = (
                "It is not a council in the register."
                if kind == COUNCIL
                else f"To add it as a new organisation, also give organisation_kind (one of {', '.join(OTHER_KINDS)})."
            )
            raise OrganisationNotResolved(f"No organisation called '{name}'. {hint}", candidates)
        return Organisation(kind=kind, name=name), True

    def _organisation_named(self, name: str) -> Organisation | None:
        try:
            index: OrganisationName = self.repository.get(OrganisationName.create_id(name))
        except AggregateNotFoundError:
            return None
        return self.get_organisation(index.organisation_id)

    def _council(self, code: str) -> Organisation:
        try:
            return self.repository.get(council_id(code))
        except AggregateNotFoundError:
            if code in self.council_codes:
                raise RegisterNotLoaded("The council register has not been loaded: run `pipeline init`.") from None
            raise OrganisationNotResolved(f"No council has the register code '{code}'.", []) from None

    def refuse_taken_name(self, name: str, organisation_id: UUID) -> list[Any]:
        """No organisation may take the exact name (normalised) of another, council or not,
        nor one that looks the same (:mod:`domain.lookalike`). Returns the name's index
        aggregates to save with the change (empty if already ours)."""
        key = name_key(name)
        council = self.council_names.get(key)
        if council is not None and council_id(council) != organisation_id:
            raise Conflict(f"'{name}' is the name of a council in the register ({council}).")
        try:
            index: OrganisationName = self.repository.get(OrganisationName.create_id(name))
        except AggregateNotFoundError:
            return [
                OrganisationName(name=name, organisation_id=organisation_id),
                *refuse_lookalike(self, name, organisation_id),
            ]
        if index.organisation_id != organisation_id:
            raise Conflict("Another organisation already has that name.")
        return refuse_lookalike(self, name, organisation_id)

    # ------------------------------------------- membership that follows an address
    def admit_by_domain(self, person: Person) -> list[Any]:
        """If the person's verified address is on their organisation's domains (and the
        organisation has not removed them), make them a member; the first such member of an
        organisation without admins becomes its admin. Returns the organisation if it changed
        too (the person is changed in place; the caller saves both)."""
        if not person.email_verified or person.organisation_id is None or person.membership != PENDING:
            return []
        if person.organisation_id in person.excluded_from:
            return []
        org = self.get_organisation(person.organisation_id)
        domain = covered(org.domains, self.personal.open(person.id, person.email) or "")
        if domain is None:
            return []
        person.admit(actor=None, reason=f"{BY_DOMAIN}{domain}", by_domain=True)
        if org.admins:
            return []
        org.appoint_admin(person.id, actor=None, reason=f"first verified member on {domain}")
        return [org]

    def membership_follows_address(self, person: Person, *, actor: UUID | None) -> list[Any]:
        """After an address change: a member admitted by their address's domain stays one only
        while the new address is on one of the organisation's domains; otherwise they are pending
        again and stop being its admin, in the same save. A member an admin (or an operator)
        approved, or the creator of the organisation, keeps their membership. Returns the
        organisation if it changed too (the caller saves both)."""
        if not (person.is_member and person.admitted_by_domain and person.organisation_id is not None):
            return []
        org = self.get_organisation(person.organisation_id)
        if covered(org.domains, self.personal.open(person.id, person.email) or "") is not None:
            return []
        reason = "email changed to an address off the organisation's domains"
        person.lapse_membership(actor=actor, reason=reason)
        if not org.is_admin(person.id):
            return []
        successor = self.step_down(org, person.id, actor=actor, reason=reason)
        return [org, *successor]

    # ------------------------------------------------------------------ admins
    def step_down(self, org: Organisation, leaving: UUID, *, actor: UUID | None, reason: str) -> list[Person]:
        """``leaving`` stops being one of ``org``'s admins (they are erased, move away, or lose
        their membership). If they were its last admin, the role is handed on first to its
        longest-standing verified member, checked against the store (the hint is a read model);
        returns that successor, whom the caller saves against (``decided_on``). Without any other
        verified member nobody can take it: the organisation waits for an operator, as before."""
        if not org.is_admin(leaving):
            return []
        successor = self._successor(org, leaving) if org.admins == [leaving] else None
        if successor is not None:
            org.appoint_admin(successor.id, actor=actor, reason=f"handed on: the last admin left ({reason})")
        org.drop_admin(leaving, actor=actor, reason=reason)
        return [successor] if successor is not None else []

    def _successor(self, org: Organisation, leaving: UUID) -> Person | None:
        for person_id in (self.members_hint(org.id) if self.members_hint else [])[:20]:
            if person_id == leaving:
                continue
            try:
                person = self.active_person(person_id)
            except NotFound:
                continue
            if person.organisation_id == org.id and person.is_member and person.email_verified:
                return person
        return None
